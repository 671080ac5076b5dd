package io.pulse.process.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.model.codec.InputLimits;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.process.model.Engagement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class EngagementRecordDeserializerTest {
    private final EngagementRecordDeserializer deserializer = new EngagementRecordDeserializer(InputLimits.defaults(), DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES);
    private final List<Engagement> out = new ArrayList<>();
    private final Collector<Engagement> collector = new Collector<>() {
        @Override
        public void collect(Engagement record) {
            out.add(record);
        }

        @Override
        public void close() {}
    };

    private static ConsumerRecord<byte[], byte[]> record(byte[] value) {
        return new ConsumerRecord<>("engagement_events", 0, 0, "e-1".getBytes(), value);
    }

    @Test
    void aRowValueBecomesAnEngagement() {
        byte[] value = new AvroSingleObjectCodec<>(EngagementEvent.class).encode(EngagementEvent.newBuilder()
                .setEventId("e-1").setContentId("c-1").setUserId("u-1").setEventType("like").setDurationMs(null)
                .setDevice("Web").setEventTime(Instant.ofEpochMilli(1000)).setOp("c").build());
        deserializer.deserialize(record(value), collector);
        assertThat(out).singleElement().satisfies(e -> {
            assertThat(e.eventId).isEqualTo("e-1");
            assertThat(e.eventType).isEqualTo("like");
            assertThat(e.eventTime).isEqualTo(1000);
        });
    }

    @Test
    void aTombstoneBecomesADeletionOfItsKeyAndGarbageARejectedChangeNotAnException() {
        deserializer.deserialize(record(null), collector);
        deserializer.deserialize(record(new byte[] {1, 2, 3}), collector);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).deleted).isTrue();
        assertThat(out.get(0).eventId).isEqualTo("e-1");
        assertThat(out.get(1).rejected.reason).isEqualTo("ENGAGEMENT_MALFORMED");
        assertThat(out.get(1).rejected.offset).isEqualTo(0);
        assertThat(deserializer.deletes()).isEqualTo(1);
    }

    private static byte[] value(String contentId, String userId, String eventType, Integer durationMs, long time) {
        return new AvroSingleObjectCodec<>(EngagementEvent.class).encode(EngagementEvent.newBuilder()
                .setEventId("e-1").setContentId(contentId).setUserId(userId).setEventType(eventType).setDurationMs(durationMs)
                .setDevice("Web").setEventTime(Instant.ofEpochMilli(time)).setOp("c").build());
    }

    @Test
    void changesOutsideTheInputLimitsAreRejectedWithTheirReason() {
        long now = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
        assertThat(deserializer.decode(record(value(null, "u", "like", 1, now)), now).rejected.reason).isEqualTo("MISSING_FIELD");
        assertThat(deserializer.decode(record(value("c", null, "like", 1, now)), now).rejected.reason).isEqualTo("MISSING_FIELD");
        assertThat(deserializer.decode(record(value("c", "u", null, 1, now)), now).rejected.reason).isEqualTo("MISSING_FIELD");
        assertThat(deserializer.decode(record(value("c", "u", "like", -5, now)), now).rejected.reason).isEqualTo("BAD_DURATION");
        assertThat(deserializer.decode(record(value("c", "u", "like", 1, -1)), now).rejected.reason)
                .isEqualTo("EVENT_TIME_OUT_OF_RANGE");
        assertThat(deserializer.decode(record(value("c", "u", "like", 1, now + 2 * 3_600_000L)), now).rejected.reason)
                .isEqualTo("EVENT_TIME_OUT_OF_RANGE");
        assertThat(deserializer.decode(record(value("c", "u\u0000", "like", 1, now)), now).rejected.reason)
                .isEqualTo("CONTROL_CHARACTER");
        assertThat(deserializer.decode(record(value("c", "u".repeat(129), "like", 1, now)), now).rejected.reason)
                .isEqualTo("FIELD_TOO_LONG");
        assertThat(deserializer.decode(record(value("c", "u", "like", 1, now)), now).rejected).isNull();
    }
}
