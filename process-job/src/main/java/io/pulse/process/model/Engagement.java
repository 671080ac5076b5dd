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

    public static final TypeInformation<Engagement> TYPE = Types.POJO(Engagement.class, Map.of(
            "eventId", Types.STRING, "contentId", Types.STRING, "userId", Types.STRING, "eventType", Types.STRING,
            "durationMs", Types.INT, "device", Types.STRING, "eventTime", Types.LONG, "deleted", Types.BOOLEAN));

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

    public static Engagement deletion(String eventId) {
        Engagement g = new Engagement();
        g.eventId = eventId;
        g.eventTime = Long.MIN_VALUE;
        g.deleted = true;
        return g;
    }

    @Override
    public String toString() {
        return "Engagement{" + eventId + (deleted ? ", deleted}" : ", " + contentId + ", " + eventType + ", " + eventTime + "}");
    }
}
