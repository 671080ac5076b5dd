package io.pulse.process.source;

import io.pulse.model.codec.InputLimits;
import io.pulse.model.settings.KafkaClient;
import io.pulse.process.model.DecodedRecord;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The FLIP-27 Kafka sources of the job: user_activity decoded in the reader; committed records only. */
public final class ActivityKafkaSource {
    private ActivityKafkaSource() {}

    public static KafkaSource<DecodedRecord> create(KafkaClient kafka, String topic, String groupId, InputLimits limits,
                                                int maxDeadLetterPayload) {
        // Replays are transactional: an aborted replay must not be counted.
        return committedRecords(kafka, topic, groupId, new ActivityRecordDeserializer(limits, maxDeadLetterPayload));
    }

    /** A source of a topic's committed records; first start: the whole topic, after that the checkpoint's offsets. */
    static <T> KafkaSource<T> committedRecords(KafkaClient kafka, String topic, String groupId,
                                               KafkaRecordDeserializationSchema<T> deserializer) {
        return KafkaSource.<T>builder()
                .setProperties(kafka.clientProperties())
                .setBootstrapServers(kafka.bootstrap())
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(deserializer)
                .setProperty("isolation.level", "read_committed")
                .setProperty("partition.discovery.interval.ms", "60000")
                .build();
    }
}
