package io.pulse.process.model;

import io.pulse.model.avro.EngagementEvent;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * One change of an engagement_events row inside the job: its current value, or, when
 * {@code deleted}, only the id of a row that was deleted (a Kafka tombstone).
 */
public class Engagement {
    public String eventId;
    public String contentId;
    public String userId;
    public String eventType;
    public Integer durationMs;
    public String device;
    public long eventTime;
    public boolean deleted;
    /** Set when the change did not pass the edge: what goes to dead_letter instead. */
    public DecodedRecord rejected;

    public static final TypeInformation<Engagement> TYPE = Types.POJO(Engagement.class, Map.of(
            "eventId", Types.STRING, "contentId", Types.STRING, "userId", Types.STRING, "eventType", Types.STRING,
            "durationMs", Types.INT, "device", Types.STRING, "eventTime", Types.LONG, "deleted", Types.BOOLEAN,
            "rejected", DecodedRecord.TYPE));

    public Engagement() {}

    public static Engagement from(EngagementEvent e) {
        Engagement g = new Engagement();
        g.eventId = e.getEventId();
        g.contentId = e.getContentId();
        g.userId = e.getUserId();
        g.eventType = e.getEventType();
        g.durationMs = e.getDurationMs();
        g.device = e.getDevice();
        g.eventTime = e.getEventTime().toEpochMilli();
        return g;
    }

    /** A change that goes to dead_letter; it carries no event time. */
    public static Engagement rejected(DecodedRecord deadLetter) {
        Engagement g = new Engagement();
        g.eventTime = Long.MIN_VALUE;
        g.rejected = deadLetter;
        return g;
    }

    /** Whether this change carries an event time (a value, not a deletion or a rejected change). */
    public boolean hasTime() {
        return !deleted && rejected == null;
    }

    public static Engagement deletion(String eventId) {
        Engagement g = new Engagement();
        g.eventId = eventId;
        g.eventTime = Long.MIN_VALUE;
        g.deleted = true;
        return g;
    }

    @Override
    public String toString() {
        if (rejected != null) {
            return "Engagement{rejected " + rejected.reason + "}";
        }
        return "Engagement{" + eventId + (deleted ? ", deleted}" : ", " + contentId + ", " + eventType + ", " + eventTime + "}");
    }
}
