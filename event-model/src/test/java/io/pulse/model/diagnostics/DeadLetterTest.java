package io.pulse.model.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** dead_letter's JSON: a payload over the limit is cut, and what is kept still identifies the whole record. */
class DeadLetterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 100;

    private static byte[] bytes(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    private static String sha256Hex(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static DeadLetter letter(byte[] payload) {
        return DeadLetter.of("TOO_LARGE", "record has " + payload.length + " bytes", "user_activity", 3, 42L, null, payload);
    }

    @Test
    void aPayloadOverTheLimitIsCutAndKeepsTheWholePayloadsSizeAndDigest() throws Exception {
        byte[] payload = bytes(1000);
        JsonNode json = JSON.readTree(letter(payload).toJson(LIMIT));
        assertThat(json.get("payload_truncated").asBoolean()).isTrue();
        assertThat(json.get("payload_size").asLong()).isEqualTo(1000);
        assertThat(json.get("payload_sha256").asText()).isEqualTo(sha256Hex(payload));
        assertThat(Base64.getDecoder().decode(json.get("payload_base64").asText())).isEqualTo(Arrays.copyOf(payload, LIMIT));
    }

    @Test
    void aCutDeadLetterRoundTripsThroughFromJson() throws Exception {
        byte[] payload = bytes(1000);
        DeadLetter back = DeadLetter.fromJson(letter(payload).toJson(LIMIT));
        assertThat(back.reason()).isEqualTo("TOO_LARGE");
        assertThat(back.detail()).isEqualTo("record has 1000 bytes");
        assertThat(back.topic()).isEqualTo("user_activity");
        assertThat(back.partition()).isEqualTo(3);
        assertThat(back.offset()).isEqualTo(42L);
        assertThat(back.sink()).isNull();
        assertThat(back.payloadSize()).isEqualTo(1000);
        assertThat(back.payloadSha256()).isEqualTo(sha256Hex(payload));
        assertThat(back.payloadTruncated()).isTrue();
        assertThat(back.payload()).isEqualTo(Arrays.copyOf(payload, LIMIT));
        // written again, it stays what it was: still cut, still naming the whole payload
        JsonNode again = JSON.readTree(back.toJson(LIMIT));
        assertThat(again.get("payload_truncated").asBoolean()).isTrue();
        assertThat(again.get("payload_size").asLong()).isEqualTo(1000);
        assertThat(again.get("payload_sha256").asText()).isEqualTo(sha256Hex(payload));
    }

    @Test
    void aPayloadAtTheLimitIsKeptWhole() throws Exception {
        byte[] payload = bytes(LIMIT);
        DeadLetter back = DeadLetter.fromJson(letter(payload).toJson(LIMIT));
        assertThat(back.payloadTruncated()).isFalse();
        assertThat(back.payloadSize()).isEqualTo(LIMIT);
        assertThat(back.payload()).isEqualTo(payload);
        assertThat(back.payloadSha256()).isEqualTo(sha256Hex(payload));
    }

    @Test
    void aSmallPayloadIsKeptWholeUnderTheDefaultLimit() throws Exception {
        byte[] payload = "{\"user_id\":\"u\",\"event_time\":\"not a time\"}".getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetter.of("BAD_TIMESTAMP", "event_time is not an ISO-8601 time", "user_activity", 0, 7L, null, payload);
        JsonNode json = JSON.readTree(letter.toJson());
        assertThat(json.get("payload_truncated").asBoolean()).isFalse();
        assertThat(json.get("payload_size").asLong()).isEqualTo(payload.length);
        assertThat(json.get("payload_sha256").asText()).isEqualTo(sha256Hex(payload));
        assertThat(json.has("sink")).isFalse();
        assertThat(DeadLetter.fromJson(letter.toJson()).payload()).isEqualTo(payload);
    }

    @Test
    void aSinksDeadLetterNamesItsSinkAndRoundTrips() {
        byte[] row = "{\"group_key\":\"k\"}".getBytes(StandardCharsets.UTF_8);
        DeadLetter back = DeadLetter.fromJson(DeadLetter.of("SINK_REJECTED", "value too long", "aggregated_counts", -1, -1, "postgres", row)
                .toJson());
        assertThat(back.sink()).isEqualTo("postgres");
        assertThat(back.reason()).isEqualTo("SINK_REJECTED");
        assertThat(back.payload()).isEqualTo(row);
    }

    @Test
    void aLongDetailIsCutToItsLimit() throws Exception {
        String detail = "d".repeat(DeadLetter.MAX_DETAIL_CHARS + 500);
        JsonNode json = JSON.readTree(DeadLetter.of("SINK_REJECTED", detail, "t", 0, 0, "clickhouse", new byte[1]).toJson());
        assertThat(json.get("detail").asText()).isEqualTo("d".repeat(DeadLetter.MAX_DETAIL_CHARS) + "...");
    }

    @Test
    void theDigestIsSha256OfTheBytes() {
        // FIPS 180-2's first test vector
        assertThat(DeadLetter.sha256("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void jsonThatIsNoDeadLetterIsRefusedWithItsText() {
        assertThatThrownBy(() -> DeadLetter.fromJson("{\"reason\":\"X\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a dead letter: {\"reason\":\"X\"}");
    }
}
