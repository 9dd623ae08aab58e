//! `[contract] check-code = true`: the scan job compares the tree's Flask / FastAPI routes with its one
//! OpenAPI document (findings on the route line and the operation line); off by default.

use tollgate::contract::{Config, ContractJob};
use tollgate::model::{Job, ScanContext, SourceFile};

const DOC: &str = "openapi: 3.1.0
info: {title: t, version: '1'}
servers:
  - url: /api
paths:
  /users/{id}:
    get:
      responses: {'200': {description: ok}}
  /users:
    post:
      responses: {'201': {description: created}}
";

const APP: &str = "from fastapi import FastAPI, APIRouter
app = FastAPI()
users = APIRouter(prefix='/users')

@users.get('/{user_id}')
def get_user(user_id: int): ...

@users.delete('/{user_id}')
def delete_user(user_id: int): ...

app.include_router(users, prefix='/api')
";

fn scan(check_code: bool, files: &[(&str, &str)]) -> Vec<(String, String, u32)> {
    let dir = tempfile::tempdir().unwrap();
    let mut list = Vec::new();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        list.push(SourceFile {
            rel: rel.to_string(),
            abs: p,
            size: text.len() as u64,
        });
    }
    let cfg = Config {
        check_code,
        ..Config::default()
    };
    let out = ContractJob::new(&cfg, &[])
        .unwrap()
        .scan(&list, &ScanContext::new(dir.path().to_path_buf()));
    out.findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.location.path.clone(),
                f.location.start_line,
            )
        })
        .collect()
}

#[test]
fn routes_missing_from_the_document_and_operations_no_route_serves() {
    let files = [
        ("openapi.yaml", DOC),
        ("app/main.py", APP),
        // test code builds its own apps: not the service
        (
            "tests/test_app.py",
            "from flask import Flask\napp = Flask(__name__)\n@app.get('/x')\ndef x(): ...\n",
        ),
    ];
    assert_eq!(
        scan(true, &files),
        vec![
            (
                "code-operation-undocumented".into(),
                "app/main.py".into(),
                8
            ),
            ("code-operation-unserved".into(), "openapi.yaml".into(), 10),
        ]
    );
    assert_eq!(scan(false, &files), vec![]);
    // two documents: which one the code serves cannot be told, nothing is compared
    let two = [
        ("openapi.yaml", DOC),
        ("other/openapi.yaml", DOC),
        ("app/main.py", APP),
    ];
    assert_eq!(scan(true, &two), vec![]);
}
