//! Webhooks and property lifecycle beyond their fixtures: a webhook behind `$ref`s (components
//! `pathItems`, schemas, parameters) or reordered is the same webhook; the direction is the consumer's
//! (the same edit breaks a request body and is safe in a webhook payload, and the reverse); property
//! lifecycle keywords inlined or behind a `$ref` are the same.

use tollgate::contract::{diff_specs, Change, Level, Options, Source, Spec, SunsetPolicy};

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

fn diff_with(base: &str, rev: &str, opts: &Options) -> Vec<(String, Level, u32)> {
    diff_specs(&spec("base.yaml", base), &spec("revision.yaml", rev), opts)
        .iter()
        .map(|c: &Change| (c.id.clone(), c.level, c.line))
        .collect()
}

fn diff(base: &str, rev: &str) -> Vec<(String, Level, u32)> {
    diff_with(base, rev, &Options::default())
}

/// A webhook written inline: a signature header, a deprecated property with a sunset date and a
/// stability level, a payload that is required.
const INLINE: &str = r#"openapi: 3.1.0
info: {title: t, version: '1'}
webhooks:
  petAdopted:
    post:
      x-stability-level: beta
      parameters:
        - name: X-Signature
          in: header
          required: true
          schema: {type: string, pattern: '^sha256='}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [id]
              properties:
                id: {type: integer}
                legacyName: {type: string, deprecated: true, x-sunset: '2031-01-01', x-stability-level: beta}
      responses:
        '200': {description: ok}
"#;

/// The same webhook through components (`pathItems`, `parameters`, `schemas`), keys reordered.
const REFD: &str = r#"openapi: 3.1.0
info: {version: '1', title: t}
webhooks:
  petAdopted: {$ref: '#/components/pathItems/PetAdopted'}
components:
  pathItems:
    PetAdopted:
      post:
        responses:
          '200': {description: ok}
        requestBody:
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Adoption'}
          required: true
        parameters:
          - $ref: '#/components/parameters/Signature'
        x-stability-level: beta
  parameters:
    Signature:
      schema: {pattern: '^sha256=', type: string}
      required: true
      in: header
      name: X-Signature
  schemas:
    Adoption:
      properties:
        legacyName: {x-stability-level: beta, x-sunset: '2031-01-01', deprecated: true, type: string}
        id: {type: integer}
      required: [id]
      type: object
"#;

#[test]
fn a_webhook_behind_refs_or_reordered_is_the_same_webhook() {
    let strict = Options {
        sunset_policy: SunsetPolicy::SunsetDate,
        min_sunset_days: 30,
        ..Options::default()
    };
    assert_eq!(diff(INLINE, INLINE), vec![]);
    // only the schema that is now a component is new
    assert_eq!(
        diff_with(INLINE, REFD, &strict),
        vec![("api-schema-added".to_string(), Level::Info, 26)]
    );
    assert_eq!(
        diff_with(REFD, INLINE, &strict),
        vec![("api-schema-removed".to_string(), Level::Info, 26)]
    );
    // `x-webhooks` (3.0 extension) is read the same way
    let x = INLINE
        .replace("openapi: 3.1.0", "openapi: 3.0.3")
        .replace("webhooks:", "x-webhooks:");
    assert_eq!(diff(&x, &x), vec![]);
}

#[test]
fn webhook_changes_are_judged_in_the_consumers_direction() {
    // the signature header becomes optional, the payload becomes optional, `id` is no longer
    // required, a property is added, the webhook is deprecated and loses stability
    let rev = INLINE
        .replace(
            "      x-stability-level: beta\n",
            "      x-stability-level: alpha\n      deprecated: true\n",
        )
        .replace(
            "          in: header\n          required: true",
            "          in: header\n          required: false",
        )
        .replace(
            "        required: true\n        content:",
            "        required: false\n        content:",
        )
        .replace("              required: [id]", "              required: []")
        .replace(
            "                id: {type: integer}",
            "                id: {type: integer}\n                breed: {type: string}",
        );
    let got = diff(INLINE, &rev);
    assert_eq!(
        got,
        vec![
            ("webhook-stability-decreased".to_string(), Level::Error, 6),
            ("webhook-deprecated".to_string(), Level::Info, 7),
            (
                "webhook-parameter-became-optional".to_string(),
                Level::Error,
                11
            ),
            (
                "webhook-payload-became-optional".to_string(),
                Level::Error,
                14
            ),
            (
                "response-property-became-optional".to_string(),
                Level::Error,
                19
            ),
            (
                "response-optional-property-added".to_string(),
                Level::Info,
                22
            ),
        ]
    );
    // the reverse: all safe for consumers (or lifecycle notes)
    assert_eq!(
        diff(&rev, INLINE),
        vec![
            ("webhook-reactivated".to_string(), Level::Info, 5),
            ("webhook-stability-increased".to_string(), Level::Info, 6),
            (
                "webhook-parameter-became-required".to_string(),
                Level::Info,
                10
            ),
            (
                "webhook-payload-became-required".to_string(),
                Level::Info,
                13
            ),
            (
                "response-property-became-required".to_string(),
                Level::Info,
                18
            ),
            (
                "response-optional-property-removed".to_string(),
                Level::Warning,
                19
            ),
        ]
    );
    // the same edit in a request body is the other way round: a new required property breaks
    // clients that send, while the webhook consumer only receives more
    let body = |req: &str| {
        format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [{req}]\n              properties:\n                id: {{type: integer}}\n                n: {{type: integer}}\n      responses:\n        '200': {{description: ok}}\n"
        )
    };
    assert_eq!(
        diff(&body("id"), &body("id, n")),
        vec![(
            "request-property-became-required".to_string(),
            Level::Error,
            11
        )]
    );
}

#[test]
fn property_lifecycle_behind_a_ref_and_inline_are_the_same() {
    let doc = |prop: &str, comps: &str| {
        format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  p: {prop}\n{comps}"
        )
    };
    let inline = doc("{type: string, x-stability-level: stable}", "");
    let refd = doc(
        "{$ref: '#/components/schemas/P'}",
        "components:\n  schemas:\n    P: {x-stability-level: stable, type: string}\n",
    );
    assert_eq!(
        diff(&inline, &refd),
        vec![("api-schema-added".to_string(), Level::Info, 17)]
    );
    assert_eq!(
        diff(&refd, &inline),
        vec![("api-schema-removed".to_string(), Level::Info, 17)]
    );
    // a decrease behind the $ref is found at the component, for the operation that uses it
    let lower = refd.replace("x-stability-level: stable", "x-stability-level: draft");
    assert_eq!(
        diff(&refd, &lower),
        vec![(
            "response-property-stability-decreased".to_string(),
            Level::Error,
            17
        )]
    );
    // an unknown level on either side is not a decrease (nor an increase)
    let odd = refd.replace("x-stability-level: stable", "x-stability-level: preview");
    assert_eq!(diff(&refd, &odd), vec![]);
}

#[test]
fn what_consumers_answer_is_judged_like_a_request() {
    let doc = |resp: &str| {
        format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\nwebhooks:\n  ping:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {{type: object}}\n      responses:\n{resp}"
        )
    };
    let base = doc("        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  ok: {type: boolean}\n");
    // the API now requires `ok` in the answer: consumers that leave it out break
    let required = base.replace(
        "                type: object\n",
        "                type: object\n                required: [ok]\n",
    );
    assert_eq!(
        diff(&base, &required),
        vec![(
            "request-property-became-required".to_string(),
            Level::Error,
            17
        )]
    );
    assert_eq!(
        diff(&required, &base),
        vec![(
            "request-property-became-optional".to_string(),
            Level::Info,
            18
        )]
    );
    // 200 no longer accepted, 204 instead
    let other = doc("        '204':\n          description: no content\n");
    assert_eq!(
        diff(&base, &other),
        vec![
            (
                "webhook-success-status-removed".to_string(),
                Level::Error,
                10
            ),
            ("webhook-success-status-added".to_string(), Level::Info, 11),
        ]
    );
}
