package io.pulse.process.source;

import io.pulse.process.model.Engagement;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The FLIP-27 Kafka source of engagement_events (the ingest job's output); reads committed records only. */
public final class EngagementKafkaSource {
    private EngagementKafkaSource() {}

    public static KafkaSource<Engagement> create(String bootstrap, String topic, String groupId) {
        return KafkaSource.<Engagement>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new EngagementRecordDeserializer())
                // The ingest job writes in Kafka transactions: an aborted one must not be scored.
                .setProperty("isolation.level", "read_committed")
                .setProperty("partition.discovery.interval.ms", "60000")
                .build();
    }
}
