//! Background workers: take queued scans from the store under a lease, renew the lease while the scan runs
//! (publishing progress and picking up cancellation from any replica), and store the result only while
//! the lease is still theirs. On shutdown a worker lets its scan finish within the grace period, then gives
//! it back to the queue for another replica.

use super::input::Submission;
use super::store::{Claimed, Outcome, Renewal};
use super::{exec, now_ms, Shared};
use crate::model::{CancelToken, Progress};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::task::JoinHandle;

pub fn spawn_all(state: Shared) -> Vec<JoinHandle<()>> {
    (0..state.config.workers)
        .map(|i| tokio::spawn(worker_loop(state.clone(), i)))
        .collect()
}

async fn worker_loop(state: Shared, n: usize) {
    let poll = Duration::from_millis(500);
    while !state.is_shutting_down() {
        // A worker runs a scan only when this replica has room for one more.
        let permit = match state.scan_slots.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => return,
        };
        let lease_ms = state.config.lease.as_millis() as i64;
        let claimed = match state
            .store
            .claim(&state.worker_id, now_ms(), lease_ms)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(worker = n, error = %e, "cannot take a scan from the store");
                None
            }
        };
        let Some(c) = claimed else {
            drop(permit);
            tokio::select! {
                _ = state.queued.notified() => {},
                _ = tokio::time::sleep(poll) => {},
            }
            continue;
        };
        run_claimed(&state, c).await;
        drop(permit);
    }
}

async fn run_claimed(state: &Shared, c: Claimed) {
    let id = c.id.clone();
    let worker = state.worker_id.clone();
    tracing::info!(scan = %id, attempt = c.attempts, %worker, "scan taken");
    let decoded: Result<Submission, String> =
        bincode::serde::decode_from_slice(&c.input, bincode::config::standard())
            .map(|(s, _)| s)
            .map_err(|e| e.to_string());
    let sub = match decoded {
        Ok(s) => s,
        Err(e) => {
            let out = Outcome {
                status: "failed",
                verdict: Some("error".into()),
                error: Some(format!("the stored input cannot be read: {e}")),
                ..Default::default()
            };
            store_outcome(state, &c, out, 0).await;
            return;
        }
    };
    let cancel =
        CancelToken::with_deadline(std::time::Instant::now() + state.config.limits.scan_timeout);
    let progress = Progress::none();
    state.metrics.running.inc();
    let st = state.clone();
    let (cancel2, progress2) = (cancel.clone(), progress.clone());
    let mut task =
        tokio::task::spawn_blocking(move || exec::execute(&st, sub, 0, progress2, cancel2));
    let renew_every = (state.config.lease / 3).max(Duration::from_millis(100));
    let mut shutdown_deadline: Option<tokio::time::Instant> = None;
    let mut released = false;
    let result = loop {
        tokio::select! {
            r = &mut task => break r,
            _ = tokio::time::sleep(renew_every) => {
                let lease_until = now_ms() + state.config.lease.as_millis() as i64;
                match state.store.renew(&c, &worker, lease_until, progress.files_done() as i64).await {
                    Ok(Renewal::Held { cancel_requested: true }) => cancel.cancel(),
                    Ok(Renewal::Held { .. }) => {}
                    Ok(Renewal::Lost) => {
                        tracing::warn!(scan = %id, "lease lost: another worker owns the scan now");
                        cancel.cancel();
                    }
                    Err(e) => tracing::warn!(scan = %id, error = %e, "cannot renew the lease"),
                }
                if state.is_shutting_down() {
                    let d = *shutdown_deadline.get_or_insert_with(|| {
                        tokio::time::Instant::now() + state.config.shutdown_grace
                    });
                    if tokio::time::Instant::now() >= d && !released {
                        // Out of grace: give the scan back so another replica runs it.
                        released = state.store.release(&c, &worker).await.unwrap_or(false);
                        tracing::info!(scan = %id, released, "shutdown: scan given back to the queue");
                        cancel.cancel();
                    }
                }
            }
        }
    };
    state.metrics.running.dec();
    if released {
        return;
    }
    let files = progress.files_done() as i64;
    let out = match result {
        Ok(Ok(ex)) => {
            state.metrics.record_scan(&ex);
            Outcome {
                status: "done",
                verdict: Some(verdict_str(&ex)),
                summary: Some(ex.summary().to_string()),
                report: Some(ex.report),
                sarif: Some(ex.sarif),
                error: None,
                ignored_keys: Some(serde_json::to_string(&ex.ignored_keys).unwrap_or_default()),
            }
        }
        Ok(Err(p)) => {
            let cancelled = p.kind == "conflict"
                && cancel.reason() == Some(crate::model::CancelReason::Requested);
            state
                .metrics
                .scans_by_verdict
                .get_or_create(&super::metrics::VerdictLabel {
                    verdict: if cancelled {
                        "cancelled".into()
                    } else {
                        "error".into()
                    },
                })
                .inc();
            Outcome {
                status: if cancelled { "cancelled" } else { "failed" },
                verdict: Some("error".into()),
                error: Some(p.detail.clone()),
                ..Default::default()
            }
        }
        Err(join) => Outcome {
            status: "failed",
            verdict: Some("error".into()),
            error: Some(format!("the scan stopped unexpectedly: {join}")),
            ..Default::default()
        },
    };
    store_outcome(state, &c, out, files).await;
}

fn verdict_str(ex: &exec::Executed) -> String {
    serde_json::to_value(ex.verdict.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "error".into())
}

async fn store_outcome(state: &Shared, c: &Claimed, out: Outcome, files: i64) {
    let now = now_ms();
    let expires = now + state.config.retention.as_millis() as i64;
    match state
        .store
        .finish(c, &state.worker_id, now, expires, files, &out)
        .await
    {
        Ok(true) => {
            state.metrics.completions.fetch_add(1, Ordering::Relaxed);
            tracing::info!(scan = %c.id, status = out.status, verdict = ?out.verdict, "scan committed");
        }
        Ok(false) => tracing::warn!(scan = %c.id, "result dropped: the lease was no longer ours"),
        Err(e) => tracing::error!(scan = %c.id, error = %e, "cannot store the result"),
    }
}

pub use exec::Executed;
