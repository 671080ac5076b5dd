package io.pulse.process.time;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Event time per source split: bounded out-of-orderness ({@link PromptWatermarks}) and idleness that
 * means "caught up and nothing new", not "nothing emitted for a while" (docs/lateness.md).
 *
 * <p>A split that has had no record carrying a time for {@code idleness} goes idle only once its
 * subtask's {@link SubtaskSplits.Backlog} has found no record after the split's position in its
 * partition (Kafka holds none the reader has not emitted: not fetched yet, in the reader's queue, or
 * held back by a slow or throttled fetch). While it is idle, the backlog keeps looking; records
 * appearing in its partition make it active again at the watermark it had, so it holds its
 * subtask's watermark until they are read. A split that wakes with records of its own does not move
 * the watermark for {@link #WAKE_HOLD} and until a backlog round that started after it woke has been
 * applied: after a quiet spell, a backlog that lands on several partitions at once moves the
 * watermark only once every split with records has been read up to it, whichever the reader
 * emits first. Without a backlog (a source other than Kafka) idleness is the clock alone.
 *
 * <p>A split going idle reports its watermark to the source's enumerator, which tells every subtask the
 * highest reported; an idle split with nothing pending takes it. Downstream, Flink counts an input that
 * becomes active again only once its watermark reaches the one already emitted: an input that went
 * idle lower than the others would not hold the watermark while it reads a backlog that lands after a
 * quiet spell, and another subtask that read its share sooner would make the rest late.
 *
 * <p>One instance per source subtask: Flink deserializes the strategy per operator, and a
 * {@code BacklogTracking} source carrying this very instance shares it ({@link #subtask()}) with its
 * reader and deserializer.
 */
public final class SplitWatermarks<T> implements WatermarkStrategy<T> {
    private static final long serialVersionUID = 1L;
    /** How long a split that wakes from idleness holds the watermark at least (other subtasks' splits may wake too). */
    static final Duration WAKE_HOLD = Duration.ofSeconds(2);

    private final Duration bound;
    private final Duration idleness;
    private final SerializableTimestampAssigner<T> timestamps;
    private transient SubtaskSplits subtask;

    public SplitWatermarks(Duration bound, Duration idleness, SerializableTimestampAssigner<T> timestamps) {
        this.bound = bound;
        this.idleness = idleness;
        this.timestamps = timestamps;
    }

    /** What a source holds that feeds a strategy of its own: the strategy must be that very instance. */
    public interface Carrier<T> {
        SplitWatermarks<T> watermarks();
    }

    /** The strategy {@code source} carries, else {@code otherwise}. */
    @SuppressWarnings("unchecked")
    public static <T> SplitWatermarks<T> forSource(org.apache.flink.api.connector.source.Source<T, ?, ?> source,
                                                   SplitWatermarks<T> otherwise) {
        if (source instanceof io.pulse.runtime.kafka.SplitTrackingKafkaSource<?> kafka && kafka.listener() instanceof Carrier<?> carrier) {
            return (SplitWatermarks<T>) carrier.watermarks();
        }
        return otherwise;
    }

    /** What this subtask knows about its splits (created on first use). */
    public SubtaskSplits subtask() {
        if (subtask == null) {
            subtask = new SubtaskSplits();
        }
        return subtask;
    }

    public Duration bound() {
        return bound;
    }

    public Duration idleness() {
        return idleness;
    }

    @Override
    public TimestampAssigner<T> createTimestampAssigner(TimestampAssignerSupplier.Context context) {
        return timestamps;
    }

    @Override
    public WatermarkGenerator<T> createWatermarkGenerator(WatermarkGeneratorSupplier.Context context) {
        SubtaskSplits splits = subtask();
        if (splits.generators.isEmpty()) {
            registerMetrics(context.getMetricGroup(), splits);
        }
        SplitIdleness<T> generator = new SplitIdleness<>(splits, new PromptWatermarks<>(bound), idleness, context.getInputActivityClock());
        splits.generators.add(generator);
        return generator;
    }

    private static void registerMetrics(MetricGroup group, SubtaskSplits splits) {
        if (group == null) {
            return;
        }
        group.gauge("watermarkSplits", (Gauge<Integer>) splits::boundSplits);
        group.gauge("watermarkSplitsIdle", (Gauge<Integer>) splits::idleSplits);
    }

    /**
     * The generator of one split output (or of the reader's main output, which never receives a
     * record from a split reader: it stays without a split and never emits a watermark).
     */
    static final class SplitIdleness<T> implements WatermarkGenerator<T> {
        private final SubtaskSplits splits;
        private final PromptWatermarks<T> watermarks;
        private final long idleNanos;
        private final RelativeClock clock;
        private SubtaskSplits.Split split;
        /** Whether this generator has received a record: the reader's main output never does. */
        private boolean receives;
        private long lastTimed;
        private volatile boolean idle;
        /** The first round that can say anything new about this split since it went idle. */
        private long idleRound;
        /** The round asked for once the idleness interval had passed; -1: none asked. */
        private long catchUpRound = -1;
        private boolean holding;
        private long holdRound;
        private long holdUntil;
        private WatermarkOutput periodicOutput;

        SplitIdleness(SubtaskSplits splits, PromptWatermarks<T> watermarks, Duration idleness, RelativeClock clock) {
            this.splits = splits;
            this.watermarks = watermarks;
            this.idleNanos = idleness.toNanos();
            this.clock = clock;
            this.lastTimed = clock.relativeTimeNanos();
        }

        /** Whether this is a split's generator that has had records. */
        boolean receives() {
            return receives;
        }

        boolean isIdle() {
            return idle;
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            receives = true;
            if (split == null) {
                SubtaskSplits.Split current = splits.current();
                if (current != null && !current.bound) {
                    split = current;
                    current.bound = true;
                }
            }
            if (eventTimestamp == PromptWatermarks.NO_TIME) {
                return;
            }
            lastTimed = clock.relativeTimeNanos();
            catchUpRound = -1;
            if (idle) {
                idle = false;
                output.markActive();
                SubtaskSplits.Backlog backlog = splits.backlog();
                if (backlog != null) {
                    holding = true;
                    holdRound = backlog.requestRound();
                    holdUntil = lastTimed + WAKE_HOLD.toNanos();
                }
            }
            if (holding || splits.frozen) {
                watermarks.observe(eventTimestamp);
                return;
            }
            watermarks.onEvent(event, eventTimestamp, output);
            splits.taskMax = Math.max(splits.taskMax, watermarks.lastEmitted);
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            periodicOutput = output;
            splits.publishPositions();
            splits.reactivatePending();
            SubtaskSplits.Backlog backlog = splits.backlog();
            if (splits.frozen && (backlog == null || !backlog.partitionsAdded())) {
                splits.frozen = false;
            }
            if (idle) {
                if (backlog != null) {
                    backlog.requestRound(); // keep looking for records arriving in its partition
                }
                if (receives && splits.jobHighest > watermarks.lastEmitted && !pendingSinceIdle()) {
                    // Another subtask went idle higher: take its watermark, as Flink's valve downstream does once every
                    // input is idle, so this input is aligned with the others when it wakes. Emitting makes it active
                    // until the next round finds it caught up again.
                    idle = false;
                    catchUpRound = -1;
                    watermarks.advanceTo(output, splits.jobHighest);
                    splits.taskMax = Math.max(splits.taskMax, watermarks.lastEmitted);
                }
                return;
            }
            if (holding && !releaseHold(backlog) || splits.frozen) {
                return;
            }
            if (clock.relativeTimeNanos() - lastTimed < idleNanos || !caughtUp(backlog)) {
                emit(output);
                return;
            }
            if (receives && splits.taskMax > watermarks.lastEmitted) {
                // Caught up: take the subtask's highest watermark first (a pass in which every split goes idle emits nothing).
                watermarks.advanceTo(output, splits.taskMax);
                return;
            }
            output.markIdle();
            idle = true;
            catchUpRound = -1;
            if (receives) {
                splits.reportIdleAt(watermarks.lastEmitted);
            }
            idleRound = backlog == null ? 0 : backlog.requestRound();
        }

        private void emit(WatermarkOutput output) {
            if (receives) {
                watermarks.onPeriodicEmit(output);
                splits.taskMax = Math.max(splits.taskMax, watermarks.lastEmitted);
            }
        }

        private boolean releaseHold(SubtaskSplits.Backlog backlog) {
            if ((backlog != null && backlog.completedRound() < holdRound) || clock.relativeTimeNanos() < holdUntil) {
                return false;
            }
            splits.reactivatePending(); // the round's verdicts, before this split's watermark moves
            holding = false;
            return true;
        }

        /**
         * Whether a round asked for after the idleness interval passed found nothing after this split's
         * position, or found the split's reader emitting records (none carrying a time) since it looked.
         */
        private boolean caughtUp(SubtaskSplits.Backlog backlog) {
            if (backlog == null) {
                return true;
            }
            if (catchUpRound < 0) {
                catchUpRound = backlog.requestRound();
                return false;
            }
            SubtaskSplits.Verdict v = verdict();
            if (v == null || v.round() < catchUpRound) {
                return false;
            }
            if (!covers(v)) {
                return true; // read, not held back: a partition that carries only rejected records does not hold the watermark
            }
            if (v.pending()) {
                catchUpRound = backlog.requestRound(); // records to read: look again
                return false;
            }
            return true;
        }

        /** Whether a round since this split went idle found records in its partition it has not emitted. */
        private boolean pendingSinceIdle() {
            SubtaskSplits.Verdict v = verdict();
            return v != null && v.round() >= idleRound && v.pending() && covers(v);
        }

        /** Called for every generator of the subtask, on any periodic emission. */
        void reactivateIfPending() {
            if (!idle || periodicOutput == null) {
                return;
            }
            if (pendingSinceIdle()) {
                idle = false;
                catchUpRound = -1;
                periodicOutput.markActive();
            }
        }

        private SubtaskSplits.Verdict verdict() {
            return split == null ? splits.unboundVerdict() : split.verdict();
        }

        /** Whether the verdict was reached with everything this split has emitted counted in. */
        private boolean covers(SubtaskSplits.Verdict v) {
            return split == null || v.position() >= split.next;
        }
    }
}
