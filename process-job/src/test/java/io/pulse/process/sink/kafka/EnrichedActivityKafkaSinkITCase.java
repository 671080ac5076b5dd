package io.pulse.process.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.EnrichedActivity;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.process.model.Activity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** enriched_activity through the real Kafka of the test stack, read back with read_committed. */
class EnrichedActivityKafkaSinkITCase {
    @Test
    void eachActivityArrivesOnceWithItsUtcDates() throws Exception {
        StackEndpoints stack = LocalStack.sharedEndpoints();
        long nearMidnight = Instant.parse("2025-07-24T23:59:59.500Z").toEpochMilli();
        Activity[] events = {
                Activity.of("e-1", "u-1", "login", nearMidnight).withDevice("Web"),
                Activity.of("e-2", "u-1", "click", nearMidnight + 1000).withPage("/home")};
        try (ScratchTopic topic = ScratchTopic.create(stack, "enriched-it", 1)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.enableCheckpointing(500);
            env.fromData(Activity.TYPE, events).sinkTo(EnrichedActivityKafkaSink.create(io.pulse.model.settings.KafkaClient.of(stack.kafkaBootstrap()), topic.name(),
                    "enriched-it-" + UUID.randomUUID()));
            env.execute("enriched-activity-it");

            List<ConsumerRecord<byte[], byte[]>> records = topic.awaitRecords(2, Duration.ofSeconds(30));
            assertThat(records).hasSize(2);
            AvroSingleObjectCodec<EnrichedActivity> avro = new AvroSingleObjectCodec<>(EnrichedActivity.class);
            EnrichedActivity first = avro.decode(records.get(0).value()).value();
            EnrichedActivity second = avro.decode(records.get(1).value()).value();
            assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("u-1");
            assertThat(first.getEvent().getEventId()).isEqualTo("e-1");
            assertThat(first.getBucketDate()).isEqualTo("2025-07-24");
            assertThat(first.getEventDate()).isEqualTo("2025-07-24");
            assertThat(second.getEventDate()).isEqualTo("2025-07-25");
            assertThat(second.getEvent().getPage()).isEqualTo("/home");
            assertThat(first.getProcessingTime()).isAfter(Instant.parse("2026-01-01T00:00:00Z"));
        }
    }
}
