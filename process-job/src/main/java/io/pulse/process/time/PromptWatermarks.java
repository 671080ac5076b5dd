package io.pulse.process.time;

import io.pulse.runtime.WatermarkKeeper;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Bounded out-of-orderness (watermark = highest event time seen - bound - 1 ms) that emits as soon
 * as the watermark has moved by a step, not only on the periodic timer. Together with
 * {@link WatermarkKeeper} this makes a checkpoint carry (within one step) the watermark its records
 * imply: a periodic-only generator may not yet have emitted it when the barrier passes, and after a
 * restore nothing re-reads those records to emit it.
 *
 * <p>The step only matters while the job catches up (a backlog moves event time far faster than the
 * 200-ms periodic emission); live, the periodic emission comes first. It is 10 s of event time,
 * a twelfth of the default bound: every watermark goes through every operator and shuffle, and at
 * 1 s a backlog of this data set carried one watermark per ~20 records (about a sixth of the job's
 * CPU, `./pulse bench process`).
 */
public final class PromptWatermarks<T> implements WatermarkGenerator<T> {
    /** How far (event time) the watermark moves before it is emitted between periodic emissions. */
    static final long STEP_MILLIS = 10_000;

    /** The timestamp of a record that carries no event time (rejected, a deletion): it neither moves nor holds the watermark. */
    public static final long NO_TIME = Long.MIN_VALUE;

    private final long bound;
    private long maxTimestamp;
    long lastEmitted = Long.MIN_VALUE;

    public PromptWatermarks(Duration bound) {
        this.bound = bound.toMillis();
        this.maxTimestamp = Long.MIN_VALUE + this.bound + 1;
    }

    /**
     * Event time from {@code timestamps} with this generator, and a split that has had no record
     * carrying a time ({@link #NO_TIME} records do not count) for {@code idleness} marked idle: a
     * partition that carries only rejected records does not hold the watermark back.
     */
    public static <T> WatermarkStrategy<T> strategy(Duration bound, Duration idleness, SerializableTimestampAssigner<T> timestamps) {
        return new Strategy<T>(bound, idleness).withTimestampAssigner(timestamps);
    }

    /**
     * One instance per source subtask (Flink deserializes the strategy per operator), so its splits'
     * generators share {@link #taskMax}: the highest watermark any split of the subtask has emitted.
     */
    private static final class Strategy<T> implements WatermarkStrategy<T> {
        private static final long serialVersionUID = 1L;
        private final Duration bound;
        private final Duration idleness;
        private transient long[] taskMax;

        Strategy(Duration bound, Duration idleness) {
            this.bound = bound;
            this.idleness = idleness;
        }

        @Override
        public WatermarkGenerator<T> createWatermarkGenerator(org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier.Context context) {
            if (taskMax == null) {
                taskMax = new long[] {Long.MIN_VALUE};
            }
            return new SplitIdleness<>(new PromptWatermarks<>(bound), idleness, context.getInputActivityClock(), taskMax);
        }
    }

    /**
     * Idleness per split, counting only records that carry a time. A split going idle first takes the
     * highest watermark of its subtask's splits: Flink combines the splits' watermarks only while one
     * of them is active, so when every split goes idle in the same periodic check (their last records
     * came together), a watermark one of them had reached would otherwise never be emitted, and the
     * job would wait at the lowest one until new records come. Taking the highest watermark changes
     * nothing else: an idle split is left out of the minimum anyway, and a record it later brings
     * behind the watermark is late either way.
     */
    private static final class SplitIdleness<T> implements WatermarkGenerator<T> {
        private final PromptWatermarks<T> watermarks;
        private final long idleNanos;
        private final org.apache.flink.util.clock.RelativeClock clock;
        private final long[] taskMax;
        private long lastActivity;
        private boolean idle;

        SplitIdleness(PromptWatermarks<T> watermarks, Duration idleness, org.apache.flink.util.clock.RelativeClock clock, long[] taskMax) {
            this.watermarks = watermarks;
            this.idleNanos = idleness.toNanos();
            this.clock = clock;
            this.taskMax = taskMax;
            this.lastActivity = clock.relativeTimeNanos();
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            if (eventTimestamp == NO_TIME) {
                return;
            }
            lastActivity = clock.relativeTimeNanos();
            idle = false;
            watermarks.onEvent(event, eventTimestamp, output);
            taskMax[0] = Math.max(taskMax[0], watermarks.lastEmitted);
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (clock.relativeTimeNanos() - lastActivity >= idleNanos) {
                if (!idle) {
                    if (taskMax[0] > watermarks.lastEmitted) {
                        watermarks.advanceTo(output, taskMax[0]);
                    }
                    output.markIdle();
                    idle = true;
                }
                return;
            }
            watermarks.onPeriodicEmit(output);
            taskMax[0] = Math.max(taskMax[0], watermarks.lastEmitted);
        }
    }

    /** Emits {@code watermark} (above the last one) as if events up to it had been seen. */
    void advanceTo(WatermarkOutput output, long watermark) {
        maxTimestamp = Math.max(maxTimestamp, watermark + bound + 1);
        emit(output, watermark);
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        if (eventTimestamp > maxTimestamp) {
            maxTimestamp = eventTimestamp;
            long watermark = maxTimestamp - bound - 1;
            if (watermark - lastEmitted >= STEP_MILLIS) {
                emit(output, watermark);
            }
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long watermark = maxTimestamp - bound - 1;
        if (watermark > lastEmitted) {
            emit(output, watermark);
        }
    }

    private void emit(WatermarkOutput output, long watermark) {
        lastEmitted = watermark;
        output.emitWatermark(new Watermark(watermark));
    }
}
