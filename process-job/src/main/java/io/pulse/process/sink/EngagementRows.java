package io.pulse.process.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pulse.model.avro.EnrichedEngagement;

/** How an enriched engagement event is written to each store. */
public final class EngagementRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EngagementRows() {}

    /**
     * One JSONEachRow line for ClickHouse {@code engagement_enriched}. DateTime columns get epoch
     * seconds: a number is read the same whatever the server's time zone, on 18.16 and today.
     */
    public static String clickhouse(EnrichedEngagement e) {
        ObjectNode row = JSON.createObjectNode();
        row.put("event_id", e.getEventId());
        row.put("event_time", e.getEventTime().getEpochSecond());
        fields(e, row);
        row.put("processing_time", e.getProcessingTime().getEpochSecond());
        return row.toString();
    }

    /**
     * One event for the HTTP system: ISO-8601 event time, event_id as the idempotency key, and no
     * processing time, so an event sent again has the same body.
     */
    public static String http(EnrichedEngagement e) {
        ObjectNode row = JSON.createObjectNode();
        row.put("event_id", e.getEventId());
        row.put("event_time", e.getEventTime().toString());
        fields(e, row);
        return row.toString();
    }

    private static void fields(EnrichedEngagement e, ObjectNode row) {
        row.put("user_id", e.getUserId());
        row.put("event_type", e.getEventType());
        row.put("content_id", e.getContentId());
        row.put("title", e.getTitle());
        row.put("content_type", e.getContentType());
        row.put("length_seconds", e.getLengthSeconds());
        row.put("duration_ms", e.getDurationMs());
        row.put("device", e.getDevice());
        row.put("score", e.getScore());
    }
}
