package io.pulse.ingest.pipeline;

import java.util.Arrays;
import java.util.Objects;

/**
 * One captured change of an engagement_events row, ready for Kafka: the key (event_id) and the
 * value (the new row as Avro single-object bytes), or {@code null} for a delete (a tombstone).
 */
public final class EngagementChange {
    public String eventId;
    public byte[] value;

    public EngagementChange() {}

    public EngagementChange(String eventId, byte[] value) {
        this.eventId = eventId;
        this.value = value;
    }

    public boolean isDelete() {
        return value == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EngagementChange c && Objects.equals(eventId, c.eventId) && Arrays.equals(value, c.value);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(eventId) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "EngagementChange{" + eventId + (isDelete() ? ", delete}" : ", " + value.length + " bytes}");
    }
}
