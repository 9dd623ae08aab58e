//! Kubernetes `kind: Secret` manifests: `stringData` values and base64-decoded `data` values.

use super::*;
use assign::parse_value;
use names::{classify, words};

/// `kind: Secret` documents: every `stringData` value, every `data` value (base64-decoded).
pub(super) fn kubernetes_secrets(text: &str, out: &mut Vec<GenericHit>) {
    let mut doc_start = 0usize;
    let mut docs = Vec::new();
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            docs.push((doc_start, pos));
            doc_start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push((doc_start, text.len()));
    for (ds, de) in docs {
        let doc = &text[ds..de];
        let is_secret = doc.lines().any(|l| {
            let t = l.trim_end();
            t == "kind: Secret" || t == "kind: \"Secret\"" || t == "kind: 'Secret'"
        });
        if doc.lines().any(|l| l.trim_end() == "kind: SealedSecret") {
            sealed_values(text, ds, doc, out);
            continue;
        }
        if !is_secret {
            continue;
        }
        let mut section: Option<bool> = None; // Some(true) = data (base64), Some(false) = stringData
        let mut off = ds;
        for line in doc.split_inclusive('\n') {
            let lstart = off;
            off += line.len();
            let l = line.trim_end_matches(['\n', '\r']);
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = l.len() - trimmed.len();
            if indent == 0 {
                section = match trimmed.trim_end() {
                    "data:" => Some(true),
                    "stringData:" => Some(false),
                    _ => None,
                };
                continue;
            }
            let Some(base64) = section else { continue };
            let Some(colon) = trimmed.find(": ") else {
                continue;
            };
            let key = trimmed[..colon].trim_matches(['"', '\'']);
            let vstart_in = indent + colon + 2;
            let bytes = text.as_bytes();
            let Some(v) = parse_value(bytes, lstart + vstart_in, lstart + l.len(), false) else {
                continue;
            };
            let raw = &text[v.start..v.end];
            if raw.starts_with('|') || raw.starts_with('>') {
                continue;
            }
            let weak_key = is_non_secret_k8s_key(key);
            let class = if classify(key) == Some(Class::Password) {
                Class::Password
            } else {
                Class::Secret
            };
            let detector = match class {
                Class::Password => Detector::GenericPassword,
                Class::Secret => Detector::GenericSecretAssignment,
            };
            if base64 {
                let Some(decoded) = base64_decode(raw) else {
                    continue;
                };
                let decoded = String::from_utf8_lossy(&decoded).into_owned();
                let value_ok =
                    !weak_key && !is_placeholder(decoded.trim(), Class::Password, Some(key));
                out.push(GenericHit {
                    detector,
                    start: v.start,
                    end: v.end,
                    key: Some(format!("data.{key}")),
                    kind: Some("kubernetes-secret"),
                    decoded: Some(decoded),
                    only_if_provider: !value_ok,
                });
            } else {
                if weak_key || is_placeholder(raw, Class::Password, Some(key)) {
                    continue;
                }
                out.push(GenericHit {
                    detector,
                    start: v.start,
                    end: v.end,
                    key: Some(format!("stringData.{key}")),
                    kind: Some("kubernetes-secret"),
                    decoded: None,
                    only_if_provider: false,
                });
            }
        }
    }
}

/// Keys of a Kubernetes Secret whose values are usually not secret (certificates, user names, hosts).
pub(super) fn is_non_secret_k8s_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let ws = words(&k);
    let last = ws.last().map(String::as_str).unwrap_or("");
    k.ends_with(".crt")
        || k.ends_with(".pem") && !k.contains("key")
        || k.ends_with(".pub")
        || matches!(
            last,
            "crt"
                | "cert"
                | "certificate"
                | "ca"
                | "username"
                | "user"
                | "login"
                | "host"
                | "hostname"
                | "port"
                | "database"
                | "db"
                | "dbname"
                | "name"
                | "namespace"
                | "region"
                | "email"
                | "endpoint"
                | "bucket"
                | "server"
                | "project"
                | "id"
        )
}

/// Bitnami `SealedSecret` `encryptedData` values are ciphertext for the cluster's key: recorded as hits that
/// only a provider rule could claim, so that no other detector reports them.
fn sealed_values(text: &str, ds: usize, doc: &str, out: &mut Vec<GenericHit>) {
    let mut inside: Option<usize> = None;
    let mut off = ds;
    for line in doc.split_inclusive('\n') {
        let lstart = off;
        off += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        let t = l.trim_start();
        let indent = l.len() - t.len();
        if t == "encryptedData:" {
            inside = Some(indent);
            continue;
        }
        let Some(base) = inside else { continue };
        if t.is_empty() {
            continue;
        }
        if indent <= base {
            inside = None;
            continue;
        }
        if let Some(c) = t.find(": ") {
            let start = lstart + indent + c + 2;
            let end = lstart + l.len();
            if end > start && text.is_char_boundary(start) {
                out.push(GenericHit {
                    detector: Detector::GenericPassword,
                    start,
                    end,
                    key: None,
                    kind: Some("kubernetes-sealed"),
                    decoded: None,
                    only_if_provider: true,
                });
            }
        }
    }
}
