package io.pulse.ingest.source;

import io.pulse.ingest.pipeline.EngagementChange;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import java.io.Serializable;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns a Debezium change of an engagement_events row (op, before, after) into the record the
 * topic carries: the new row for snapshot reads, inserts and updates; a tombstone for deletes.
 * Not thread-safe (one per source reader).
 */
public final class EngagementRowMapper implements Serializable {
    private static final long serialVersionUID = 1L;
    private final AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);

    /** Returns null for what is not a row change (heartbeats, Debezium's own tombstones). */
    public EngagementChange map(String op, Struct before, Struct after) {
        if (op == null) {
            return null;
        }
        switch (op) {
            case "r", "c", "u" -> {
                return new EngagementChange(after.getString("event_id"), avro.encode(toEvent(op, after)));
            }
            case "d" -> {
                return new EngagementChange(before.getString("event_id"), null);
            }
            default -> {
                return null; // a TRUNCATE ("t"), a logical decoding message ("m"): no row change to carry
            }
        }
    }

    static EngagementEvent toEvent(String op, Struct row) {
        return EngagementEvent.newBuilder()
                .setEventId(row.getString("event_id"))
                .setContentId(row.getString("content_id"))
                .setUserId(row.getString("user_id"))
                .setEventType(row.getString("event_type"))
                .setDurationMs(row.getInt32("duration_ms"))
                .setDevice(row.getString("device"))
                .setEventTime(timestamp(row.get("event_time")))
                .setOp(op)
                .build();
    }

    /** timestamptz arrives as Debezium's ZonedTimestamp, an ISO-8601 string with offset. */
    static Instant timestamp(Object value) {
        if (value instanceof String text) {
            return OffsetDateTime.parse(text).toInstant();
        }
        if (value instanceof Long micros) {
            return Instant.EPOCH.plusNanos(micros * 1000);
        }
        throw new IllegalArgumentException("event_time has an unexpected representation: " + value);
    }
}
