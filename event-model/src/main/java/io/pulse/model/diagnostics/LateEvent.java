package io.pulse.model.diagnostics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * An event a window operator could not count because the watermark had passed the end of its
 * window, as written to Kafka late_events (JSON, keyed by user_id):
 * {@code {"operator", "event_id", "user_id", "event_type", "event_time" (epoch ms), "watermark" (epoch ms), "event": {...}}}.
 * {@code event} is the event in the JSON wire format, so it can be replayed as is.
 */
public record LateEvent(String operator, String eventId, String userId, String eventType, long eventTime,
                        long watermark, String eventJson) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public byte[] toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("operator", operator);
        node.put("event_id", eventId);
        node.put("user_id", userId);
        node.put("event_type", eventType);
        node.put("event_time", eventTime);
        node.put("watermark", watermark);
        try {
            node.set("event", JSON.readTree(eventJson));
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static LateEvent fromJson(byte[] json) {
        try {
            JsonNode n = JSON.readTree(json);
            return new LateEvent(n.get("operator").asText(), n.get("event_id").asText(), n.get("user_id").asText(),
                    n.get("event_type").asText(), n.get("event_time").asLong(), n.get("watermark").asLong(),
                    n.get("event").toString());
        } catch (IOException e) {
            throw new UncheckedIOException("not a late event: " + new String(json, StandardCharsets.UTF_8), e);
        }
    }
}
