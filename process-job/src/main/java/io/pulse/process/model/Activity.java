package io.pulse.process.model;

import io.pulse.model.avro.UserEvent;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * A valid user activity event inside the job: the canonical UserEvent as a mutable class with an
 * explicit Flink type and a hand-written serializer (no Kryo or reflection on the hot path). Event
 * time is epoch milliseconds, UTC.
 */
public class Activity {
    /** Device of an event that names none: it is part of the session_kpis key. */
    public static final String UNKNOWN_DEVICE = "unknown";

    public String eventId;
    public String userId;
    public String eventType;
    public long eventTime;
    public String device;
    public String page;
    public String contentId;
    public Map<String, String> metadata;

    /** Serialized field by field by {@link ActivitySerializer}, not reflectively. */
    public static final TypeInformation<Activity> TYPE = new ActivityTypeInfo();

    public Activity() {}

    public static Activity of(String eventId, String userId, String eventType, long eventTime) {
        Activity a = new Activity();
        a.eventId = eventId;
        a.userId = userId;
        a.eventType = eventType;
        a.eventTime = eventTime;
        a.metadata = new HashMap<>();
        return a;
    }

    public static Activity from(UserEvent e) {
        Activity a = of(e.getEventId(), e.getUserId(), e.getEventType(), e.getEventTime().toEpochMilli());
        a.device = e.getDevice();
        a.page = e.getPage();
        a.contentId = e.getContentId();
        a.metadata = e.getMetadata() == null ? new HashMap<>() : new HashMap<>(e.getMetadata());
        return a;
    }

    /**
     * As {@link #from}, taking the event's metadata map as its own instead of copying it: for an
     * event decoded for this activity alone (the source's deserializer), which nothing else holds.
     */
    public static Activity fromDecoded(UserEvent e) {
        Activity a = new Activity();
        a.eventId = e.getEventId();
        a.userId = e.getUserId();
        a.eventType = e.getEventType();
        a.eventTime = e.getEventTime().toEpochMilli();
        a.device = e.getDevice();
        a.page = e.getPage();
        a.contentId = e.getContentId();
        Map<String, String> metadata = e.getMetadata();
        a.metadata = metadata instanceof HashMap<String, String> own ? own : metadata == null ? new HashMap<>() : new HashMap<>(metadata);
        return a;
    }

    public UserEvent toUserEvent() {
        return UserEvent.newBuilder().setEventId(eventId).setUserId(userId).setEventType(eventType)
                .setEventTime(Instant.ofEpochMilli(eventTime)).setDevice(device).setPage(page).setContentId(contentId)
                .setMetadata(metadata == null ? Map.of() : metadata).build();
    }

    public Activity withDevice(String value) {
        device = value;
        return this;
    }

    public Activity withPage(String value) {
        page = value;
        return this;
    }

    public String deviceOrUnknown() {
        return device == null || device.isBlank() ? UNKNOWN_DEVICE : device;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Activity a && eventTime == a.eventTime && Objects.equals(eventId, a.eventId)
                && Objects.equals(userId, a.userId) && Objects.equals(eventType, a.eventType)
                && Objects.equals(device, a.device) && Objects.equals(page, a.page)
                && Objects.equals(contentId, a.contentId) && Objects.equals(metadata, a.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, userId, eventType, eventTime);
    }

    @Override
    public String toString() {
        return "Activity{" + eventId + ", " + userId + ", " + eventType + ", " + Instant.ofEpochMilli(eventTime) + "}";
    }
}
