package io.pulse.process.time;

import io.pulse.runtime.WatermarkKeeper;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

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
     * Event time from {@code timestamps} with this generator per split, and idleness per split as
     * {@link SplitWatermarks} decides it: {@link #NO_TIME} records do not count as activity, so a
     * partition that carries only rejected records does not hold the watermark back.
     */
    public static <T> SplitWatermarks<T> strategy(Duration bound, Duration idleness, SerializableTimestampAssigner<T> timestamps) {
        return new SplitWatermarks<>(bound, idleness, timestamps);
    }

    /** Takes {@code eventTimestamp} into account without emitting (a split holding its watermark). */
    void observe(long eventTimestamp) {
        maxTimestamp = Math.max(maxTimestamp, eventTimestamp);
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
