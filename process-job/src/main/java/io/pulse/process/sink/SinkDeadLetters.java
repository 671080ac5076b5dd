package io.pulse.process.sink;

import io.pulse.model.settings.KafkaClient;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.diagnostics.DeadLetter;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import io.pulse.process.UnreportedCounter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Where a sink sends a row its store refused for good (a constraint or type violation, a 4xx): Kafka
 * dead_letter, reason {@link RejectReason#SINK_REJECTED}, with the sink's name, the output and the
 * store's message; counted as {@code sinkRejected} under {@code sink=<name>}. Written by the sink's
 * writer with an idempotent producer and flushed before each checkpoint completes: at least once (a
 * restart between the write and the checkpoint writes it again), which is why the edge's limits keep
 * such rows from reaching a sink in the first place.
 */
public record SinkDeadLetters(KafkaClient kafka, String topic, int maxPayloadBytes) implements Serializable {

    /** The channel of one sink writer. */
    public Channel open(String sink, MetricGroup metrics) {
        return new Channel(this, sink, metrics == null ? new UnreportedCounter() : metrics.addGroup("sink", sink).counter("sinkRejected"));
    }

    /** A writer's channel to dead_letter; opens its producer on the first refused row. */
    public static final class Channel implements AutoCloseable {
        private final SinkDeadLetters options;
        private final String sink;
        private final Counter rejected;
        private KafkaProducer<byte[], byte[]> producer;

        Channel(SinkDeadLetters options, String sink, Counter rejected) {
            this.options = options;
            this.sink = sink;
            this.rejected = rejected;
        }

        /** Sends one refused row ({@code row} as the store was given it, e.g. its JSON) of {@code output}. */
        public void send(String output, String key, String storeMessage, String row) {
            if (producer == null) {
                Properties p = options.kafka().clientProperties();
                p.setProperty("enable.idempotence", "true");
                p.setProperty("acks", "all");
                producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            }
            byte[] payload = row.getBytes(StandardCharsets.UTF_8);
            DeadLetter letter = DeadLetter.of(RejectReason.SINK_REJECTED.name(), storeMessage, output, -1, -1, sink, payload);
            producer.send(new ProducerRecord<>(options.topic(), key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                    letter.toJson(options.maxPayloadBytes())));
            rejected.inc();
        }

        public long count() {
            return rejected.getCount();
        }

        /** Waits until every dead letter sent so far is in Kafka (before a checkpoint completes). */
        public void flush() {
            if (producer != null) {
                producer.flush();
            }
        }

        @Override
        public void close() {
            if (producer != null) {
                producer.close(java.time.Duration.ofSeconds(10));
            }
        }
    }

}
