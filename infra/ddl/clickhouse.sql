-- ClickHouse schema of Pulse (DESIGN.md "Outputs"). Idempotent.
-- Types are limited to what ClickHouse 18.16 (the local stack) and current releases both have:
-- DateTime (seconds), no DateTime64, Bool, Map or LowCardinality.
CREATE DATABASE IF NOT EXISTS pulse;

-- Enriched engagement events. ReplacingMergeTree collapses rows with the same event_id (the
-- sorting key), so an event written again after a restart counts once; read with FINAL.
CREATE TABLE IF NOT EXISTS pulse.engagement_enriched (
    event_id        String,
    event_time      DateTime,
    user_id         Nullable(String),
    event_type      Nullable(String),
    content_id      Nullable(String),
    title           Nullable(String),
    content_type    Nullable(String),
    length_seconds  Nullable(Int32),
    duration_ms     Nullable(Int32),
    device          Nullable(String),
    score           Float64,
    processing_time DateTime
) ENGINE = ReplacingMergeTree()
ORDER BY event_id;
