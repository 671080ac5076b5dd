package io.pulse.process.sink.kafka;

import io.pulse.model.settings.KafkaClient;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

/** Kafka sinks of the process job: transactional, committed on checkpoint, one transactional id prefix each. */
final class ExactlyOnceKafkaSinks {
    private ExactlyOnceKafkaSinks() {}

    static <T> KafkaSink<T> create(KafkaClient kafka, String transactionalIdPrefix, KafkaRecordSerializationSchema<T> serializer) {
        Properties producer = new Properties();
        // How long an outage of Kafka or Flink between a checkpoint and its commit may last without losing that
        // checkpoint's records; an hour unless the brokers allow less (KafkaClient.transactionTimeoutAllowed).
        Properties client = kafka.clientProperties();
        client.setProperty("transaction.timeout.ms", Long.toString(kafka.transactionTimeoutAllowed().toMillis()));
        // Readers see the records at the transaction's commit (on checkpoint), which flushes anyway:
        // lingering costs no visible latency and spares the sender thread thousands of tiny
        // requests (a profile of the whole pipeline had it at ~12% of all CPU samples with linger 0).
        producer.setProperty("linger.ms", "100");
        producer.setProperty("batch.size", "262144");
        producer.putAll(client); // the user's kafka.properties.* win
        return KafkaSink.<T>builder()
                .setBootstrapServers(kafka.bootstrap())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .build();
    }
}
