-- The result cache shared by every replica: values jobs computed for one unit of work (a file, a set of
-- manifests, a document pair), under a BLAKE3 key of everything the value depends on.
CREATE TABLE result_cache (
    key      TEXT PRIMARY KEY,
    value    BLOB NOT NULL,
    used_ms  BIGINT NOT NULL
);
CREATE INDEX result_cache_used ON result_cache (used_ms);
