package io.pulse.process.pipeline;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.eventtime.WatermarksWithIdleness;

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
    private long lastEmitted = Long.MIN_VALUE;

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
        return WatermarkStrategy.<T>forGenerator(context -> new TimedRecordsOnly<>(
                        new WatermarksWithIdleness<>(new PromptWatermarks<>(bound), idleness, context.getInputActivityClock())))
                .withTimestampAssigner(timestamps);
    }

    /** Hands on only the records that carry a time, so the others are no activity for the idleness check either. */
    private static final class TimedRecordsOnly<T> implements org.apache.flink.api.common.eventtime.WatermarkGenerator<T> {
        private final WatermarkGenerator<T> inner;

        TimedRecordsOnly(WatermarkGenerator<T> inner) {
            this.inner = inner;
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            if (eventTimestamp != NO_TIME) {
                inner.onEvent(event, eventTimestamp, output);
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            inner.onPeriodicEmit(output);
        }
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
