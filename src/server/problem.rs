//! Errors as RFC 9457 problem details (`application/problem+json`), each with a stable `type` URI that
//! clients can switch on; `openapi.yaml` lists them.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Base of every problem `type`.
pub const TYPE_BASE: &str = "https://tollgate.dev/problems/";

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// The last segment of the `type` URI (`invalid-archive`, `limit-exceeded` ...).
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    /// Extension members (`entry`, `limit` ...).
    pub extra: Map<String, Value>,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            kind,
            title,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "Invalid request",
            detail,
        )
    }

    pub fn invalid_archive(detail: impl Into<String>, entry: Option<&str>) -> Self {
        let p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-archive",
            "The uploaded tree cannot be accepted",
            detail,
        );
        match entry {
            Some(e) => p.with("entry", e),
            None => p,
        }
    }

    pub fn limit(limit: &'static str, value: u64, detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit-exceeded",
            "A limit of the service was exceeded",
            detail,
        )
        .with("limit", limit)
        .with("limit_value", value)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "Not possible in the resource's current state",
            detail,
        )
    }

    pub fn too_busy(detail: impl Into<String>) -> Self {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-busy",
            "Too many scans at once",
            detail,
        );
        p.retry_after = Some(1);
        p
    }

    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            "send `Authorization: Bearer <token>` with a token the service knows",
        )
    }

    pub fn unsupported_media(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    pub fn not_acceptable(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            "No acceptable representation",
            detail,
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is not ready",
            detail,
        );
        p.retry_after = Some(5);
        p
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }

    pub fn body(&self) -> Value {
        let mut v = json!({
            "type": format!("{TYPE_BASE}{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        for (k, x) in &self.extra {
            v[k] = x.clone();
        }
        v
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.kind, self.detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

impl From<crate::error::Error> for Problem {
    fn from(e: crate::error::Error) -> Self {
        use crate::error::Error;
        match e {
            Error::Usage(m) => Problem::bad_request(m),
            Error::Config { .. } | Error::Rule { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-config",
                "The configuration in the uploaded tree is invalid",
                e.to_string(),
            ),
            Error::Cancelled => Problem::conflict("the scan was cancelled"),
            Error::TimedOut => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "scan-timeout",
                "The scan ran out of its time budget",
                e.to_string(),
            ),
            other => Problem::internal(other.to_string()),
        }
    }
}
