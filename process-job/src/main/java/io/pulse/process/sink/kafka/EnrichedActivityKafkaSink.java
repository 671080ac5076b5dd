package io.pulse.process.sink.kafka;

import io.pulse.model.settings.KafkaClient;
import io.pulse.process.sink.cassandra.CassandraUserEventsSink;
import io.pulse.model.avro.EnrichedActivity;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.process.model.Activity;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.LongSupplier;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka enriched_activity (DESIGN.md "Kafka"): each valid activity event plus processing_time,
 * bucket_date and event_date (the UTC date of its event time), as Avro single-object, keyed by
 * user_id, written in Kafka transactions committed on checkpoint.
 */
public final class EnrichedActivityKafkaSink {
    private EnrichedActivityKafkaSink() {}

    public static KafkaSink<Activity> create(KafkaClient kafka, String topic, String transactionalIdPrefix) {
        return ExactlyOnceKafkaSinks.create(kafka, transactionalIdPrefix + "-enriched",
                new Serializer(topic, System::currentTimeMillis));
    }

    /** The enriched record of one activity. */
    public static EnrichedActivity enrich(Activity a, long processingTime) {
        String date = CassandraUserEventsSink.bucketDate(a.eventTime).toString();
        return EnrichedActivity.newBuilder().setEvent(a.toUserEvent()).setProcessingTime(Instant.ofEpochMilli(processingTime))
                .setBucketDate(date).setEventDate(date).build();
    }

    static final class Serializer implements KafkaRecordSerializationSchema<Activity> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final SerializableClock clock;
        private transient AvroSingleObjectCodec<EnrichedActivity> avro;

        interface SerializableClock extends LongSupplier, java.io.Serializable {}

        Serializer(String topic, SerializableClock clock) {
            this.topic = topic;
            this.clock = clock;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Activity a, KafkaSinkContext context, Long timestamp) {
            if (avro == null) {
                avro = new AvroSingleObjectCodec<>(EnrichedActivity.class);
            }
            return new ProducerRecord<>(topic, a.userId.getBytes(StandardCharsets.UTF_8), avro.encode(enrich(a, clock.getAsLong())));
        }
    }
}
