//! The generic detectors (see `docs/secrets.md`).

use super::rules::Detector;

/// A value found by a generic detector.
#[derive(Debug, Clone)]
pub struct GenericHit {
    pub detector: Detector,
    pub start: usize,
    pub end: usize,
    pub key: Option<String>,
    pub kind: Option<&'static str>,
    pub decoded: Option<String>,
}

pub fn detect(_rel: &str, _text: &str, _password: bool, _assignment: bool) -> Vec<GenericHit> {
    Vec::new()
}
