//! `POST /v1/contract-diffs`: two API descriptions sent as text, compared as `tollgate diff` compares two
//! files. Text sources never follow `$ref`s to files, so a document cannot make the service read its disk.

use super::problem::Problem;
use crate::contract::spec::{Source, Spec};
use crate::contract::{self, Config, Level, LevelThreshold};
use crate::engine;
use crate::gate;
use crate::report::{self, Format, Report};
use axum::http::StatusCode;
use serde_json::Value;

pub struct DiffOutput {
    pub json: Value,
    pub sarif: String,
}

fn load(name: &str, text: &str, which: &str) -> Result<Spec, Problem> {
    Spec::from_text(
        Source::Text {
            name: name.to_string(),
            text: text.to_string(),
        },
        name.to_string(),
        text,
    )
    .map_err(|e| {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-document",
            "An API description cannot be read",
            format!("{which}: {}", e.message),
        )
        .with("document", which);
        if let Some(l) = e.line {
            p = p.with("line", l);
        }
        p
    })
}

pub fn diff(
    cfg: &Config,
    base: &str,
    revision: &str,
    name: Option<String>,
    fail_on: Option<String>,
) -> Result<DiffOutput, Problem> {
    let name = name.unwrap_or_else(|| "openapi.yaml".into());
    let threshold = match fail_on.as_deref() {
        Some(v) => v
            .parse::<LevelThreshold>()
            .map_err(|e| Problem::bad_request(format!("`fail_on`: {e}")))?,
        None => cfg.fail_on.unwrap_or(LevelThreshold::Level(Level::Error)),
    };
    let b = load(&name, base, "base")?;
    let r = load(&name, revision, "revision")?;
    let changes = contract::diff_specs(&b, &r, &cfg.options());
    let mut notes = b.notes.clone();
    notes.extend(r.notes.iter().cloned());
    let result = engine::diff_result(&changes, &notes, cfg);
    let verdict = gate::evaluate(&engine::diff_policy(threshold), &result);
    let rep = Report {
        result: &result,
        verdict: &verdict,
        category: None,
        all_rules: false,
    };
    let sarif = report::render(&rep, Format::Sarif, false);
    let mut json: Value = crate::doc::json::from_str(
        &contract::render_json(&changes, &notes, cfg),
        &crate::doc::Limits::DEFAULT,
    )
    .unwrap_or(Value::Null);
    json["verdict"] = serde_json::to_value(&verdict).unwrap_or(Value::Null);
    Ok(DiffOutput { json, sarif })
}
