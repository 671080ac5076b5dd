package io.pulse.process.pipeline;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Bounded out-of-orderness (watermark = highest event time seen - bound - 1 ms) that emits as soon
 * as the watermark has moved by a step, not only on the periodic timer. Together with
 * {@link WatermarkKeeper} this makes a checkpoint carry (within one step) the watermark its records
 * imply: a periodic-only generator may not yet have emitted it when the barrier passes, and after a
 * restore nothing re-reads those records to emit it.
 */
public final class PromptWatermarks<T> implements WatermarkGenerator<T> {
    /** How far (event time) the watermark moves before it is emitted between periodic emissions. */
    static final long STEP_MILLIS = 1000;

    private final long bound;
    private long maxTimestamp;
    private long lastEmitted = Long.MIN_VALUE;

    public PromptWatermarks(Duration bound) {
        this.bound = bound.toMillis();
        this.maxTimestamp = Long.MIN_VALUE + this.bound + 1;
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
