package io.pulse.model.diagnostics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A record the pipeline did not take, as written to Kafka dead_letter (JSON, one object):
 * {@code {"reason","detail","topic","partition","offset","sink","payload_size","payload_sha256",
 * "payload_truncated","payload_base64"}}. {@code sink} names the sink whose store refused the row
 * (absent for records rejected at the edge). The key is the source record's key, so the original can
 * be found and replayed. A payload over the limit ({@link #toJson(int)}) is cut to it; its original
 * size and SHA-256 stay, so the dead letter always fits Kafka and still identifies the record.
 */
public record DeadLetter(String reason, String detail, String topic, int partition, long offset, String sink, long payloadSize,
                         String payloadSha256, boolean payloadTruncated, byte[] payload) {
    /** Payload bytes a dead letter keeps by default: base64 of it stays well under Kafka's 1 MB request limit. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
    /** Characters of a detail kept: a store's message can be long. */
    public static final int MAX_DETAIL_CHARS = 2_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A dead letter of a whole payload (size and digest computed here). */
    public static DeadLetter of(String reason, String detail, String topic, int partition, long offset, String sink, byte[] payload) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        return new DeadLetter(reason, detail, topic, partition, offset, sink, bytes.length, sha256(bytes), false, bytes);
    }

    public byte[] toJson() {
        return toJson(DEFAULT_MAX_PAYLOAD_BYTES);
    }

    /** The JSON of this dead letter with at most {@code maxPayloadBytes} of its payload. */
    public byte[] toJson(int maxPayloadBytes) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        boolean cut = payloadTruncated || bytes.length > maxPayloadBytes;
        byte[] kept = bytes.length > maxPayloadBytes ? Arrays.copyOf(bytes, maxPayloadBytes) : bytes;
        ObjectNode node = JSON.createObjectNode();
        node.put("reason", reason);
        node.put("detail", detail == null || detail.length() <= MAX_DETAIL_CHARS ? detail : detail.substring(0, MAX_DETAIL_CHARS) + "...");
        node.put("topic", topic);
        node.put("partition", partition);
        node.put("offset", offset);
        if (sink != null) {
            node.put("sink", sink);
        }
        node.put("payload_size", payloadSize);
        node.put("payload_sha256", payloadSha256 == null ? sha256(bytes) : payloadSha256);
        node.put("payload_truncated", cut);
        node.put("payload_base64", Base64.getEncoder().encodeToString(kept));
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DeadLetter fromJson(byte[] json) {
        try {
            JsonNode n = JSON.readTree(json);
            byte[] payload = Base64.getDecoder().decode(n.get("payload_base64").asText());
            return new DeadLetter(n.get("reason").asText(), n.path("detail").asText(null), n.get("topic").asText(),
                    n.get("partition").asInt(), n.get("offset").asLong(), n.hasNonNull("sink") ? n.get("sink").asText() : null,
                    n.path("payload_size").asLong(payload.length), n.path("payload_sha256").asText(sha256(payload)),
                    n.path("payload_truncated").asBoolean(false), payload);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a dead letter: " + new String(json, StandardCharsets.UTF_8), e);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
