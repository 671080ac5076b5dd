package io.pulse.producer.generate;

import java.time.Instant;
import java.util.UUID;

/** One change to PostgreSQL engagement data, as the seed-001 data generator makes them. */
public sealed interface EngagementOp {

    /** A content row (the dimension the process job joins against). */
    record Content(UUID contentId, String title, String contentType, int lengthSeconds) implements EngagementOp {}

    /** A new engagement_events row. */
    record Insert(UUID eventId, UUID contentId, String userId, String eventType, Integer durationMs,
                  String device, Instant eventTime) implements EngagementOp {}

    /** A correction of an earlier row: new type and duration. */
    record Update(UUID eventId, String eventType, Integer durationMs) implements EngagementOp {}

    /** An earlier row withdrawn. */
    record Delete(UUID eventId) implements EngagementOp {}
}
