package io.pulse.model.diagnostics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A record no accepted wire format decodes, as written to Kafka dead_letter (JSON, one object):
 * {@code {"reason","detail","topic","partition","offset","payload_base64"}}. The key is the source
 * record's key, so the original can be found and replayed.
 */
public record DeadLetter(String reason, String detail, String topic, int partition, long offset, byte[] payload) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public byte[] toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("reason", reason);
        node.put("detail", detail);
        node.put("topic", topic);
        node.put("partition", partition);
        node.put("offset", offset);
        node.put("payload_base64", Base64.getEncoder().encodeToString(payload == null ? new byte[0] : payload));
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DeadLetter fromJson(byte[] json) {
        try {
            JsonNode n = JSON.readTree(json);
            return new DeadLetter(n.get("reason").asText(), n.get("detail").asText(), n.get("topic").asText(),
                    n.get("partition").asInt(), n.get("offset").asLong(), Base64.getDecoder().decode(n.get("payload_base64").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException("not a dead letter: " + new String(json, StandardCharsets.UTF_8), e);
        }
    }
}
