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
 * store's message; counted as {@code sinkRejected} under {@code sink=<name>} once Kafka has it.
 * Written by the sink's writer with an idempotent producer and flushed before each checkpoint
 * completes; a dead letter Kafka did not take (a missing topic, an unavailable partition, a timeout)
 * fails that flush, so the checkpoint does not complete and the row is written again after the
 * restart: at least once, never lost, which is why the edge's limits keep such rows from reaching a
 * sink in the first place.
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
        private final java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
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
                p.putIfAbsent("max.block.ms", "30000"); // a missing topic fails the send after 30 s, not 60
                producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            }
            byte[] payload = row.getBytes(StandardCharsets.UTF_8);
            DeadLetter letter = DeadLetter.of(RejectReason.SINK_REJECTED.name(), storeMessage, output, -1, -1, sink, payload);
            try {
                producer.send(new ProducerRecord<>(options.topic(), key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                        letter.toJson(options.maxPayloadBytes())), (metadata, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            } else {
                                taken.incrementAndGet();
                            }
                        });
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        /** The dead letters Kafka has taken so far. */
        public long count() {
            return rejected.getCount() + taken.get();
        }

        /**
         * Waits until every dead letter sent so far is in Kafka (before a checkpoint completes); fails,
         * and so fails the checkpoint, if Kafka did not take one.
         */
        public void flush() throws java.io.IOException {
            if (producer == null) {
                return;
            }
            producer.flush();
            rejected.inc(taken.getAndSet(0));
            Exception e = failure.getAndSet(null);
            if (e != null) {
                throw new java.io.IOException(sink + ": Kafka did not take a dead letter of a refused row (topic '" + options.topic()
                        + "': does it exist, is the cluster up?): " + e
                        + "; the checkpoint does not complete, and the row is written again after the restart", e);
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
