//! How a caller steers a running scan without the library knowing its face: a progress callback (the CLI
//! draws a bar, the server counts files for `GET /v1/scans/{id}`) and a cancellation token with an optional
//! deadline (`DELETE /v1/scans/{id}`, the per-scan time budget, SIGTERM).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What a scan tells its caller while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// This many more file checks are done (a file counts once per job that looked at it).
    Files(u64),
    /// A line for people: what the scan is doing now.
    Message(String),
    /// The scan is over (finished, failed or cancelled).
    Finished,
}

type Callback = dyn Fn(ProgressEvent) + Send + Sync;

/// A progress callback; cheap to clone, a no-op when none was given.
#[derive(Clone, Default)]
pub struct Progress {
    callback: Option<Arc<Callback>>,
    files: Arc<AtomicU64>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("files", &self.files.load(Ordering::Relaxed))
            .finish()
    }
}

impl Progress {
    /// No reporting at all.
    pub fn none() -> Self {
        Progress::default()
    }

    /// Report to `callback` (called from worker threads: keep it short).
    pub fn new(callback: impl Fn(ProgressEvent) + Send + Sync + 'static) -> Self {
        Progress {
            callback: Some(Arc::new(callback)),
            files: Arc::default(),
        }
    }

    /// `n` more file checks are done.
    pub fn inc(&self, n: u64) {
        self.files.fetch_add(n, Ordering::Relaxed);
        if let Some(cb) = &self.callback {
            cb(ProgressEvent::Files(n));
        }
    }

    pub fn set_message(&self, message: impl Into<String>) {
        if let Some(cb) = &self.callback {
            cb(ProgressEvent::Message(message.into()));
        }
    }

    pub fn finish(&self) {
        if let Some(cb) = &self.callback {
            cb(ProgressEvent::Finished);
        }
    }

    /// File checks done so far.
    pub fn files_done(&self) -> u64 {
        self.files.load(Ordering::Relaxed)
    }
}

/// Why a scan stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// The caller asked (`DELETE /v1/scans/{id}`, shutdown).
    Requested,
    /// The scan's time budget ran out.
    Deadline,
}

/// Shared between the caller and the scan: `cancel()` from anywhere, checked by the engine and by
/// [`super::ScanContext::read_text`] before every file.
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    deadline: Mutex<Option<Instant>>,
}

impl CancelToken {
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// A token that also fires at `deadline`.
    pub fn with_deadline(deadline: Instant) -> Self {
        let t = CancelToken::default();
        *t.inner.deadline.lock().unwrap() = Some(deadline);
        t
    }

    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.reason().is_some()
    }

    /// Whether, and why, the scan should stop.
    pub fn reason(&self) -> Option<CancelReason> {
        if self.inner.cancelled.load(Ordering::Relaxed) {
            return Some(CancelReason::Requested);
        }
        match *self.inner.deadline.lock().unwrap() {
            Some(d) if Instant::now() >= d => Some(CancelReason::Deadline),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_and_calls_back() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let p = Progress::new(move |e| s.lock().unwrap().push(e));
        p.inc(2);
        p.inc(3);
        p.finish();
        assert_eq!(p.files_done(), 5);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                ProgressEvent::Files(2),
                ProgressEvent::Files(3),
                ProgressEvent::Finished
            ]
        );
        Progress::none().inc(1);
    }

    #[test]
    fn cancel_by_request_and_by_deadline() {
        let t = CancelToken::new();
        let clone = t.clone();
        assert!(!t.is_cancelled());
        clone.cancel();
        assert_eq!(t.reason(), Some(CancelReason::Requested));
        let d = CancelToken::with_deadline(Instant::now());
        assert_eq!(d.reason(), Some(CancelReason::Deadline));
        let later = CancelToken::with_deadline(Instant::now() + std::time::Duration::from_secs(60));
        assert!(!later.is_cancelled());
    }
}
