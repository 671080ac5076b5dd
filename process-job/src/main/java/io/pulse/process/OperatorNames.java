package io.pulse.process;

/** Names of the window operators: the uid of each, and the "operator" of its late_events records. */
public final class OperatorNames {
    public static final String SESSION_KPIS = "session_kpis";
    public static final String PAGE_VIEW_COUNTS = "page_view_counts";
    public static final String ACTIVE_USERS = "active_users";
    public static final String USER_SESSIONS = "user_sessions";
    public static final String AGGREGATED_COUNTS = "aggregated_counts";

    /** The heads of the window operators' tasks: each shuffle feeds a watermark keeper of this name. */
    public static final String PARTITION_BY_USER = "partition by user";
    public static final String PARTITION_BY_PAGE = "partition by page";
    public static final String PARTITION_BY_WINDOW = "partition by window";

    /** The one operator behind the shuffle by user that computes the four per-user outputs. */
    public static final String PER_USER = "per user: session_kpis, active_users slides, user_sessions, aggregated_counts";

    private OperatorNames() {}
}
