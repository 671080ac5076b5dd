package io.pulse.process.source;

import io.pulse.process.time.SubtaskSplits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import io.pulse.runtime.kafka.KafkaSplitListener;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, for one source reader, whether Kafka holds committed records of its splits beyond the
 * position each split has emitted. A round asks for the partitions' last stable offsets; a split
 * whose position is below it gets a fetch from its position, because the gap may hold only
 * transaction markers or aborted records (which a read_committed consumer skips). Rounds run on a
 * thread of their own, when the splits' watermark generators ask, at most every
 * {@link #MIN_INTERVAL}; a round that cannot reach Kafka answers "pending" for every split, so no
 * split goes idle on a guess.
 */
final class KafkaBacklogProbe implements SubtaskSplits.Backlog, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBacklogProbe.class);
    static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final long WARN_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    private final Properties properties;
    private final SubtaskSplits splits;
    private final Thread thread;
    /** No record lies in [from, through) of a partition, as a fetch found. */
    private final Map<TopicPartition, long[]> verified = new HashMap<>();
    private final Map<TopicPartition, Long> resolvedStart = new HashMap<>();
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private long requested;
    private long started;
    private volatile long completed;
    private volatile boolean closed;
    private long lastWarning = System.nanoTime() - WARN_EVERY_NANOS;
    /** Partitions per topic as the first round saw them; more later means partitions were added. */
    private final Map<String, Integer> partitionCounts = new HashMap<>();
    private volatile long partitionsAddedUntil = System.nanoTime();
    private final long partitionsAddedGrace;

    /**
     * A probe for the splits of subtask {@code subtask}. Once it sees partitions added to a topic it
     * answers "pending" for every split for {@code partitionsAddedGrace} (the source's partition
     * discovery interval and a margin), so the watermark waits until the source has been assigned them.
     */
    KafkaBacklogProbe(Properties clientProperties, String groupId, int subtask, SubtaskSplits splits, Duration partitionsAddedGrace) {
        this.splits = splits;
        this.partitionsAddedGrace = partitionsAddedGrace.toNanos();
        this.properties = new Properties();
        properties.putAll(clientProperties);
        properties.setProperty(ConsumerConfig.GROUP_ID_CONFIG, groupId); // to read the group's committed offsets; never joins or commits
        properties.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-backlog-" + subtask);
        properties.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.setProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "1024");
        properties.setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        properties.setProperty(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "1000"); // sees added partitions within a second
        properties.setProperty(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.setProperty(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.thread = new Thread(this::run, "pulse-backlog-probe-" + subtask);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public synchronized long requestRound() {
        long round = started + 1;
        if (round > requested) {
            requested = round;
            notifyAll();
        }
        return round;
    }

    @Override
    public long completedRound() {
        return completed;
    }

    @Override
    public boolean partitionsAdded() {
        return System.nanoTime() - partitionsAddedUntil < 0;
    }

    private void run() {
        long lastStart = 0;
        try {
            while (!closed) {
                long round;
                synchronized (this) {
                    while (!closed && requested <= started) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                long wait = lastStart + MIN_INTERVAL.toNanos() - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                synchronized (this) {
                    round = ++started;
                }
                lastStart = System.nanoTime();
                runRound(round);
                completed = round;
            }
        } catch (InterruptedException | WakeupException e) {
            // closed
        } finally {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(1));
            }
        }
    }

    /** One round: a verdict for every assigned split, and one for those no generator has taken yet. */
    void runRound(long round) {
        List<SubtaskSplits.Split> assigned = splits.assignedSplits();
        if (assigned.isEmpty()) {
            splits.unboundVerdict(new SubtaskSplits.Verdict(round, 0, false));
            return;
        }
        Map<TopicPartition, Boolean> pending;
        Map<TopicPartition, Long> positions = new HashMap<>();
        try {
            if (consumer == null) {
                consumer = new KafkaConsumer<>(properties);
            }
            for (SubtaskSplits.Split s : assigned) {
                positions.put(new TopicPartition(s.topic, s.partition), position(s));
            }
            pending = pending(positions);
            lookForAddedPartitions(assigned);
            if (partitionsAdded()) {
                pending.replaceAll((tp, p) -> true);
            }
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            if (closed) {
                return;
            }
            warn("cannot tell whether Kafka holds records the source has not read yet (" + e + "); no split goes idle until it can");
            pending = new HashMap<>();
            for (SubtaskSplits.Split s : assigned) {
                pending.put(new TopicPartition(s.topic, s.partition), true);
                positions.putIfAbsent(new TopicPartition(s.topic, s.partition), Long.MAX_VALUE);
            }
        }
        boolean unboundPending = false;
        for (SubtaskSplits.Split s : assigned) {
            TopicPartition tp = new TopicPartition(s.topic, s.partition);
            boolean p = pending.getOrDefault(tp, true);
            s.verdict(new SubtaskSplits.Verdict(round, positions.get(tp), p));
            if (!s.bound()) {
                unboundPending |= p;
            }
        }
        splits.unboundVerdict(new SubtaskSplits.Verdict(round, 0, unboundPending));
    }

    private void lookForAddedPartitions(List<SubtaskSplits.Split> assigned) {
        Set<String> topics = new HashSet<>();
        assigned.forEach(s -> topics.add(s.topic));
        for (String topic : topics) {
            int count = consumer.partitionsFor(topic, REQUEST_TIMEOUT).size();
            Integer before = partitionCounts.put(topic, count);
            if (before != null && count > before) {
                LOG.info("{}: {} has {} partitions now (was {}); the watermark waits {} s for the source to be assigned them",
                        thread.getName(), topic, count, before, partitionsAddedGrace / 1_000_000_000L);
                partitionsAddedUntil = System.nanoTime() + partitionsAddedGrace;
                splits.freeze();
            }
        }
    }

    /** The next offset the split's reader is to emit: what it has emitted, else where its assignment starts. */
    private long position(SubtaskSplits.Split s) {
        long emitted = s.published();
        if (emitted != SubtaskSplits.UNKNOWN) {
            return emitted;
        }
        TopicPartition tp = new TopicPartition(s.topic, s.partition);
        long start = s.start();
        if (start >= 0) {
            return start;
        }
        Long resolved = resolvedStart.get(tp);
        if (resolved == null) {
            resolved = resolve(tp, start);
            resolvedStart.put(tp, resolved);
        }
        return resolved;
    }

    private long resolve(TopicPartition tp, long sentinel) {
        if (sentinel == KafkaSplitListener.COMMITTED) {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(tp), REQUEST_TIMEOUT);
            OffsetAndMetadata offset = committed.get(tp);
            if (offset != null) {
                return offset.offset();
            }
        }
        if (sentinel == KafkaSplitListener.LATEST) {
            return consumer.endOffsets(Set.of(tp), REQUEST_TIMEOUT).get(tp);
        }
        return consumer.beginningOffsets(Set.of(tp), REQUEST_TIMEOUT).get(tp);
    }

    /** Per partition: whether a committed record lies at or after its position. */
    private Map<TopicPartition, Boolean> pending(Map<TopicPartition, Long> positions) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(positions.keySet(), REQUEST_TIMEOUT);
        Map<TopicPartition, Boolean> pending = new HashMap<>();
        List<TopicPartition> toFetch = new ArrayList<>();
        for (Map.Entry<TopicPartition, Long> p : positions.entrySet()) {
            TopicPartition tp = p.getKey();
            long position = p.getValue();
            long end = ends.get(tp);
            long[] gap = verified.get(tp);
            if (end <= position || gap != null && gap[0] <= position && gap[1] >= end) {
                pending.put(tp, false);
            } else {
                toFetch.add(tp);
            }
        }
        if (!toFetch.isEmpty()) {
            fetch(toFetch, positions, ends, pending);
        }
        return pending;
    }

    /** Reads from each position until a record shows (pending) or the position passes the end (only markers or aborted records). */
    private void fetch(List<TopicPartition> partitions, Map<TopicPartition, Long> positions, Map<TopicPartition, Long> ends,
                       Map<TopicPartition, Boolean> pending) {
        consumer.assign(partitions);
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, positions.get(tp));
        }
        Set<TopicPartition> open = new HashSet<>(partitions);
        long deadline = System.nanoTime() + FETCH_TIMEOUT.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline && !closed) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (open.remove(tp)) {
                    pending.put(tp, true);
                    consumer.pause(Set.of(tp));
                }
            }
            for (TopicPartition tp : new ArrayList<>(open)) {
                long reached = consumer.position(tp, REQUEST_TIMEOUT);
                if (reached >= ends.get(tp)) {
                    open.remove(tp);
                    pending.put(tp, false);
                    verified.put(tp, new long[] {positions.get(tp), reached});
                }
            }
        }
        for (TopicPartition tp : open) {
            pending.put(tp, true); // not found out in time: assume records
        }
        consumer.resume(consumer.paused());
        consumer.assign(List.of());
    }

    private void warn(String message) {
        long now = System.nanoTime();
        if (now - lastWarning >= WARN_EVERY_NANOS) {
            lastWarning = now;
            LOG.warn("{}: {}", thread.getName(), message);
        }
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        if (thread.isAlive()) {
            KafkaConsumer<byte[], byte[]> c = consumer;
            if (c != null) {
                c.wakeup();
            }
            thread.interrupt();
            thread.join(Duration.ofSeconds(5).toMillis());
        } else if (consumer != null) {
            consumer.close(Duration.ofSeconds(1)); // rounds run without the thread (tests)
        }
    }
}
