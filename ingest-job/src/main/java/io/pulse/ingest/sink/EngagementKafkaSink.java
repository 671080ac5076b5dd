package io.pulse.ingest.sink;

import io.pulse.model.settings.KafkaClient;
import io.pulse.ingest.pipeline.EngagementChange;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Kafka engagement_events, keyed by event_id, written in Kafka transactions committed on checkpoint. */
public final class EngagementKafkaSink {
    private EngagementKafkaSink() {}

    public static KafkaSink<EngagementChange> create(KafkaClient kafka, String topic, String transactionalIdPrefix) {
        Properties producer = new Properties();
        // How long an outage of Kafka or Flink between a checkpoint and its commit may last without losing that
        // checkpoint's records; an hour unless the brokers allow less (KafkaClient.transactionTimeoutAllowed).
        Properties client = kafka.clientProperties();
        client.setProperty("transaction.timeout.ms", Long.toString(kafka.transactionTimeoutAllowed().toMillis()));
        producer.putAll(client); // the user's kafka.properties.* win
        return KafkaSink.<EngagementChange>builder()
                .setBootstrapServers(kafka.bootstrap())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(new Serializer(topic))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .build();
    }

    static final class Serializer implements KafkaRecordSerializationSchema<EngagementChange> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        Serializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(EngagementChange change, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, change.eventId.getBytes(StandardCharsets.UTF_8), change.value);
        }
    }
}
