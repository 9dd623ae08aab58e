-- The scan queue and results. The same columns as the PostgreSQL migration of the same number; only the
-- binary column's type differs (BYTEA here, BLOB in SQLite).
CREATE TABLE scans (
    id               TEXT PRIMARY KEY,
    status           TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    started_ms       BIGINT,
    finished_ms      BIGINT,
    expires_ms       BIGINT NOT NULL,
    category         TEXT,
    verdict          TEXT,
    params           TEXT NOT NULL,
    input            BYTEA,
    input_bytes      BIGINT NOT NULL DEFAULT 0,
    worker           TEXT,
    lease_until_ms   BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    files_done       BIGINT NOT NULL DEFAULT 0,
    summary          TEXT,
    report           TEXT,
    sarif            TEXT,
    error            TEXT,
    ignored_keys     TEXT
);
CREATE INDEX scans_queue ON scans (status, created_ms);
CREATE INDEX scans_recent ON scans (created_ms);
