//! The job store: every scan the service accepted, its state and its result. SQLite in `--data-dir` by
//! default (nothing to install), PostgreSQL with `--database-url` so that several replicas share one queue.
//! One code path for both through sqlx's `any` driver; the only dialect difference is the
//! `FOR UPDATE SKIP LOCKED` that lets PostgreSQL replicas take different rows at once (SQLite has one
//! writer, so its `UPDATE ... RETURNING` is already atomic).
//!
//! A taken scan carries a lease (`worker`, `lease_until_ms`, `attempts`): its worker renews it while it
//! runs, and every later write is conditional on the lease still being the worker's, so a scan whose worker
//! died is taken again when its lease runs out and is finished exactly once.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;

/// A scan is given up after this many takes whose worker disappeared.
pub const MAX_ATTEMPTS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    pub dialect: Dialect,
}

/// A scan as listed and shown (no input, no report bodies).
#[derive(Debug, Clone)]
pub struct ScanRow {
    pub id: String,
    pub status: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub category: Option<String>,
    pub verdict: Option<String>,
    pub files_done: i64,
    pub input_bytes: i64,
    pub attempts: i64,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub ignored_keys: Option<String>,
}

const ROW_COLUMNS: &str =
    "id, status, created_ms, started_ms, finished_ms, category, verdict, files_done, \
                           input_bytes, attempts, summary, error, ignored_keys";

fn scan_row(r: &AnyRow) -> Result<ScanRow, sqlx::Error> {
    Ok(ScanRow {
        id: r.try_get("id")?,
        status: r.try_get("status")?,
        created_ms: r.try_get("created_ms")?,
        started_ms: r.try_get("started_ms")?,
        finished_ms: r.try_get("finished_ms")?,
        category: r.try_get("category")?,
        verdict: r.try_get("verdict")?,
        files_done: r.try_get("files_done")?,
        input_bytes: r.try_get("input_bytes")?,
        attempts: r.try_get("attempts")?,
        summary: r.try_get("summary")?,
        error: r.try_get("error")?,
        ignored_keys: r.try_get("ignored_keys")?,
    })
}

/// A scan a worker has taken.
#[derive(Debug)]
pub struct Claimed {
    pub id: String,
    pub attempts: i64,
    pub params: String,
    pub input: Vec<u8>,
}

/// The end of a scan, as stored.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `done`, `failed` or `cancelled`.
    pub status: &'static str,
    pub verdict: Option<String>,
    pub summary: Option<String>,
    pub report: Option<String>,
    pub sarif: Option<String>,
    pub error: Option<String>,
    pub ignored_keys: Option<String>,
}

/// What renewing a lease found.
#[derive(Debug, PartialEq, Eq)]
pub enum Renewal {
    Held { cancel_requested: bool },
    Lost,
}

/// What `DELETE /v1/scans/{id}` did.
#[derive(Debug, PartialEq, Eq)]
pub enum CancelResult {
    NotFound,
    /// It had not started: it is cancelled now.
    Cancelled,
    /// It is running: its worker stops it at its next renewal.
    Requested,
    /// It had already ended (with this status).
    AlreadyEnded(String),
}

/// Filters of `GET /v1/scans`.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub verdict: Option<String>,
    pub category: Option<String>,
}

impl Store {
    /// Connect and apply the migrations. `url`: `sqlite://PATH?mode=rwc` or `postgres://...`.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL {url:?} (sqlite:// or postgres://)").into(),
            ));
        };
        let mut opts = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(15));
        if dialect == Dialect::Sqlite {
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA busy_timeout = 15000",
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = opts.connect(url).await?;
        match dialect {
            Dialect::Sqlite => sqlx::migrate!("src/server/migrations/sqlite")
                .run(&pool)
                .await
                .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?,
            Dialect::Postgres => sqlx::migrate!("src/server/migrations/postgres")
                .run(&pool)
                .await
                .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?,
        }
        Ok(Store { pool, dialect })
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Queue an async scan.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_queued(
        &self,
        id: &str,
        now_ms: i64,
        expires_ms: i64,
        category: Option<&str>,
        params: &str,
        input: &[u8],
        input_bytes: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO scans (id, status, created_ms, expires_ms, category, params, input, input_bytes) \
             VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(now_ms)
        .bind(expires_ms)
        .bind(category)
        .bind(params)
        .bind(input)
        .bind(input_bytes)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Record a scan that ran inside its request (a small, synchronous scan).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_finished(
        &self,
        id: &str,
        created_ms: i64,
        now_ms: i64,
        expires_ms: i64,
        category: Option<&str>,
        params: &str,
        input_bytes: i64,
        files_done: i64,
        out: &Outcome,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO scans (id, status, created_ms, started_ms, finished_ms, expires_ms, category, \
             params, input_bytes, files_done, attempts, verdict, summary, report, sarif, error, ignored_keys) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id)
        .bind(out.status)
        .bind(created_ms)
        .bind(now_ms)
        .bind(expires_ms)
        .bind(category)
        .bind(params)
        .bind(input_bytes)
        .bind(files_done)
        .bind(out.verdict.as_deref())
        .bind(out.summary.as_deref())
        .bind(out.report.as_deref())
        .bind(out.sarif.as_deref())
        .bind(out.error.as_deref())
        .bind(out.ignored_keys.as_deref())
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Scans waiting to run.
    pub async fn queued(&self) -> Result<i64, sqlx::Error> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM scans WHERE status = 'queued'")
            .fetch_one(&self.pool)
            .await?;
        r.try_get::<i64, _>("n")
    }

    /// Take the oldest runnable scan: queued, or running under a lease that ran out.
    pub async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<Claimed>, sqlx::Error> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE scans SET status = 'running', worker = $1, lease_until_ms = $2, \
             attempts = attempts + 1, started_ms = COALESCE(started_ms, $3) \
             WHERE id = (SELECT id FROM scans WHERE cancel_requested = 0 AND attempts < {MAX_ATTEMPTS} \
               AND (status = 'queued' OR (status = 'running' AND lease_until_ms < $3)) \
               ORDER BY created_ms, id LIMIT 1{lock}) \
             RETURNING id, attempts, params, input"
        );
        let row = sqlx::query(&sql)
            .bind(worker)
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Claimed {
                id: r.try_get("id")?,
                attempts: r.try_get("attempts")?,
                params: r.try_get("params")?,
                input: r
                    .try_get::<Option<Vec<u8>>, _>("input")?
                    .unwrap_or_default(),
            })
        })
        .transpose()
    }

    /// Extend a lease and publish progress; says whether the lease is still ours and if cancel was asked.
    pub async fn renew(
        &self,
        c: &Claimed,
        worker: &str,
        lease_until_ms: i64,
        files_done: i64,
    ) -> Result<Renewal, sqlx::Error> {
        let row = sqlx::query(
            "UPDATE scans SET lease_until_ms = $1, files_done = $2 \
             WHERE id = $3 AND worker = $4 AND attempts = $5 AND status = 'running' \
             RETURNING cancel_requested",
        )
        .bind(lease_until_ms)
        .bind(files_done)
        .bind(&c.id)
        .bind(worker)
        .bind(c.attempts)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => Renewal::Lost,
            Some(r) => Renewal::Held {
                cancel_requested: r.try_get::<i64, _>("cancel_requested")? != 0,
            },
        })
    }

    /// Store the end of a taken scan, if the lease is still ours; `false` means another worker owns it now
    /// and this result is dropped.
    pub async fn finish(
        &self,
        c: &Claimed,
        worker: &str,
        now_ms: i64,
        expires_ms: i64,
        files_done: i64,
        out: &Outcome,
    ) -> Result<bool, sqlx::Error> {
        let r = sqlx::query(
            "UPDATE scans SET status = $1, verdict = $2, summary = $3, report = $4, sarif = $5, \
             error = $6, ignored_keys = $7, finished_ms = $8, expires_ms = $9, files_done = $10, \
             input = NULL, lease_until_ms = NULL \
             WHERE id = $11 AND worker = $12 AND attempts = $13 AND status = 'running'",
        )
        .bind(out.status)
        .bind(out.verdict.as_deref())
        .bind(out.summary.as_deref())
        .bind(out.report.as_deref())
        .bind(out.sarif.as_deref())
        .bind(out.error.as_deref())
        .bind(out.ignored_keys.as_deref())
        .bind(now_ms)
        .bind(expires_ms)
        .bind(files_done)
        .bind(&c.id)
        .bind(worker)
        .bind(c.attempts)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Give a taken scan back to the queue (shutdown): another replica takes it at once.
    pub async fn release(&self, c: &Claimed, worker: &str) -> Result<bool, sqlx::Error> {
        let r = sqlx::query(
            "UPDATE scans SET status = 'queued', worker = NULL, lease_until_ms = NULL, \
             attempts = attempts - 1 \
             WHERE id = $1 AND worker = $2 AND attempts = $3 AND status = 'running'",
        )
        .bind(&c.id)
        .bind(worker)
        .bind(c.attempts)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn cancel(&self, id: &str, now_ms: i64) -> Result<CancelResult, sqlx::Error> {
        let r = sqlx::query(
            "UPDATE scans SET status = 'cancelled', cancel_requested = 1, finished_ms = $1, input = NULL, \
             error = 'cancelled before it started' WHERE id = $2 AND status = 'queued'",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 1 {
            return Ok(CancelResult::Cancelled);
        }
        let r = sqlx::query(
            "UPDATE scans SET cancel_requested = 1 WHERE id = $1 AND status = 'running'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 1 {
            return Ok(CancelResult::Requested);
        }
        Ok(match self.get(id).await? {
            None => CancelResult::NotFound,
            Some(row) => CancelResult::AlreadyEnded(row.status),
        })
    }

    pub async fn get(&self, id: &str) -> Result<Option<ScanRow>, sqlx::Error> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM scans WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scan_row).transpose()
    }

    /// One of the stored bodies (`report` or `sarif`) of a scan.
    pub async fn body(&self, id: &str, sarif: bool) -> Result<Option<String>, sqlx::Error> {
        let sql = if sarif {
            "SELECT sarif AS body FROM scans WHERE id = $1"
        } else {
            "SELECT report AS body FROM scans WHERE id = $1"
        };
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<String>, _>("body")?,
            None => None,
        })
    }

    /// Recent scans, newest first.
    pub async fn list(
        &self,
        f: &ListFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ScanRow>, sqlx::Error> {
        let mut sql = format!("SELECT {ROW_COLUMNS} FROM scans WHERE 1 = 1");
        let mut args: Vec<&str> = Vec::new();
        for (col, v) in [
            ("status", &f.status),
            ("verdict", &f.verdict),
            ("category", &f.category),
        ] {
            if let Some(v) = v {
                args.push(v);
                sql.push_str(&format!(" AND {col} = ${}", args.len()));
            }
        }
        sql.push_str(&format!(
            " ORDER BY created_ms DESC, id DESC LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        ));
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(a);
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        rows.iter().map(scan_row).collect()
    }

    /// A result-cache entry (see [`super::cache`]).
    pub async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM result_cache WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()
    }

    /// Keep new entries and mark the ones a scan used, in one transaction.
    pub async fn cache_put(
        &self,
        new: &[(String, Vec<u8>)],
        used: &[String],
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for (k, v) in new {
            sqlx::query(
                "INSERT INTO result_cache (key, value, used_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET used_ms = excluded.used_ms",
            )
            .bind(k.as_str())
            .bind(v.as_slice())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        for k in used {
            sqlx::query("UPDATE result_cache SET used_ms = $1 WHERE key = $2 AND used_ms < $1")
                .bind(now_ms)
                .bind(k.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// Result-cache entries (for tests and metrics).
    pub async fn cache_len(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM result_cache")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// Housekeeping: delete results past their time, cancel what was cancelled while its worker was gone,
    /// and fail scans whose workers kept dying. Returns how many rows were deleted.
    pub async fn sweep(&self, now_ms: i64) -> Result<u64, sqlx::Error> {
        let deleted = sqlx::query(
            "DELETE FROM scans WHERE expires_ms < $1 AND status IN ('done', 'failed', 'cancelled')",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE scans SET status = 'cancelled', finished_ms = $1, input = NULL, \
             error = 'cancelled' WHERE cancel_requested = 1 AND status = 'running' AND lease_until_ms < $1",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        sqlx::query(&format!(
            "UPDATE scans SET status = 'failed', finished_ms = $1, input = NULL, \
             error = 'the scan was taken {MAX_ATTEMPTS} times and its worker never finished it' \
             WHERE status = 'running' AND lease_until_ms < $1 AND attempts >= {MAX_ATTEMPTS}"
        ))
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM result_cache WHERE used_ms < $1")
            .bind(now_ms - super::cache::KEEP_MS)
            .execute(&self.pool)
            .await?;
        Ok(deleted)
    }
}
