package io.pulse.process.source;

import io.pulse.process.model.DecodedRecord;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The FLIP-27 Kafka source of user_activity, decoding in the reader; reads committed records only. */
public final class ActivityKafkaSource {
    private ActivityKafkaSource() {}

    public static KafkaSource<DecodedRecord> create(String bootstrap, String topic, String groupId) {
        return KafkaSource.<DecodedRecord>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId(groupId)
                // First start: the whole topic; after that, the offsets in the checkpoint.
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new ActivityRecordDeserializer())
                // Replays are transactional: an aborted replay must not be counted.
                .setProperty("isolation.level", "read_committed")
                .setProperty("partition.discovery.interval.ms", "60000")
                .build();
    }
}
