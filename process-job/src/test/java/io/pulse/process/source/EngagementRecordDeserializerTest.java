package io.pulse.process.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.process.model.Engagement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class EngagementRecordDeserializerTest {
    private final EngagementRecordDeserializer deserializer = new EngagementRecordDeserializer();
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
    void aTombstoneBecomesADeletionOfItsKeyAndGarbageIsCountedNotThrown() {
        deserializer.deserialize(record(null), collector);
        deserializer.deserialize(record(new byte[] {1, 2, 3}), collector);
        assertThat(out).singleElement().satisfies(e -> {
            assertThat(e.deleted).isTrue();
            assertThat(e.eventId).isEqualTo("e-1");
        });
        assertThat(deserializer.deletes()).isEqualTo(1);
        assertThat(deserializer.undecodable()).isEqualTo(1);
    }
}
