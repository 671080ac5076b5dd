package io.pulse.process.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.InputLimits;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.process.model.DecodedRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The edge of user_activity: every Kafka record becomes one DecodedRecord, valid or with its reason. */
class ActivityRecordDeserializerTest {
    private static final long NOW = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    private static final long ONE_HOUR = Duration.ofHours(1).toMillis();
    private static final String TOPIC = "user_activity";

    private final ActivityRecordDeserializer deserializer =
            new ActivityRecordDeserializer(InputLimits.defaults(), DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES);
    private final UserEventCodec codec = new UserEventCodec();

    private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
        return new ConsumerRecord<>(TOPIC, 2, 17, key, value);
    }

    private byte[] event(long time) {
        return codec.encodeAvro(UserEvent.newBuilder().setEventId("e-1").setUserId("u-1").setEventType("click")
                .setEventTime(Instant.ofEpochMilli(time)).setDevice("Web").setPage("/home").build());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void aValidRecordBecomesItsActivity() {
        DecodedRecord r = deserializer.decode(record("u-1".getBytes(StandardCharsets.UTF_8), event(NOW - 1000)), NOW);
        assertThat(r.isValid()).isTrue();
        assertThat(r.reason).isNull();
        assertThat(r.activity.eventId).isEqualTo("e-1");
        assertThat(r.activity.userId).isEqualTo("u-1");
        assertThat(r.activity.eventType).isEqualTo("click");
        assertThat(r.activity.eventTime).isEqualTo(NOW - 1000);
        assertThat(r.activity.device).isEqualTo("Web");
        assertThat(r.activity.page).isEqualTo("/home");
    }

    @Test
    void deserializeHandsOnExactlyOneRecordPerKafkaRecord() {
        List<DecodedRecord> out = new ArrayList<>();
        Collector<DecodedRecord> collector = new Collector<>() {
            @Override
            public void collect(DecodedRecord record) {
                out.add(record);
            }

            @Override
            public void close() {}
        };
        deserializer.deserialize(record(null, event(System.currentTimeMillis())), collector);
        deserializer.deserialize(record(null, null), collector);
        deserializer.deserialize(record(null, new byte[] {1, 2, 3}), collector);
        assertThat(out).extracting(DecodedRecord::isValid).containsExactly(true, false, false);
    }

    @Test
    void aTombstoneIsEmpty() {
        DecodedRecord r = deserializer.decode(record("u-1".getBytes(StandardCharsets.UTF_8), null), NOW);
        assertThat(r.isValid()).isFalse();
        assertThat(r.reason).isEqualTo("EMPTY");
        assertThat(r.detail).isEqualTo("tombstone (null value)");
        assertThat(r.topic).isEqualTo(TOPIC);
        assertThat(r.partition).isEqualTo(2);
        assertThat(r.offset).isEqualTo(17);
        assertThat(r.key).isEqualTo("u-1".getBytes(StandardCharsets.UTF_8));
        assertThat(r.payload).isEmpty();
        assertThat(r.payloadSize).isZero();
    }

    @Test
    void anEventAtProcessingTimePlusMaxFutureIsAccepted() {
        assertThat(deserializer.decode(record(null, event(NOW + ONE_HOUR)), NOW).isValid()).isTrue();
    }

    @Test
    void aFarFutureEventIsEventTimeOutOfRange() throws Exception {
        byte[] value = event(NOW + ONE_HOUR + 1);
        DecodedRecord r = deserializer.decode(record(null, value), NOW);
        assertThat(r.isValid()).isFalse();
        assertThat(r.reason).isEqualTo("EVENT_TIME_OUT_OF_RANGE");
        assertThat(r.detail).contains("input.max-future");
        assertThat(r.payload).isEqualTo(value);
        assertThat(r.payloadSize).isEqualTo(value.length);
        assertThat(r.payloadSha256).isEqualTo(sha256(value));
    }

    @Test
    void anEventBefore1970IsRejectedByTheCodec() {
        DecodedRecord r = deserializer.decode(record(null, event(-1)), NOW);
        assertThat(r.isValid()).isFalse();
        assertThat(r.reason).isEqualTo("BAD_TIMESTAMP");
    }

    @Test
    void aHugeRecordKeepsAtMostThePayloadLimitWithTheSizeAndDigestOfTheWhole() throws Exception {
        byte[] huge = new byte[2 << 20]; // 2 MiB, over the 1 MiB record limit
        Arrays.fill(huge, (byte) 'x');
        huge[huge.length - 1] = 'y'; // the digest covers the end too
        byte[] longKey = new byte[5000];
        Arrays.fill(longKey, (byte) 'k');
        DecodedRecord r = deserializer.decode(record(longKey, huge), NOW);
        assertThat(r.isValid()).isFalse();
        assertThat(r.reason).isEqualTo("TOO_LARGE");
        assertThat(r.payload).hasSize(DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES).isEqualTo(Arrays.copyOf(huge, DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES));
        assertThat(r.payloadSize).isEqualTo(huge.length);
        assertThat(r.payloadSha256).isEqualTo(sha256(huge));
        assertThat(r.key).hasSize(DecodedRecord.MAX_KEY_BYTES);
        DeadLetter letter = r.deadLetter();
        assertThat(letter.payloadTruncated()).isTrue();
        assertThat(letter.payloadSize()).isEqualTo(huge.length);
        assertThat(letter.payloadSha256()).isEqualTo(sha256(huge));
    }

    @Test
    void theDeadLetterPayloadLimitIsTheDeserializersSetting() throws Exception {
        ActivityRecordDeserializer small = new ActivityRecordDeserializer(InputLimits.defaults(), 10);
        byte[] garbage = "not an event at all and longer than ten bytes".getBytes(StandardCharsets.UTF_8);
        DecodedRecord r = small.decode(record(null, garbage), NOW);
        assertThat(r.reason).isEqualTo("UNRECOGNISED_FORMAT");
        assertThat(r.payload).isEqualTo(Arrays.copyOf(garbage, 10));
        assertThat(r.payloadSize).isEqualTo(garbage.length);
        assertThat(r.payloadSha256).isEqualTo(sha256(garbage));
    }

    @Test
    void aSmallRejectedRecordKeepsItsWholePayload() {
        byte[] garbage = {1, 2, 3};
        DecodedRecord r = deserializer.decode(record(null, garbage), NOW);
        assertThat(r.payload).isEqualTo(garbage);
        assertThat(r.deadLetter().payloadTruncated()).isFalse();
    }
}
