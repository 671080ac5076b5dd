package io.pulse.model;

import java.util.List;

/** Table, keyspace and key names of every store (DESIGN.md); the DDL in infra/ddl uses the same names. */
public final class Tables {
    // PostgreSQL: the engagement source (captured by the ingest job) and its dimension.
    public static final String CONTENT = "content";
    public static final String ENGAGEMENT_EVENTS = "engagement_events";
    // PostgreSQL: process-job outputs, all written as upserts on their primary key.
    public static final String SESSION_KPIS = "session_kpis";
    public static final String PAGE_VIEW_COUNTS = "page_view_counts";
    public static final String ACTIVE_USERS = "active_users";
    public static final String USER_SESSIONS = "user_sessions";
    public static final String AGGREGATED_COUNTS = "aggregated_counts";

    public static final List<String> POSTGRES_SOURCES = List.of(CONTENT, ENGAGEMENT_EVENTS);
    public static final List<String> POSTGRES_OUTPUTS =
            List.of(SESSION_KPIS, PAGE_VIEW_COUNTS, ACTIVE_USERS, USER_SESSIONS, AGGREGATED_COUNTS);

    // Cassandra.
    public static final String CASSANDRA_KEYSPACE = "pulse";
    public static final String USER_EVENTS = "user_events";

    // ClickHouse.
    public static final String ENGAGEMENT_ENRICHED = "engagement_enriched";

    // Redis keys.
    /** Sorted set content_id -> score of the latest closed HOP window; replaced atomically. */
    public static final String LEADERBOARD = "leaderboard";

    /** String holding the window end (epoch ms) of the window now in {@link #LEADERBOARD}. */
    public static final String LEADERBOARD_WINDOW_END = "leaderboard:window_end";

    /** Per-window sorted set: {@code leaderboard:<window_end ISO-8601>}. */
    public static String leaderboardWindowKey(java.time.Instant windowEnd) {
        return LEADERBOARD + ":" + windowEnd;
    }

    /** Hash with the title and type of one content item. */
    public static String contentKey(String contentId) {
        return "content:" + contentId;
    }

    private Tables() {}
}
