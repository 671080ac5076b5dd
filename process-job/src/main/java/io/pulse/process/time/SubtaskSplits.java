package io.pulse.process.time;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What one source subtask knows about its splits, shared by the watermark generators of its splits
 * ({@link SplitWatermarks}), the reader that is assigned the splits and the deserializer that sees
 * each record's offset, and a {@link Backlog} that says whether a split's partition holds records
 * the reader has not emitted yet. Everything here runs on the task thread but the backlog's answers
 * ({@link Verdict}s), which another thread writes.
 */
public final class SubtaskSplits {
    /** No offset known yet. */
    public static final long UNKNOWN = Long.MIN_VALUE;

    /**
     * Answers whether splits have records they have not emitted, in numbered rounds: a round answers
     * for every assigned split at once, as of the moment it started.
     */
    public interface Backlog {
        /** Asks for a round that starts after this call; returns its number. */
        long requestRound();

        /** The number of the last round whose verdicts are written. */
        long completedRound();

        /**
         * Whether partitions have been added to a topic so recently that the source may not have been
         * assigned them yet: no split that woke may move the watermark before they are.
         */
        default boolean partitionsAdded() {
            return false;
        }
    }

    /**
     * A split's backlog as round {@code round} found it: whether records follow {@code position} (the
     * next offset the split was to emit when the round started).
     */
    public record Verdict(long round, long position, boolean pending) {}

    /** One partition this subtask reads. */
    public static final class Split {
        public final String topic;
        public final int partition;
        /** The offset the assignment starts at (Kafka's sentinels for earliest/committed included); UNKNOWN if not assigned. */
        volatile long start = UNKNOWN;
        /** The next offset to emit (task thread). */
        long next = UNKNOWN;
        /** {@link #next} as last published for the backlog's thread. */
        volatile long published = UNKNOWN;
        /** Whether a watermark generator has taken this split as its own. */
        volatile boolean bound;
        volatile Verdict verdict;

        Split(String topic, int partition) {
            this.topic = topic;
            this.partition = partition;
        }

        public long start() {
            return start;
        }

        public long published() {
            return published;
        }

        public boolean bound() {
            return bound;
        }

        public Verdict verdict() {
            return verdict;
        }

        public void verdict(Verdict verdict) {
            this.verdict = verdict;
        }

        @Override
        public String toString() {
            return topic + "-" + partition;
        }
    }

    /**
     * While true no split of this subtask moves its watermark: partitions were added to a topic and
     * the source may not have been assigned them yet (set by the backlog as soon as it sees them,
     * cleared on the first periodic emission after {@link Backlog#partitionsAdded()} is over).
     */
    volatile boolean frozen;

    /** The highest watermark any split of this subtask has emitted. */
    long taskMax = Long.MIN_VALUE;
    /** The highest watermark any subtask of the source went idle at, as the enumerator last told (task thread). */
    long jobHighest = Long.MIN_VALUE;
    private java.util.function.LongConsumer reporter;
    private long reported = Long.MIN_VALUE;
    final List<SplitWatermarks.SplitIdleness<?>> generators = new CopyOnWriteArrayList<>();
    private final Map<String, Split> splits = new ConcurrentHashMap<>();
    private volatile Backlog backlog;
    /** The verdict over the assigned splits that no generator has taken yet (none has emitted a record). */
    private volatile Verdict unbound;
    /** The split whose record is being deserialized now, read by the generator that receives it. */
    private Split current;

    /** The split a reader is assigned, from {@code startingOffset}. */
    public void assigned(String topic, int partition, long startingOffset) {
        split(topic, partition).start = startingOffset;
    }

    /** A record of a split is being emitted: the generator receiving its element takes that split as its own. */
    public void emitting(String topic, int partition, long offset) {
        Split s = current;
        if (s == null || s.partition != partition || !s.topic.equals(topic)) {
            s = split(topic, partition);
            current = s;
        }
        s.next = offset + 1;
    }

    Split current() {
        return current;
    }

    private Split split(String topic, int partition) {
        return splits.computeIfAbsent(topic + "-" + partition, k -> new Split(topic, partition));
    }

    /** The splits assigned to this subtask (for the backlog's thread). */
    public List<Split> assignedSplits() {
        List<Split> assigned = new ArrayList<>();
        for (Split s : splits.values()) {
            if (s.start != UNKNOWN) {
                assigned.add(s);
            }
        }
        return assigned;
    }

    /** Makes each split's emitted position visible to the backlog's thread. */
    public void publishPositions() {
        for (Split s : splits.values()) {
            if (s.published != s.next) {
                s.published = s.next;
            }
        }
    }

    /** Where this subtask reports the watermark its splits go idle at (the source's enumerator). */
    public void reportTo(java.util.function.LongConsumer reporter) {
        this.reporter = reporter;
    }

    /** The highest watermark a subtask of the source went idle at. */
    public void highestWatermark(long watermark) {
        jobHighest = Math.max(jobHighest, watermark);
    }

    /** A split of this subtask goes idle at {@code watermark}. */
    void reportIdleAt(long watermark) {
        if (reporter != null && watermark > reported) {
            reported = watermark;
            reporter.accept(watermark);
        }
    }

    public void attach(Backlog backlog) {
        this.backlog = backlog;
    }

    public void detach(Backlog backlog) {
        if (this.backlog == backlog) {
            this.backlog = null;
        }
    }

    Backlog backlog() {
        return backlog;
    }

    /** No split of this subtask moves its watermark until partitions just added can have been assigned. */
    public void freeze() {
        frozen = true;
    }

    public void unboundVerdict(Verdict verdict) {
        this.unbound = verdict;
    }

    /** The verdict over the assigned splits that no generator has taken yet. */
    public Verdict unboundVerdict() {
        return unbound;
    }

    /**
     * Makes every idle split whose partition has records it has not emitted (as a round after it went
     * idle found) active again, at the watermark it had: it holds this subtask's watermark until its
     * records have been read.
     */
    void reactivatePending() {
        for (SplitWatermarks.SplitIdleness<?> g : generators) {
            g.reactivateIfPending();
        }
    }

    int idleSplits() {
        int idle = 0;
        for (SplitWatermarks.SplitIdleness<?> g : generators) {
            if (g.receives() && g.isIdle()) {
                idle++;
            }
        }
        return idle;
    }

    int boundSplits() {
        int bound = 0;
        for (SplitWatermarks.SplitIdleness<?> g : generators) {
            if (g.receives()) {
                bound++;
            }
        }
        return bound;
    }
}
