-- PostgreSQL schema of Pulse (DESIGN.md "Events" and "Outputs"). Idempotent: safe to apply again.
-- Times are timestamptz and written in UTC.

-- Engagement source, captured from the WAL by the ingest job.
CREATE TABLE IF NOT EXISTS content (
    content_id     uuid PRIMARY KEY,
    title          text        NOT NULL,
    content_type   text,
    length_seconds int,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS engagement_events (
    event_id    uuid PRIMARY KEY,
    content_id  uuid,
    user_id     text,
    event_type  text CHECK (event_type IN ('view', 'like', 'comment', 'share', 'complete')),
    duration_ms int,
    device      text,
    event_time  timestamptz NOT NULL
);
-- Deletes and updates carry the whole old row in the WAL.
ALTER TABLE engagement_events REPLICA IDENTITY FULL;

-- Process-job outputs: every write is an upsert on the primary key.

-- 5-minute tumbling windows per (user_id, device); session_id = user_id || '_' || yyyyMMddHHmmss(window start).
CREATE TABLE IF NOT EXISTS session_kpis (
    session_id         text        NOT NULL,
    device             text        NOT NULL,
    user_id            text        NOT NULL,
    session_start      timestamptz NOT NULL,
    session_end        timestamptz NOT NULL,
    first_event_time   timestamptz NOT NULL,
    last_event_time    timestamptz NOT NULL,
    session_duration_s bigint      NOT NULL,
    did_login          boolean     NOT NULL,
    did_purchase       boolean     NOT NULL,
    total_actions      bigint      NOT NULL,
    PRIMARY KEY (session_id, device)
);

-- 1-minute tumbling windows per page, page_view events only.
CREATE TABLE IF NOT EXISTS page_view_counts (
    window_start timestamptz NOT NULL,
    page         text        NOT NULL,
    window_end   timestamptz NOT NULL,
    views        bigint      NOT NULL,
    PRIMARY KEY (window_start, page)
);

-- 5-minute windows sliding by 1 minute, exact distinct users.
CREATE TABLE IF NOT EXISTS active_users (
    window_start timestamptz PRIMARY KEY,
    window_end   timestamptz NOT NULL,
    active_users bigint      NOT NULL
);

-- Sessions per user: start/end events, 15-minute inactivity timeout.
CREATE TABLE IF NOT EXISTS user_sessions (
    user_id       text        NOT NULL,
    session_start timestamptz NOT NULL,
    session_end   timestamptz NOT NULL,
    duration_s    bigint      NOT NULL,
    event_count   bigint      NOT NULL,
    end_reason    text        NOT NULL CHECK (end_reason IN ('ended', 'timeout', 'superseded')),
    PRIMARY KEY (user_id, session_start)
);

-- Session windows per user (gap 5 s by default); group_key = user_id || ':' || window_start_epoch_ms.
CREATE TABLE IF NOT EXISTS aggregated_counts (
    group_key       varchar(255) PRIMARY KEY,
    count_value     bigint       NOT NULL,
    window_end_time timestamptz  NOT NULL
);
