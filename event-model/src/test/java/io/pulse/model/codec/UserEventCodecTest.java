package io.pulse.model.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.avro.UserEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class UserEventCodecTest {
    private static final Instant NOON = Instant.parse("2025-07-24T12:01:00Z");
    private final UserEventCodec codec = new UserEventCodec();

    private static UserEvent fullEvent() {
        return UserEvent.newBuilder()
                .setEventId("0b7e4f0e-1c1a-4c55-9d4a-3f7f1f3a2b10")
                .setUserId("user_A")
                .setEventType("page_view")
                .setEventTime(Instant.parse("2025-07-24T12:01:00.123Z"))
                .setDevice("iPhone")
                .setPage("/products/42")
                .setContentId("c-1")
                .setMetadata(Map.of("campaign", "summer", "ab", "B"))
                .build();
    }

    private static UserEvent minimalEvent() {
        return UserEvent.newBuilder().setEventId("e-1").setUserId("123").setEventType("login")
                .setEventTime(NOON).build();
    }

    private UserEvent decoded(byte[] bytes) {
        DecodeResult result = codec.decode(bytes);
        assertThat(result).as("decode %s", result).isInstanceOf(DecodeResult.Decoded.class);
        return ((DecodeResult.Decoded) result).event();
    }

    private DecodeResult.Rejected rejected(byte[] bytes) {
        DecodeResult result = codec.decode(bytes);
        assertThat(result).as("decode result").isInstanceOf(DecodeResult.Rejected.class);
        return (DecodeResult.Rejected) result;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ round trips

    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"AVRO", "JSON"})
    void fullEventRoundTrips(WireFormat format) {
        UserEvent event = fullEvent();
        DecodeResult result = codec.decode(codec.encode(event, format));
        assertThat(result).isEqualTo(new DecodeResult.Decoded(event, format));
    }

    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"AVRO", "JSON"})
    void eventWithoutOptionalFieldsRoundTrips(WireFormat format) {
        UserEvent event = minimalEvent();
        assertThat(decoded(codec.encode(event, format))).isEqualTo(event);
    }

    @Test
    void csvRoundTripsUserAndTime() {
        UserEvent back = decoded(codec.encode(minimalEvent(), WireFormat.CSV));
        assertThat(back.getUserId()).isEqualTo("123");
        assertThat(back.getEventTime()).isEqualTo(NOON);
        assertThat(back.getEventType()).isEqualTo("activity");
    }

    @Test
    void avroStartsWithTheSingleObjectMarkerAndFingerprint() {
        byte[] bytes = codec.encodeAvro(fullEvent());
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        // Our framing is the spec's: Avro's own message decoder reads it.
        assertThat(UserEventDecoderProbe.decodeWithAvro(bytes)).isEqualTo(fullEvent());
    }

    // ------------------------------------------------------------------ the seeds

    @Test
    void seed000JsonExampleDecodes() {
        UserEvent event = decoded(utf8("{\n\"user_id\": 123,\n\"action\": \"login\",\n"
                + "\"event_time_raw\": \"2025-07-24T12:01:00.000\",\n\"device\": \"iPhone\"\n}"));
        assertThat(event.getUserId()).isEqualTo("123");
        assertThat(event.getEventType()).isEqualTo("login");
        assertThat(event.getEventTime()).isEqualTo(NOON);
        assertThat(event.getDevice()).isEqualTo("iPhone");
        assertThat(event.getEventId()).isNotBlank();
    }

    @Test
    void seed004LabLinesDecode() {
        UserEvent first = decoded(utf8("user_A,1000"));
        UserEvent second = decoded(utf8("user_A,2000\n"));
        assertThat(first.getUserId()).isEqualTo("user_A");
        assertThat(first.getEventTime()).isEqualTo(Instant.ofEpochMilli(1000));
        assertThat(second.getEventTime()).isEqualTo(Instant.ofEpochMilli(2000));
        assertThat(first.getEventType()).isEqualTo(UserEventCodec.CSV_EVENT_TYPE);
        assertThat(first.getEventId()).isNotEqualTo(second.getEventId());
    }

    @Test
    void derivedEventIdIsStableForTheSameBytes() {
        // Re-reading a record after a restart must give the same id, or idempotent sinks double-count.
        assertThat(decoded(utf8("user_A,1000")).getEventId()).isEqualTo(decoded(utf8("user_A,1000")).getEventId());
    }

    @Test
    void jsonAcceptsEpochMillisOffsetsAndSpaceSeparatedTimes() {
        assertThat(decoded(utf8("{\"user_id\":\"u\",\"event_time\":1753358460000}")).getEventTime()).isEqualTo(NOON);
        assertThat(decoded(utf8("{\"user_id\":\"u\",\"event_time\":\"2025-07-24T14:01:00+02:00\"}")).getEventTime()).isEqualTo(NOON);
        assertThat(decoded(utf8("{\"user_id\":\"u\",\"event_time\":\"2025-07-24 12:01:00\"}")).getEventTime()).isEqualTo(NOON);
    }

    @Test
    void jsonWithoutEventTypeIsUnknownNotRejected() {
        assertThat(decoded(utf8("{\"user_id\":\"u\",\"event_time\":0}")).getEventType()).isEqualTo("unknown");
    }

    @Test
    void metadataScalarsBecomeText() {
        UserEvent event = decoded(utf8("{\"user_id\":\"u\",\"event_time\":0,\"metadata\":{\"n\":3,\"b\":true,\"s\":\"x\"}}"));
        assertThat(event.getMetadata()).containsExactlyInAnyOrderEntriesOf(Map.of("n", "3", "b", "true", "s", "x"));
    }

    // ------------------------------------------------------------------ malformed input

    static Stream<Arguments> malformed() {
        UserEventCodec codec = new UserEventCodec();
        byte[] avro = codec.encodeAvro(fullEvent());
        byte[] wrongFingerprint = avro.clone();
        wrongFingerprint[5] ^= 0x55;
        byte[] otherSchema = new AvroSingleObjectCodec<>(EngagementEvent.class).encode(EngagementEvent.newBuilder()
                .setEventId("x").setEventTime(NOON).setOp("c").build());
        byte[] trailing = Arrays.copyOf(avro, avro.length + 3);
        byte[] hugeStringLength = Arrays.copyOf(avro, 16);
        hugeStringLength[10] = (byte) 0xFE; // zig-zag varint: a string of ~2^27 bytes that is not there
        hugeStringLength[11] = (byte) 0xFF;
        hugeStringLength[12] = (byte) 0xFF;
        hugeStringLength[13] = (byte) 0x7F;
        byte[] negativeLength = Arrays.copyOf(avro, 12);
        negativeLength[10] = 0x03; // zig-zag -2
        byte[] blankUserAvro = codec.encodeAvro(UserEvent.newBuilder(fullEvent()).setUserId(" ").build());
        String tenMegabytes = "x".repeat(10 * 1024 * 1024);
        return Stream.of(
                Arguments.of("empty record", new byte[0], RejectReason.EMPTY),
                Arguments.of("only white space", utf8(" \n\t "), RejectReason.EMPTY),
                Arguments.of("a 10 MB field", utf8("{\"user_id\":\"u\",\"event_time\":0,\"page\":\"" + tenMegabytes + "\"}"), RejectReason.TOO_LARGE),
                Arguments.of("lone Avro marker byte", new byte[] {(byte) 0xC3}, RejectReason.AVRO_TRUNCATED),
                Arguments.of("Avro header cut short", Arrays.copyOf(avro, 6), RejectReason.AVRO_TRUNCATED),
                Arguments.of("Avro body cut short", Arrays.copyOf(avro, avro.length - 5), RejectReason.AVRO_TRUNCATED),
                Arguments.of("Avro with a wrong fingerprint", wrongFingerprint, RejectReason.AVRO_UNKNOWN_SCHEMA),
                Arguments.of("Avro of another record type", otherSchema, RejectReason.AVRO_UNKNOWN_SCHEMA),
                Arguments.of("Avro with trailing bytes", trailing, RejectReason.AVRO_MALFORMED),
                Arguments.of("Avro claiming a huge string", hugeStringLength, RejectReason.AVRO_TRUNCATED),
                Arguments.of("Avro with a negative length", negativeLength, RejectReason.AVRO_MALFORMED),
                Arguments.of("Avro with a blank user_id", blankUserAvro, RejectReason.MISSING_USER_ID),
                Arguments.of("non-UTF-8 bytes", new byte[] {(byte) 0xFF, (byte) 0xFE, 0x41, (byte) 0x80}, RejectReason.NOT_UTF8),
                Arguments.of("plain words", utf8("hello world"), RejectReason.UNRECOGNISED_FORMAT),
                Arguments.of("truncated JSON", utf8("{\"user_id\":\"u\",\"event_time\":"), RejectReason.JSON_MALFORMED),
                Arguments.of("JSON with trailing garbage", utf8("{\"user_id\":\"u\",\"event_time\":0} x"), RejectReason.JSON_MALFORMED),
                Arguments.of("JSON with a duplicate key", utf8("{\"user_id\":\"u\",\"user_id\":\"v\",\"event_time\":0}"), RejectReason.JSON_MALFORMED),
                Arguments.of("JSON array", utf8("[1,2,3]"), RejectReason.JSON_NOT_AN_OBJECT),
                Arguments.of("JSON string", utf8("\"user_A,1000\""), RejectReason.JSON_NOT_AN_OBJECT),
                Arguments.of("JSON without user_id", utf8("{\"event_type\":\"login\",\"event_time\":0}"), RejectReason.MISSING_USER_ID),
                Arguments.of("JSON with a blank user_id", utf8("{\"user_id\":\"  \",\"event_time\":0}"), RejectReason.MISSING_USER_ID),
                Arguments.of("JSON with null user_id", utf8("{\"user_id\":null,\"event_time\":0}"), RejectReason.MISSING_USER_ID),
                Arguments.of("JSON user_id an object", utf8("{\"user_id\":{\"id\":1},\"event_time\":0}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON user_id a boolean", utf8("{\"user_id\":true,\"event_time\":0}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON user_id a fraction", utf8("{\"user_id\":1.5,\"event_time\":0}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON event_type a number", utf8("{\"user_id\":\"u\",\"event_type\":[1],\"event_time\":0}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON without a time", utf8("{\"user_id\":\"u\",\"event_type\":\"login\"}"), RejectReason.MISSING_EVENT_TIME),
                Arguments.of("JSON time a boolean", utf8("{\"user_id\":\"u\",\"event_time\":false}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON unparseable timestamp", utf8("{\"user_id\":\"u\",\"event_time\":\"yesterday at noon\"}"), RejectReason.BAD_TIMESTAMP),
                Arguments.of("JSON impossible date", utf8("{\"user_id\":\"u\",\"event_time_raw\":\"2025-02-30T12:00:00\"}"), RejectReason.BAD_TIMESTAMP),
                Arguments.of("JSON negative epoch", utf8("{\"user_id\":\"u\",\"event_time\":-5}"), RejectReason.BAD_TIMESTAMP),
                Arguments.of("JSON epoch beyond a long", utf8("{\"user_id\":\"u\",\"event_time\":123456789012345678901234}"), RejectReason.BAD_TIMESTAMP),
                Arguments.of("JSON metadata an array", utf8("{\"user_id\":\"u\",\"event_time\":0,\"metadata\":[1]}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON nested metadata", utf8("{\"user_id\":\"u\",\"event_time\":0,\"metadata\":{\"a\":{\"b\":1}}}"), RejectReason.WRONG_FIELD_TYPE),
                Arguments.of("JSON nested too deep", utf8("{\"user_id\":\"u\",\"event_time\":0,\"x\":" + "[".repeat(100) + "]".repeat(100) + "}"), RejectReason.JSON_MALFORMED),
                Arguments.of("CSV with three fields", utf8("user_A,1000,extra"), RejectReason.CSV_MALFORMED),
                Arguments.of("CSV without user", utf8(",1000"), RejectReason.MISSING_USER_ID),
                Arguments.of("CSV without time", utf8("user_A,"), RejectReason.MISSING_EVENT_TIME),
                Arguments.of("CSV time not a number", utf8("user_A,ten"), RejectReason.BAD_TIMESTAMP),
                Arguments.of("CSV negative time", utf8("user_A,-1000"), RejectReason.BAD_TIMESTAMP));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedInputIsRejectedWithItsReason(String name, byte[] input, RejectReason expected) {
        DecodeResult.Rejected rejected = rejected(input);
        assertThat(rejected.reason()).isEqualTo(expected);
        assertThat(rejected.detail()).as("a reason a person can act on").isNotBlank();
        assertThat(rejected.message()).startsWith(expected.name() + ": ");
    }

    @Test
    void customLimitRejectsLargerRecords() {
        UserEventCodec small = new UserEventCodec(InputLimits.defaults().withMaxRecordBytes(16));
        assertThat(((DecodeResult.Rejected) small.decode(utf8("{\"user_id\":\"u\",\"event_time\":0}"))).reason())
                .isEqualTo(RejectReason.TOO_LARGE);
    }
}
