package io.pulse.producer.generate;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Hostile user_activity records, one of each kind the edge must refuse (DESIGN.md "Input limits"),
 * each with the reason it must be dead-lettered with: every field's type, length, range and encoding
 * edges, huge, deeply nested, invalid UTF-8, a wrong Avro fingerprint, truncated Avro, CSV with extra
 * fields, and the records of issue 21. The hostile-input suite sends them between on-time traffic;
 * {@code ./pulse produce --hostile N} mixes N of them into generated traffic, for the soak benchmark.
 */
public final class HostileRecords {
    /** Event time of the records that are on time apart from their flaw. */
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = 60_000;
    private static final UserEventCodec CODEC = new UserEventCodec();
    /** Larger records do not fit a topic with Kafka's default max.message.bytes (1 MB). */
    public static final int KAFKA_DEFAULT_MAX_BYTES = 1_000_000;

    private HostileRecords() {}

    /** One hostile record, the reason it must be dead-lettered with, and a name for messages. */
    public record Hostile(String kind, byte[] key, byte[] payload, RejectReason reason) {
        public String sha() {
            return DeadLetter.sha256(payload == null ? new byte[0] : payload);
        }

        public boolean fitsDefaultTopic() {
            return payload == null || payload.length < KAFKA_DEFAULT_MAX_BYTES;
        }

        /** Not one of the huge kinds (hundreds of KB): those test size limits, not the cost per record. */
        public boolean small() {
            return payload == null || payload.length <= 64 * 1024;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String json(String user, String time) {
        return "{\"event_id\":\"" + UUID.randomUUID() + "\",\"user_id\":" + user + ",\"event_type\":\"click\",\"event_time\":" + time + "}";
    }

    private static UserEvent avroEvent(String run) {
        return UserEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setUserId(run + "-avro").setEventType("click")
                .setEventTime(Instant.ofEpochMilli(T0 + 5 * MINUTE)).setDevice("Web").setPage("/").build();
    }

    /** Hostile activity records of every kind; {@code now} is the processing time the far-future ones are measured from. */
    public static List<Hostile> activityKinds(String run, long now) {
        String ok = "\"" + run + "-ok\"";
        String onTime = "\"2025-07-24T12:05:00Z\"";
        String fields = "\"event_id\":\"%s\",\"user_id\":" + ok + ",\"event_type\":\"click\",\"event_time\":" + onTime;
        List<Hostile> h = new ArrayList<>();
        java.util.function.BiConsumer<String, Object[]> add = (kind, v) -> h.add(new Hostile(kind, utf8(run + "-h"),
                v[0] instanceof String s ? utf8(s) : (byte[]) v[0], (RejectReason) v[1]));
        // The records of issue 21.
        add.accept("event_time far past year 9999", new Object[] {json(ok, "\"+999999999-12-31T23:59:59Z\""), RejectReason.BAD_TIMESTAMP});
        add.accept("user_id of 300 characters", new Object[] {json("\"" + "u".repeat(300) + "\"", onTime), RejectReason.FIELD_TOO_LONG});
        add.accept("user_id with NUL", new Object[] {json("\"" + run + "\\u0000x\"", onTime), RejectReason.CONTROL_CHARACTER});
        add.accept("event dated 2100", new Object[] {json(ok, "\"2100-01-01T00:00:00Z\""), RejectReason.EVENT_TIME_OUT_OF_RANGE});
        // Event time: range and type.
        add.accept("event_time two hours ahead", new Object[] {json(ok, Long.toString(now + 2 * 3_600_000L)), RejectReason.EVENT_TIME_OUT_OF_RANGE});
        add.accept("event_time before 1970", new Object[] {json(ok, "-1"), RejectReason.BAD_TIMESTAMP});
        add.accept("event_time 1e30", new Object[] {json(ok, "1" + "0".repeat(30)), RejectReason.BAD_TIMESTAMP});
        add.accept("event_time a boolean", new Object[] {json(ok, "true"), RejectReason.WRONG_FIELD_TYPE});
        add.accept("event_time not a time", new Object[] {json(ok, "\"yesterday\""), RejectReason.BAD_TIMESTAMP});
        add.accept("event_time an impossible date", new Object[] {json(ok, "\"2025-02-30T12:00:00\""), RejectReason.BAD_TIMESTAMP});
        add.accept("no event_time", new Object[] {"{\"user_id\":" + ok + "}", RejectReason.MISSING_EVENT_TIME});
        // user_id.
        add.accept("no user_id", new Object[] {"{\"event_time\":" + onTime + "}", RejectReason.MISSING_USER_ID});
        add.accept("user_id null", new Object[] {json("null", onTime), RejectReason.MISSING_USER_ID});
        add.accept("user_id blank", new Object[] {json("\"   \"", onTime), RejectReason.MISSING_USER_ID});
        add.accept("user_id an object", new Object[] {json("{\"id\":1}", onTime), RejectReason.WRONG_FIELD_TYPE});
        add.accept("user_id a fraction", new Object[] {json("1.5", onTime), RejectReason.WRONG_FIELD_TYPE});
        add.accept("user_id with BEL", new Object[] {json("\"a\\u0007b\"", onTime), RejectReason.CONTROL_CHARACTER});
        add.accept("user_id with DEL", new Object[] {json("\"a\u007fb\"", onTime), RejectReason.CONTROL_CHARACTER});
        add.accept("user_id an unpaired surrogate", new Object[] {json("\"a\\ud800b\"", onTime), RejectReason.INVALID_TEXT});
        // The other text fields.
        String base = "{" + fields;
        add.accept("event_type of 65 characters", new Object[] {base.formatted(UUID.randomUUID()).replace("\"click\"", "\"" + "t".repeat(65) + "\"") + "}",
                RejectReason.FIELD_TOO_LONG});
        add.accept("device of 65 characters", new Object[] {base.formatted(UUID.randomUUID()) + ",\"device\":\"" + "d".repeat(65) + "\"}",
                RejectReason.FIELD_TOO_LONG});
        add.accept("device with a newline", new Object[] {base.formatted(UUID.randomUUID()) + ",\"device\":\"iPh\\none\"}",
                RejectReason.CONTROL_CHARACTER});
        add.accept("page of 1,025 characters", new Object[] {base.formatted(UUID.randomUUID()) + ",\"page\":\"/" + "p".repeat(1024) + "\"}",
                RejectReason.FIELD_TOO_LONG});
        add.accept("page of 1,000 three-byte characters", new Object[] {base.formatted(UUID.randomUUID()) + ",\"page\":\"/" + "語".repeat(1000) + "\"}",
                RejectReason.FIELD_TOO_LONG});
        add.accept("content_id of 1,025 characters", new Object[] {base.formatted(UUID.randomUUID()) + ",\"content_id\":\"" + "c".repeat(1025) + "\"}",
                RejectReason.FIELD_TOO_LONG});
        add.accept("event_id of 129 characters", new Object[] {base.formatted("e".repeat(129)) + "}", RejectReason.FIELD_TOO_LONG});
        add.accept("event_id with NUL", new Object[] {base.formatted("e\\u0000") + "}", RejectReason.CONTROL_CHARACTER});
        add.accept("event_type a number array", new Object[] {base.formatted(UUID.randomUUID()).replace("\"click\"", "[1]") + "}",
                RejectReason.WRONG_FIELD_TYPE});
        // Metadata.
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 65; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        add.accept("metadata of 65 entries", new Object[] {base.formatted(UUID.randomUUID()) + ",\"metadata\":{" + many + "}}",
                RejectReason.METADATA_TOO_LARGE});
        add.accept("metadata key of 129 characters", new Object[] {base.formatted(UUID.randomUUID()) + ",\"metadata\":{\"" + "k".repeat(129)
                + "\":\"v\"}}", RejectReason.FIELD_TOO_LONG});
        add.accept("metadata value of 1,025 characters", new Object[] {base.formatted(UUID.randomUUID()) + ",\"metadata\":{\"k\":\""
                + "v".repeat(1025) + "\"}}", RejectReason.FIELD_TOO_LONG});
        add.accept("metadata value with NUL", new Object[] {base.formatted(UUID.randomUUID()) + ",\"metadata\":{\"k\":\"a\\u0000\"}}",
                RejectReason.CONTROL_CHARACTER});
        add.accept("metadata nested", new Object[] {base.formatted(UUID.randomUUID()) + ",\"metadata\":{\"k\":{\"x\":1}}}",
                RejectReason.WRONG_FIELD_TYPE});
        add.accept("metadata an array", new Object[] {base.formatted(UUID.randomUUID()) + ",\"metadata\":[1]}", RejectReason.WRONG_FIELD_TYPE});
        // Shape, size and encoding.
        add.accept("deeply nested JSON", new Object[] {base.formatted(UUID.randomUUID()) + ",\"x\":" + "[".repeat(2000) + "]".repeat(2000) + "}",
                RejectReason.JSON_MALFORMED});
        add.accept("900 KB of broken JSON", new Object[] {"{\"user_id\":\"" + "x".repeat(900_000), RejectReason.JSON_MALFORMED});
        add.accept("a record over 1 MiB", new Object[] {"{\"user_id\":\"" + "x".repeat(1_200_000) + "\"}", RejectReason.TOO_LARGE});
        add.accept("JSON with a duplicate key", new Object[] {json(ok, onTime).replace("}", ",\"user_id\":\"v\"}"), RejectReason.JSON_MALFORMED});
        add.accept("JSON array", new Object[] {"[" + json(ok, onTime) + "]", RejectReason.JSON_NOT_AN_OBJECT});
        add.accept("truncated JSON", new Object[] {json(ok, onTime).substring(0, 30), RejectReason.JSON_MALFORMED});
        add.accept("invalid UTF-8", new Object[] {new byte[] {'{', (byte) 0xC0, (byte) 0xAF, '}'}, RejectReason.NOT_UTF8});
        add.accept("empty record", new Object[] {new byte[0], RejectReason.EMPTY});
        add.accept("only white space", new Object[] {" \t\n ", RejectReason.EMPTY});
        add.accept("plain words", new Object[] {"hello pulse", RejectReason.UNRECOGNISED_FORMAT});
        add.accept("CSV with extra fields", new Object[] {run + "-csv,1753358400000,extra", RejectReason.CSV_MALFORMED});
        add.accept("CSV with a word for a time", new Object[] {run + "-csv,noon", RejectReason.BAD_TIMESTAMP});
        add.accept("CSV without a user", new Object[] {",1753358400000", RejectReason.MISSING_USER_ID});
        add.accept("CSV time in 2100", new Object[] {run + "-csv,4102444800000", RejectReason.EVENT_TIME_OUT_OF_RANGE});
        // Avro.
        byte[] avro = CODEC.encodeAvro(avroEvent(run));
        byte[] wrongFingerprint = avro.clone();
        wrongFingerprint[2] ^= (byte) 0xFF;
        add.accept("Avro with a wrong fingerprint", new Object[] {wrongFingerprint, RejectReason.AVRO_UNKNOWN_SCHEMA});
        add.accept("Avro cut short", new Object[] {Arrays.copyOf(avro, avro.length - 4), RejectReason.AVRO_TRUNCATED});
        add.accept("Avro header only", new Object[] {Arrays.copyOf(avro, 10), RejectReason.AVRO_TRUNCATED});
        byte[] trailing = Arrays.copyOf(avro, avro.length + 3);
        add.accept("Avro with trailing bytes", new Object[] {trailing, RejectReason.AVRO_MALFORMED});
        UserEvent withMarker = avroEvent(run);
        withMarker.setUserId(run + "-\u00e9");
        byte[] invalidUtf8 = CODEC.encodeAvro(withMarker);
        for (int i = 0; i < invalidUtf8.length - 1; i++) {
            if (invalidUtf8[i] == (byte) 0xC3 && invalidUtf8[i + 1] == (byte) 0xA9 && i > 10) {
                invalidUtf8[i] = (byte) 0xFF; // no longer UTF-8
                break;
            }
        }
        add.accept("Avro string not UTF-8", new Object[] {invalidUtf8, RejectReason.INVALID_TEXT});
        UserEvent longUser = avroEvent(run);
        longUser.setUserId("u".repeat(300));
        add.accept("Avro user_id of 300 characters", new Object[] {CODEC.encodeAvro(longUser), RejectReason.FIELD_TOO_LONG});
        UserEvent future = avroEvent(run);
        future.setEventTime(Instant.parse("2100-01-01T00:00:00Z"));
        add.accept("Avro event in 2100", new Object[] {CODEC.encodeAvro(future), RejectReason.EVENT_TIME_OUT_OF_RANGE});
        UserEvent nulPage = avroEvent(run);
        nulPage.setPage("/a\u0000b");
        add.accept("Avro page with NUL", new Object[] {CODEC.encodeAvro(nulPage), RejectReason.CONTROL_CHARACTER});
        h.add(new Hostile("tombstone", utf8(run + "-h"), null, RejectReason.EMPTY));
        return h;
    }

}
