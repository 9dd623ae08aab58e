//! Behaviour of the differ beyond single checks: equivalent forms are silent, cycles terminate, inputs
//! that cannot be diffed fail clearly, git sources, the scan job, ignores and outputs.

use std::path::Path;
use std::process::Command;
use tollgate::contract::{
    self, diff_specs, render_markdown, Change, Config, ContractJob, IgnoreEntry, Level, Options,
    Source, Spec,
};
use tollgate::engine::{Job, ScanContext, SourceFile};

fn spec(name: &str, text: &str) -> Spec {
    Spec::from_text(
        Source::Text {
            name: name.into(),
            text: text.into(),
        },
        name.into(),
        text,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn diff(base: &str, rev: &str) -> Vec<Change> {
    diff_specs(
        &spec("base.yaml", base),
        &spec("revision.yaml", rev),
        &Options::default(),
    )
}

fn ids(changes: &[Change]) -> Vec<(String, Level, u32)> {
    changes
        .iter()
        .map(|c| (c.id.clone(), c.level, c.line))
        .collect()
}

const PETS: &str = r#"openapi: 3.0.3
info: {title: pets, version: '1'}
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: fields, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        '201': {description: created}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, format: int64}
        name: {type: string, maxLength: 64}
        kind: {type: string, enum: [cat, dog]}
        tags: {type: array, items: {$ref: '#/components/schemas/Tag'}}
        owner: {$ref: '#/components/schemas/Owner'}
    Tag:
      type: object
      properties:
        label: {type: string}
    Owner:
      allOf:
        - {$ref: '#/components/schemas/Named'}
        - type: object
          properties:
            email: {type: string, format: email}
    Named:
      type: object
      properties:
        name: {type: string}
"#;

#[test]
fn a_document_against_itself_is_silent() {
    assert!(diff(PETS, PETS).is_empty());
}

#[test]
fn reordering_keys_and_paths_is_silent() {
    let reordered = r#"openapi: 3.0.3
components:
  schemas:
    Named:
      properties:
        name: {type: string}
      type: object
    Owner:
      allOf:
        - {$ref: '#/components/schemas/Named'}
        - properties:
            email: {format: email, type: string}
          type: object
    Tag:
      properties:
        label: {type: string}
      type: object
    Pet:
      properties:
        tags: {items: {$ref: '#/components/schemas/Tag'}, type: array}
        owner: {$ref: '#/components/schemas/Owner'}
        kind: {enum: [dog, cat], type: string}
        name: {maxLength: 64, type: string}
        id: {format: int64, type: integer}
      required: [name, id]
      type: object
paths:
  /pets:
    post:
      responses:
        '201': {description: created}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
        required: true
  /pets/{id}:
    get:
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
          description: ok
      parameters:
        - {in: query, name: fields, schema: {type: string}}
        - {in: path, name: id, required: true, schema: {type: string}}
      operationId: getPet
info: {version: '1', title: pets}
"#;
    assert_eq!(ids(&diff(PETS, reordered)), vec![]);
}

#[test]
fn ref_extracted_and_inlined_forms_are_silent() {
    // the same document with every $ref inlined, and `allOf` kept
    let inlined = r#"openapi: 3.0.3
info: {title: pets, version: '1'}
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: fields, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, name]
                properties:
                  id: {type: integer, format: int64}
                  name: {type: string, maxLength: 64}
                  kind: {type: string, enum: [cat, dog]}
                  tags: {type: array, items: {type: object, properties: {label: {type: string}}}}
                  owner:
                    type: object
                    properties:
                      name: {type: string}
                      email: {type: string, format: email}
  /pets:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [id, name]
              properties:
                id: {type: integer, format: int64}
                name: {type: string, maxLength: 64}
                kind: {type: string, enum: [cat, dog]}
                tags: {type: array, items: {type: object, properties: {label: {type: string}}}}
                owner:
                  allOf:
                    - {type: object, properties: {name: {type: string}}}
                    - {type: object, properties: {email: {type: string, format: email}}}
      responses:
        '201': {description: created}
"#;
    let changes = diff(PETS, inlined);
    // only the removed (now unused) component schemas are reported, as info
    assert!(
        changes
            .iter()
            .all(|c| c.id == "api-schema-removed" && c.level == Level::Info),
        "{changes:?}"
    );
    assert_eq!(changes.len(), 4);
    let back = diff(inlined, PETS);
    assert!(
        back.iter()
            .all(|c| c.id == "api-schema-added" && c.level == Level::Info),
        "{back:?}"
    );
    assert_eq!(back.len(), 4);
}

#[test]
fn changes_behind_refs_are_found_per_operation_at_the_component() {
    let rev = PETS.replace(
        "kind: {type: string, enum: [cat, dog]}",
        "kind: {type: string, enum: [cat]}",
    );
    let changes = diff(PETS, &rev);
    let got: Vec<_> = changes
        .iter()
        .map(|c| (c.id.as_str(), c.operation.as_deref().unwrap_or(""), c.line))
        .collect();
    // request: a removed enum value breaks; response: it is safe. Both are located at the component.
    assert_eq!(
        got,
        vec![
            ("request-property-enum-value-removed", "POST /pets", 33),
            (
                "response-property-enum-value-removed",
                "GET /pets/{petId}",
                33
            ),
        ]
    );
    assert_eq!(changes[0].level, Level::Error);
    // the removed value's own place in the base
    assert_eq!(changes[0].base_position.map(|p| p.0), Some(33));
    assert!(changes[0].message.contains("POST /pets"));
    assert!(changes[0].message.contains(
        "/paths/~1pets/post/requestBody/content/application~1json/schema/properties/kind"
    ));
}

#[test]
fn recursive_schemas_terminate_and_report_inner_changes() {
    let tree = |max: u32| {
        format!(
            r#"openapi: 3.1.0
info: {{title: t, version: '1'}}
paths:
  /tree:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Node'}}
components:
  schemas:
    Node:
      type: object
      properties:
        name: {{type: string, maxLength: {max}}}
        children:
          type: array
          items: {{$ref: '#/components/schemas/Node'}}
        parent: {{$ref: '#/components/schemas/Node'}}
        either:
          oneOf:
            - {{$ref: '#/components/schemas/Node'}}
            - {{$ref: '#/components/schemas/Leaf'}}
    Leaf:
      allOf:
        - {{$ref: '#/components/schemas/Leaf'}}
        - {{$ref: '#/components/schemas/Node'}}
"#
        )
    };
    assert!(diff(&tree(10), &tree(10)).is_empty());
    let changes = diff(&tree(10), &tree(20));
    assert_eq!(
        ids(&changes),
        vec![(
            "response-property-max-length-increased".to_string(),
            Level::Error,
            17
        )]
    );
}

#[test]
fn path_templates_match_by_shape() {
    let rev = PETS
        .replace("/pets/{petId}", "/pets/{id}")
        .replace("name: petId", "name: id");
    assert!(diff(PETS, &rev).is_empty());
}

#[test]
fn nullable_30_and_null_type_31_are_the_same() {
    let a = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: string, nullable: true}\n";
    let b = a
        .replace("3.0.3", "3.1.0")
        .replace("{type: string, nullable: true}", "{type: [string, 'null']}");
    assert!(diff(a, &b).is_empty());
    let c = a.replace("nullable: true", "nullable: false");
    assert_eq!(
        ids(&diff(a, &c)),
        vec![(
            "response-body-became-not-nullable".to_string(),
            Level::Info,
            11
        )]
    );
    assert_eq!(
        ids(&diff(&c, a)),
        vec![(
            "response-body-became-nullable".to_string(),
            Level::Error,
            11
        )]
    );
}

#[test]
fn swagger_2_is_read_as_openapi_3() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openapi-swagger");
    let v2 = std::fs::read_to_string(dir.join("v2.yaml")).unwrap();
    let v3 = std::fs::read_to_string(dir.join("v3.yaml")).unwrap();
    // a 2.0 -> 3.0 migration that keeps the contract is no change, either way round
    assert_eq!(diff(&v2, &v3), vec![], "2.0 -> 3.0");
    assert_eq!(diff(&v3, &v2), vec![], "3.0 -> 2.0");
    assert!(diff(&v2, &v2).is_empty());
    // 2.0 -> 2.0: changes are found and located at the Swagger lines
    let rev = v2
        .replace("maximum: 100", "maximum: 50")
        .replace("required: [id, name]", "required: [id, name, kind]")
        .replace(
            "consumes: [multipart/form-data]",
            "consumes: [application/x-www-form-urlencoded]",
        );
    let got = ids(&diff(&v2, &rev));
    assert_eq!(
        got,
        vec![
            (
                "request-parameter-max-decreased".to_string(),
                Level::Error,
                24
            ),
            // the form body is located at its first formData parameter
            ("request-body-media-type-added".to_string(), Level::Info, 54),
            (
                "request-body-media-type-removed".to_string(),
                Level::Error,
                54
            ),
            (
                "request-property-became-required".to_string(),
                Level::Error,
                61
            ),
            (
                "response-property-became-required".to_string(),
                Level::Info,
                61
            ),
        ],
        "{got:#?}"
    );
    // a formData parameter that becomes required is a request property that becomes required
    let rev = v2.replace(
        "{name: note, in: formData, type: string}",
        "{name: note, in: formData, type: string, required: true}",
    );
    assert_eq!(
        ids(&diff(&v2, &rev)),
        vec![(
            "request-property-became-required".to_string(),
            Level::Error,
            54
        )]
    );
    // 2.0 -> 3.0 with a change: located in the 3.0 file
    let rev3 = v3.replace(
        "schema: {type: integer, maximum: 100}",
        "schema: {type: integer, maximum: 50}",
    );
    assert_eq!(
        ids(&diff(&v2, &rev3)),
        vec![(
            "request-parameter-max-decreased".to_string(),
            Level::Error,
            12
        )]
    );
    // other Swagger versions are a clear error
    let e = Spec::from_text(
        Source::File("api.yaml".into()),
        "api.yaml".into(),
        "swagger: '1.2'\ninfo: {title: t, version: '1'}\npaths: {}\n",
    )
    .unwrap_err();
    assert!(
        e.message.contains("unsupported Swagger version"),
        "{}",
        e.message
    );
    assert!(e.message.starts_with("api.yaml:1:"), "{}", e.message);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let e = Spec::from_text(
        Source::File("api.yaml".into()),
        "api.yaml".into(),
        "openapi: 3.1.0\ninfo:\n  title: [t\n  version: '1'\npaths: {}\n",
    )
    .unwrap_err();
    assert!(e.message.starts_with("api.yaml:"), "{}", e.message);
    assert!(e.line.is_some_and(|l| l >= 3), "{e:?}");
    let e = Spec::from_text(
        Source::File("a.json".into()),
        "a.json".into(),
        "{\"openapi\": \"3.1.0\",\n \"paths\": {,}}",
    )
    .unwrap_err();
    assert!(e.message.starts_with("a.json:2:"), "{}", e.message);
    let e = Spec::from_text(
        Source::File("a.yaml".into()),
        "a.yaml".into(),
        "name: not an api\n",
    )
    .unwrap_err();
    assert!(
        e.message.contains("not an OpenAPI document"),
        "{}",
        e.message
    );
}

#[test]
fn invalid_but_usable_documents_load_with_notes() {
    // no info, 3.1 keyword in a 3.0 document, a dangling $ref, an operation without responses, stray keys
    let base = "openapi: 3.0.0\nx-stray: 1\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, schema: {type: [string, integer]}}\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/Missing'}\n";
    let s = spec("api.yaml", base);
    let codes: Vec<&str> = s.notes.iter().map(|n| n.code.as_str()).collect();
    assert!(codes.contains(&"contract-unresolved-ref"), "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == "contract-invalid").count(),
        4,
        "{:?}",
        s.notes
    );
    let rev = base.replace("[string, integer]", "[string]");
    let changes = diff(base, &rev);
    assert_eq!(
        ids(&changes),
        vec![(
            "request-parameter-list-of-types-narrowed".to_string(),
            Level::Error,
            7
        )]
    );
}

#[test]
fn external_file_refs_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let write = |p: &str, t: &str| std::fs::write(dir.path().join(p), t).unwrap();
    let main = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'schemas/common.yaml#/components/schemas/Thing'}\n";
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    std::fs::create_dir(dir.path().join("v2")).unwrap();
    std::fs::create_dir(dir.path().join("v2/schemas")).unwrap();
    write("api.yaml", main);
    write("v2/api.yaml", main);
    let thing = "components:\n  schemas:\n    Thing:\n      type: object\n      required: [id]\n      properties:\n        id: {type: string}\n        self: {$ref: '#/components/schemas/Thing'}\n";
    write("schemas/common.yaml", thing);
    write(
        "v2/schemas/common.yaml",
        &thing.replace("required: [id]", "required: []"),
    );
    let b = Spec::load(Source::File(dir.path().join("api.yaml"))).unwrap();
    let r = Spec::load(Source::File(dir.path().join("v2/api.yaml"))).unwrap();
    assert!(b.notes.is_empty(), "{:?}", b.notes);
    let changes = diff_specs(&b, &r, &Options::default());
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].id, "response-property-became-optional");
    assert!(
        changes[0].file.ends_with("v2/schemas/common.yaml"),
        "{}",
        changes[0].file
    );
    assert_eq!(changes[0].line, 5);
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn scan_job_diffs_openapi_documents_against_the_base_ref() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::create_dir(root.join("api")).unwrap();
    // found by content, whatever the name
    std::fs::write(root.join("api/contract.yml"), PETS).unwrap();
    std::fs::write(root.join("notes.yaml"), "openapi_like: no\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    std::fs::write(
        root.join("api/contract.yml"),
        PETS.replace("required: [id, name]", "required: [id, name, kind]"),
    )
    .unwrap();
    std::fs::write(
        root.join("new.json"),
        "{\"openapi\": \"3.1.0\", \"info\": {\"title\": \"n\", \"version\": \"1\"}, \"paths\": {}}",
    )
    .unwrap();
    let files: Vec<SourceFile> = ["api/contract.yml", "notes.yaml", "new.json"]
        .iter()
        .map(|r| SourceFile {
            rel: r.to_string(),
            abs: root.join(r),
            size: 1,
        })
        .collect();
    let cfg = Config {
        base: Some("HEAD".into()),
        ignore: vec![IgnoreEntry {
            id: "response-property-became-required".into(),
            operation: Some("get /pets/{id}".into()),
            path: None,
            reason: "clients ignore it".into(),
        }],
        ..Config::default()
    };
    let job = ContractJob::new(&cfg, &[]).unwrap();
    let out = job.scan(&files, &ScanContext::new(root.to_path_buf()));
    assert_eq!(out.files_scanned, 2);
    let got: Vec<_> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.as_str(),
                f.location.path.as_str(),
                f.location.start_line,
                f.suppression.is_some(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "request-property-became-required",
                "api/contract.yml",
                29,
                false
            ),
            (
                "response-property-became-required",
                "api/contract.yml",
                29,
                true
            ),
        ]
    );
    let f = &out.findings[0];
    assert_eq!(f.severity, tollgate::Severity::High);
    assert_eq!(f.properties["operation"], "POST /pets");
    assert_eq!(f.snippet.as_deref(), Some("required: [id, name, kind]"));
    assert!(out
        .notifications
        .iter()
        .any(|n| n.code == "contract-new-api" && n.path.as_deref() == Some("new.json")));
    // no base: nothing
    let none = ContractJob::new(&Config::default(), &[])
        .unwrap()
        .scan(&files, &ScanContext::new(root.to_path_buf()));
    assert_eq!(none.files_scanned, 0);
    assert!(none.findings.is_empty());
    // git sources directly, and a missing ref is a clear error
    let src = Source::Git {
        repo: root.to_path_buf(),
        rev: "HEAD".into(),
        path: "api/contract.yml".into(),
    };
    let (changes, _) = contract::diff_sources(
        src,
        Source::File(root.join("api/contract.yml")),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(changes.len(), 2);
    let bad = Source::Git {
        repo: root.to_path_buf(),
        rev: "no-such-ref".into(),
        path: "api/contract.yml".into(),
    };
    let e = Spec::load(bad).unwrap_err();
    assert!(
        e.message.starts_with("git:no-such-ref:api/contract.yml:"),
        "{}",
        e.message
    );
}

#[test]
fn markdown_changelog_groups_by_operation_breaking_first() {
    let rev = PETS
        .replace(
            "kind: {type: string, enum: [cat, dog]}",
            "kind: {type: string, enum: [cat, dog, fish]}",
        )
        .replace(
            "        - {name: fields, in: query, schema: {type: string}}\n",
            "        - {name: fields, in: query, required: true, schema: {type: string}}\n",
        );
    let changes = diff(PETS, &rev);
    let md = render_markdown(&changes, &Config::default());
    let breaking = md.find("## Breaking changes").unwrap();
    let maybe = md.find("## Changes that may break clients").unwrap();
    let other = md.find("## Other changes").unwrap();
    assert!(breaking < maybe && maybe < other, "{md}");
    assert!(
        md[breaking..maybe].contains(
            "### GET /pets/{petId}\n\n- the query request parameter `fields` became required"
        ),
        "{md}"
    );
    assert!(
        md[maybe..other].contains("added the enum value \"fish\""),
        "{md}"
    );
}

#[test]
fn rules_have_help_with_examples() {
    let job = ContractJob::new(&Config::default(), &[]).unwrap();
    let rules = job.rules();
    assert!(rules.len() >= 600);
    let r = rules
        .iter()
        .find(|r| r.id == "request-property-enum-value-removed")
        .unwrap();
    assert_eq!(r.severity, tollgate::Severity::High);
    assert!(
        r.help_markdown.contains("### Example"),
        "{}",
        r.help_markdown
    );
    assert!(r.help_markdown.contains("enum: [a]"));
}

#[test]
fn all_of_with_a_non_nullable_part_is_not_nullable() {
    let base = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n                opts: {$ref: '#/components/schemas/Opts'}\n      responses:\n        '200': {description: ok}\ncomponents:\n  schemas:\n    Opts: {type: object, nullable: true, properties: {a: {type: string}}}\n";
    // the same component extended with allOf: the inline part does not allow null any more
    let rev = base.replace(
        "opts: {$ref: '#/components/schemas/Opts'}",
        "opts:\n                  allOf:\n                    - {$ref: '#/components/schemas/Opts'}\n                    - {type: object, properties: {b: {type: boolean}}}",
    );
    let got: Vec<_> = diff(base, &rev).iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        got,
        vec![
            "request-property-became-not-nullable",
            "new-optional-request-property"
        ]
    );
    // `allOf: [$ref]` plus `nullable: true` next to it stays nullable
    let rev2 = base.replace(
        "opts: {$ref: '#/components/schemas/Opts'}",
        "opts: {nullable: true, allOf: [{$ref: '#/components/schemas/Opts'}]}",
    );
    assert!(diff(base, &rev2).is_empty());
}

#[test]
fn diff_command_exit_codes_formats_and_ignores() {
    use tollgate::cli::diff::{run, DiffArgs, DiffFormat};
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("base.yaml");
    let r = dir.path().join("rev.yaml");
    std::fs::write(&b, PETS).unwrap();
    std::fs::write(
        &r,
        PETS.replace(
            "        - {name: fields, in: query, schema: {type: string}}\n",
            "",
        ),
    )
    .unwrap();
    let args =
        |format, fail_on: Option<&str>, config: Option<std::path::PathBuf>, out: &str| DiffArgs {
            base: b.to_string_lossy().into(),
            revision: r.to_string_lossy().into(),
            format,
            output: Some(dir.path().join(out)),
            fail_on: fail_on.map(|s| s.parse().unwrap()),
            config,
            category: None,
        };
    // removing an optional query parameter is a warning: passes by default, fails with --fail-on warning
    assert_eq!(
        run(&args(DiffFormat::Text, None, None, "o.txt")).unwrap(),
        0
    );
    let text = std::fs::read_to_string(dir.path().join("o.txt")).unwrap();
    assert!(text.contains("rev.yaml:7:7: warning [request-parameter-removed] GET /pets/{petId}: deleted the query request parameter `fields`"), "{text}");
    assert_eq!(
        run(&args(DiffFormat::Json, Some("warning"), None, "o.json")).unwrap(),
        1
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.json")).unwrap()).unwrap();
    assert_eq!(json["summary"]["warning"], 1);
    assert_eq!(json["changes"][0]["base_position"][0], 9);
    assert_eq!(
        run(&args(DiffFormat::Sarif, Some("info"), None, "o.sarif")).unwrap(),
        1
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.sarif")).unwrap())
            .unwrap();
    let res = &sarif["runs"][0]["results"][0];
    assert_eq!(res["ruleId"], "request-parameter-removed");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    // a config ignore accepts it
    let cfg = dir.path().join("tollgate.toml");
    std::fs::write(&cfg, "[contract]\n[[contract.ignore]]\nid = \"request-parameter-removed\"\noperation = \"GET /pets/{id}\"\nreason = \"nobody used it\"\n").unwrap();
    assert_eq!(
        run(&args(DiffFormat::Markdown, Some("info"), Some(cfg), "o.md")).unwrap(),
        0
    );
    let md = std::fs::read_to_string(dir.path().join("o.md")).unwrap();
    assert!(md.contains("_(accepted: nobody used it)_"), "{md}");
    // unreadable input: an error naming the file
    let mut bad = args(DiffFormat::Text, None, None, "x.txt");
    bad.base = dir.path().join("missing.yaml").to_string_lossy().into();
    let e = run(&bad).unwrap_err().to_string();
    assert!(e.contains("missing.yaml"), "{e}");
    // git:REF:path parses
    assert_eq!(
        Source::from_arg("git:origin/main:api/openapi.yaml"),
        Source::Git {
            repo: ".".into(),
            rev: "origin/main".into(),
            path: "api/openapi.yaml".into()
        }
    );
}

#[test]
fn mutually_recursive_schemas_report_changes_for_every_entry_point() {
    let doc = |t: &str| {
        format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/A'}}\n  /b:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/B'}}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        b: {{$ref: '#/components/schemas/B'}}\n        x: {{type: {t}}}\n    B:\n      type: object\n      properties:\n        a: {{$ref: '#/components/schemas/A'}}\n"
        )
    };
    let changes = diff(&doc("string"), &doc("integer"));
    let got: Vec<_> = changes
        .iter()
        .map(|c| (c.id.as_str(), c.operation.as_deref().unwrap(), c.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("response-property-type-changed", "GET /a", 26),
            ("response-property-type-changed", "GET /b", 26)
        ]
    );
}

#[test]
fn sunset_from_the_sunset_response_header_and_invalid_dates() {
    let base = |sunset: &str| {
        format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /keep:\n    get:\n      responses:\n        '200': {{description: ok}}\n  /old:\n    get:\n      deprecated: true\n      responses:\n        '200':\n          description: ok\n          headers:\n            Sunset:\n              schema: {{type: string, default: '{sunset}'}}\n"
        )
    };
    let rev = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /keep:\n    get:\n      responses:\n        '200': {description: ok}\n";
    assert_eq!(
        ids(&diff(&base("Sat, 01 Jan 2999 00:00:00 GMT"), rev))[0].0,
        "api-path-removed-before-sunset"
    );
    assert_eq!(
        ids(&diff(&base("2001-01-01"), rev))[0].0,
        "api-path-removed-with-deprecation"
    );
    let bad = spec("a.yaml", "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      deprecated: true\n      x-sunset: next spring\n      responses:\n        '200': {description: ok}\n");
    let n = bad
        .notes
        .iter()
        .find(|n| n.code == "contract-sunset-date")
        .expect("a note");
    assert_eq!(n.line, Some(7));
}

#[test]
fn a_one_value_enum_and_const_are_the_same() {
    let a = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object, properties: {kind: {type: string, enum: [cat]}}}\n      responses:\n        '200': {description: ok}\n";
    let b = a
        .replace("3.0.3", "3.1.0")
        .replace("enum: [cat]", "const: cat");
    assert!(diff(a, &b).is_empty());
    let c = a
        .replace("3.0.3", "3.1.0")
        .replace("enum: [cat]", "const: dog");
    let got: Vec<_> = diff(a, &c).iter().map(|x| x.id.clone()).collect();
    assert_eq!(
        got,
        vec![
            "request-property-enum-value-added",
            "request-property-enum-value-removed"
        ]
    );
}

#[test]
fn odd_inputs_fail_cleanly_or_load() {
    let load = |t: &str| Spec::from_text(Source::File("x.yaml".into()), "x.yaml".into(), t);
    assert!(load("")
        .unwrap_err()
        .message
        .contains("not an OpenAPI document"));
    assert!(load("[1, 2]")
        .unwrap_err()
        .message
        .contains("not an OpenAPI document"));
    assert!(load("openapi: 2.5\n")
        .unwrap_err()
        .message
        .contains("unsupported OpenAPI version"));
    let deep = format!(
        "{{\"openapi\": \"3.1.0\", \"x\": {}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(load(&deep).is_err());
    // anchors and aliases resolve; numeric keys are strings
    let s = load("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200: &ok\n          description: ok\n        201: *ok\n").unwrap();
    assert_eq!(
        s.root()
            .pointer("/paths/~1a/get/responses/201/description")
            .and_then(|n| n.str()),
        Some("ok")
    );
    // a document with only components still diffs
    let c = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {type: string}\n";
    assert_eq!(
        ids(&diff(
            c,
            &c.replace(
                "    A: {type: string}\n",
                "    A: {type: string}\n    B: {type: string}\n"
            )
        )),
        vec![("api-schema-added".to_string(), Level::Info, 6)]
    );
}

#[test]
fn callbacks_are_compared_like_operations() {
    let base = r#"openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /subscribe:
    post:
      callbacks:
        onEvent:
          '{$request.body#/url}':
            post:
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        id: {type: string}
              responses:
                '200': {description: ok}
            delete:
              responses:
                '200': {description: ok}
      responses:
        '201': {description: ok}
"#;
    assert!(diff(base, base).is_empty());
    let rev = base
        .replace(
            "                      type: object\n",
            "                      type: object\n                      required: [id]\n",
        )
        .replace("            delete:\n              responses:\n                '200': {description: ok}\n", "");
    let got: Vec<_> = diff(base, &rev)
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                c.line,
                c.operation.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // located in the base (base.yaml sorts first)
            (
                "api-removed-without-deprecation".to_string(),
                19,
                "DELETE callback onEvent {$request.body#/url} of POST /subscribe".to_string()
            ),
            (
                "request-property-became-required".to_string(),
                15,
                "POST callback onEvent {$request.body#/url} of POST /subscribe".to_string()
            ),
        ]
    );
}

#[test]
fn json_schema_2020_keywords_reordered_or_inlined_are_silent() {
    let refd = r#"openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Tag: {type: string, pattern: '^[a-z]+$'}
    Thing:
      type: object
      properties:
        tags: {type: array, contains: {$ref: '#/components/schemas/Tag'}, minContains: 2, maxContains: 5, prefixItems: [{type: string}, {type: integer}], unevaluatedItems: false}
        n: {type: [number, 'null'], exclusiveMinimum: 0, exclusiveMaximum: 10}
        blob: {type: string, contentMediaType: application/json, contentSchema: {type: object}}
      dependentRequired: {a: [b, c]}
      dependentSchemas: {a: {required: [d]}}
      patternProperties: {'^x-': {type: string}}
      propertyNames: {pattern: '^[a-z-]+$'}
      unevaluatedProperties: false
      if: {required: [kind]}
      then: {required: [id]}
      else: {required: [name]}
      not: {required: [forbidden]}
      allOf:
        - {$ref: '#/components/schemas/Base'}
        - {description: extra}
    Base: {type: object, properties: {id: {type: string}}}
"#;
    // the same schema with keys reordered, `$ref`s inlined (Tag, Base) and lists reordered where order
    // does not matter
    let inlined = r#"openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /a:
    post:
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
          description: ok
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      not: {required: [forbidden]}
      else: {required: [name]}
      then: {required: [id]}
      if: {required: [kind]}
      unevaluatedProperties: false
      propertyNames: {pattern: '^[a-z-]+$'}
      patternProperties: {'^x-': {type: string}}
      dependentSchemas: {a: {required: [d]}}
      dependentRequired: {a: [c, b]}
      allOf:
        - {type: object, properties: {id: {type: string}}}
        - {description: extra}
      properties:
        blob: {contentSchema: {type: object}, contentMediaType: application/json, type: string}
        n: {exclusiveMaximum: 10, exclusiveMinimum: 0, type: ['null', number]}
        tags: {unevaluatedItems: false, prefixItems: [{type: string}, {type: integer}], maxContains: 5, minContains: 2, contains: {pattern: '^[a-z]+$', type: string}, type: array}
      type: object
"#;
    assert_eq!(diff(refd, refd), vec![]);
    let got = diff(refd, inlined);
    assert!(
        got.iter().all(|c| c.id == "api-schema-removed"),
        "{:#?}",
        ids(&got)
    );
    assert_eq!(got.len(), 2, "Tag and Base are no longer components");
    // and the 3.0 spelling of an exclusive bound equals the 3.1 one
    let v30 = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: n, in: query, schema: {type: number, maximum: 10, exclusiveMaximum: true}}\n      responses:\n        '200': {description: ok}\n";
    let v31 = v30.replace("3.0.3", "3.1.0").replace(
        "maximum: 10, exclusiveMaximum: true",
        "exclusiveMaximum: 10",
    );
    assert_eq!(diff(v30, &v31), vec![]);
    // a bound made exclusive tightens a request
    let tighter = v30.replace(
        "exclusiveMaximum: true",
        "exclusiveMaximum: true, minimum: 0",
    );
    assert_eq!(
        ids(&diff(v30, &tighter)),
        vec![("request-parameter-min-set".to_string(), Level::Warning, 7)]
    );
    let excl = v30.replace(", exclusiveMaximum: true", "");
    assert_eq!(
        ids(&diff(&excl, v30)),
        vec![(
            "request-parameter-exclusive-max-decreased".to_string(),
            Level::Error,
            7
        )]
    );
}
