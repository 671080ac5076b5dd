package io.pulse.model.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.UserEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The codec never throws, and whatever it accepts is within the input limits: 100,000 records, random
 * bytes and valid Avro, JSON and CSV records cut, flipped, spliced and stuffed with hostile values.
 */
class UserEventCodecFuzzTest {
    private static final int RECORDS = 100_000;
    private static final String[] HOSTILE = {"", " ", "\u0000", "\u001f", "\u007f", "\ud800", "\udc00x", "\ud83d\ude00", "é",
            "日本語", "x".repeat(129), "y".repeat(1025), "語".repeat(1000), "null", "-1", "9".repeat(40), "+999999999-12-31T23:59:59Z",
            "-999999999-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "\"", "\\", "{", "[", ",", "\n"};
    private static final String[] FIELDS = {"event_id", "user_id", "event_type", "event_time", "event_time_raw", "action", "device", "page",
            "content_id", "metadata"};

    private final UserEventCodec codec = new UserEventCodec();
    private final InputLimits limits = InputLimits.defaults();

    @Test
    void neverThrowsAndAcceptsOnlyWhatIsWithinTheLimits() {
        Random r = new Random(20261202);
        Map<RejectReason, Integer> reasons = new EnumMap<>(RejectReason.class);
        int decoded = 0;
        for (int n = 0; n < RECORDS; n++) {
            byte[] bytes = record(r, n);
            DecodeResult result = codec.decode(bytes);
            assertThat(result).as("record %d", n).isNotNull();
            if (result instanceof DecodeResult.Decoded d) {
                decoded++;
                UserEvent e = d.event();
                assertThat(limits.check(e)).as("record %d accepted outside the limits: %s", n, e).isNull();
                assertThat(e.getEventTime().toEpochMilli()).isNotNegative();
            } else {
                DecodeResult.Rejected rejected = (DecodeResult.Rejected) result;
                reasons.merge(rejected.reason(), 1, Integer::sum);
                assertThat(rejected.detail()).isNotNull();
            }
        }
        assertThat(decoded).isGreaterThan(RECORDS / 20);
        assertThat(reasons).containsKeys(RejectReason.AVRO_TRUNCATED, RejectReason.JSON_MALFORMED, RejectReason.CSV_MALFORMED,
                RejectReason.FIELD_TOO_LONG, RejectReason.CONTROL_CHARACTER, RejectReason.INVALID_TEXT, RejectReason.BAD_TIMESTAMP,
                RejectReason.NOT_UTF8);
        assertThat(reasons).doesNotContainKey(RejectReason.DECODE_ERROR);
    }

    private byte[] record(Random r, int n) {
        return switch (n % 8) {
            case 0 -> randomBytes(r);
            case 1 -> mutate(r, codec.encodeAvro(event(r)));
            case 2 -> mutate(r, codec.encodeJson(event(r)));
            case 3 -> hostileJson(r).getBytes(StandardCharsets.UTF_8);
            case 4 -> (pick(r) + "," + (r.nextBoolean() ? String.valueOf(r.nextLong()) : pick(r))
                    + (r.nextInt(4) == 0 ? "," + pick(r) : "")).getBytes(StandardCharsets.UTF_8);
            case 5 -> codec.encodeAvro(hostileEvent(r));
            case 6 -> splice(r, codec.encodeJson(event(r)), codec.encodeAvro(event(r)));
            default -> mutate(r, hostileJson(r).getBytes(StandardCharsets.UTF_8));
        };
    }

    private static String pick(Random r) {
        return HOSTILE[r.nextInt(HOSTILE.length)];
    }

    private static byte[] randomBytes(Random r) {
        byte[] b = new byte[r.nextInt(200)];
        r.nextBytes(b);
        if (b.length > 2 && r.nextBoolean()) {
            b[0] = (byte) 0xC3;
            b[1] = 0x01;
        }
        return b;
    }

    private static byte[] mutate(Random r, byte[] bytes) {
        byte[] out = bytes.clone();
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits && out.length > 0; i++) {
            switch (r.nextInt(4)) {
                case 0 -> out[r.nextInt(out.length)] = (byte) r.nextInt(256);
                case 1 -> out = java.util.Arrays.copyOf(out, r.nextInt(out.length));
                case 2 -> out[r.nextInt(out.length)] ^= (byte) (1 << r.nextInt(8));
                default -> {
                    byte[] longer = java.util.Arrays.copyOf(out, out.length + 1 + r.nextInt(8));
                    r.nextBytes(java.util.Arrays.copyOfRange(longer, out.length, longer.length));
                    out = longer;
                }
            }
        }
        return out;
    }

    private static byte[] splice(Random r, byte[] a, byte[] b) {
        int cutA = r.nextInt(a.length + 1);
        int cutB = r.nextInt(b.length + 1);
        byte[] out = new byte[cutA + b.length - cutB];
        System.arraycopy(a, 0, out, 0, cutA);
        System.arraycopy(b, cutB, out, cutA, b.length - cutB);
        return out;
    }

    private static UserEvent event(Random r) {
        Map<String, String> metadata = new HashMap<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            metadata.put("k" + i, "v" + r.nextInt(100));
        }
        return UserEvent.newBuilder().setEventId("e-" + r.nextInt(1000)).setUserId("u" + r.nextInt(50)).setEventType("page_view")
                .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + r.nextInt(1_000_000))).setDevice(r.nextBoolean() ? "Web" : null)
                .setPage(r.nextBoolean() ? "/p/" + r.nextInt(10) : null).setMetadata(metadata).build();
    }

    private static UserEvent hostileEvent(Random r) {
        UserEvent e = event(r);
        switch (r.nextInt(6)) {
            case 0 -> e.setUserId(pick(r));
            case 1 -> e.setEventType(pick(r));
            case 2 -> e.setDevice(pick(r));
            case 3 -> e.setPage(pick(r));
            case 4 -> e.setEventTime(Instant.ofEpochMilli(r.nextLong() >> r.nextInt(64)));
            default -> {
                Map<String, String> big = new HashMap<>();
                for (int i = r.nextInt(100); i > 0; i--) {
                    big.put(pick(r) + i, pick(r));
                }
                e.setMetadata(big);
            }
        }
        return e;
    }

    private static String hostileJson(Random r) {
        StringBuilder json = new StringBuilder("{");
        int fields = 1 + r.nextInt(FIELDS.length);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append('"').append(FIELDS[r.nextInt(FIELDS.length)]).append("\":");
            switch (r.nextInt(7)) {
                case 0 -> json.append(r.nextLong());
                case 1 -> json.append("true");
                case 2 -> json.append("null");
                case 3 -> json.append("[1,{\"a\":2}]");
                case 4 -> json.append("{\"k\":\"").append(escape(pick(r))).append("\"}");
                case 5 -> json.append("[".repeat(40)).append("]".repeat(40));
                default -> json.append('"').append(escape(pick(r))).append('"');
            }
        }
        return json.append('}').toString();
    }

    /** A JSON string body: quotes, backslashes and control characters escaped, lone surrogates as \\u escapes. */
    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\' || c < 0x20 || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
