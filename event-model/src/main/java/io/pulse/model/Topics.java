package io.pulse.model;

import java.util.List;

/** Kafka topic names of DESIGN.md; the only place they are spelled. */
public final class Topics {
    /** Raw user activity in any accepted wire format, keyed by user_id. */
    public static final String USER_ACTIVITY = "user_activity";
    /** CDC changes of PostgreSQL engagement_events, keyed by event_id (Avro; deletes are tombstones). */
    public static final String ENGAGEMENT_EVENTS = "engagement_events";
    /** Each valid activity event plus processing_time, bucket_date and event_date (transactional). */
    public static final String ENRICHED_ACTIVITY = "enriched_activity";
    /** Records a window operator could not count because its window had closed. */
    public static final String LATE_EVENTS = "late_events";
    /** Records no accepted wire format decodes, with the reason and the source coordinates. */
    public static final String DEAD_LETTER = "dead_letter";

    public static final List<String> ALL =
            List.of(USER_ACTIVITY, ENGAGEMENT_EVENTS, ENRICHED_ACTIVITY, LATE_EVENTS, DEAD_LETTER);

    private Topics() {}
}
