package io.pulse.process.sink.kafka;

import io.pulse.model.settings.KafkaClient;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.LateEvent;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.model.LateActivity;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Kafka late_events and dead_letter, written transactionally: a restart never duplicates a record. */
public final class DiagnosticsKafkaSinks {
    private final KafkaClient kafka;
    private final String transactionalIdPrefix;

    public DiagnosticsKafkaSinks(KafkaClient kafka, String transactionalIdPrefix) {
        this.kafka = kafka;
        this.transactionalIdPrefix = transactionalIdPrefix;
    }

    public KafkaSink<LateActivity> lateEvents(String topic) {
        return sink(new LateEventSerializer(topic), "late");
    }

    public KafkaSink<DecodedRecord> deadLetters(String topic) {
        return sink(new DeadLetterSerializer(topic), "dead");
    }

    private <T> KafkaSink<T> sink(KafkaRecordSerializationSchema<T> serializer, String name) {
        return ExactlyOnceKafkaSinks.create(kafka, transactionalIdPrefix + "-" + name, serializer);
    }

    static final class LateEventSerializer implements KafkaRecordSerializationSchema<LateActivity> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private transient UserEventCodec codec;

        LateEventSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(LateActivity late, KafkaSinkContext context, Long timestamp) {
            if (codec == null) {
                codec = new UserEventCodec();
            }
            String json = new String(codec.encodeJson(late.activity.toUserEvent()), StandardCharsets.UTF_8);
            LateEvent event = new LateEvent(late.operator, late.activity.eventId, late.activity.userId,
                    late.activity.eventType, late.activity.eventTime, late.watermark, json);
            return new ProducerRecord<>(topic, late.activity.userId.getBytes(StandardCharsets.UTF_8), event.toJson());
        }
    }

    static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DecodedRecord> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        DeadLetterSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DecodedRecord r, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, r.key,
                    r.deadLetter().toJson(Integer.MAX_VALUE)); // the payload was cut at the edge already
        }
    }
}
