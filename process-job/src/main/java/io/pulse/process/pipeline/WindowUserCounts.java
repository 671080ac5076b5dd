package io.pulse.process.pipeline;

import java.util.Arrays;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * The middle of active_users, chained behind the per-user operator: adds up the window starts
 * {@link ActiveUserSlides} sends (one per user and window the user is new to) into a count per
 * window, and sends each window's count on, as (window start, users), before every watermark,
 * watermark status and checkpoint barrier and at the end of the input. {@link ActiveUsersCounter} adds up the
 * counts of all subtasks: every user lives in one subtask, so the sums stay exact distinct counts.
 *
 * <p>One record per window and watermark crosses the shuffle by window instead of one per user and
 * window (about one per event in a backlog). Nothing is held across a barrier, so the operator has
 * no state; a count goes out before the watermark that follows its users, so the counter sees it
 * while the window is as open as the slides operator saw it.
 */
public final class WindowUserCounts extends AbstractStreamOperator<Tuple2<Long, Long>>
        implements OneInputStreamOperator<Long, Tuple2<Long, Long>> {
    private static final long serialVersionUID = 1L;
    public static final TypeInformation<Tuple2<Long, Long>> TYPE = Types.TUPLE(Types.LONG, Types.LONG);

    /** The windows with users since the last emission, and their counts: a handful at a time, scanned. */
    private transient long[] starts;
    private transient long[] counts;
    private transient int size;

    public WindowUserCounts() {
        chainingStrategy = ChainingStrategy.ALWAYS;
    }

    @Override
    public void open() throws Exception {
        super.open();
        starts = new long[8];
        counts = new long[8];
    }

    @Override
    public void processElement(StreamRecord<Long> element) {
        long start = element.getValue();
        for (int i = 0; i < size; i++) {
            if (starts[i] == start) {
                counts[i]++;
                return;
            }
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
            counts = Arrays.copyOf(counts, size * 2);
        }
        starts[size] = start;
        counts[size++] = 1;
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        emit();
        super.processWatermark(mark);
    }

    /** Before the input goes idle: its watermark then no longer holds the counter's back. */
    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        emit();
        super.processWatermarkStatus(status);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        emit();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        emit();
        super.finish();
    }

    private void emit() {
        for (int i = 0; i < size; i++) {
            output.collect(new StreamRecord<>(Tuple2.of(starts[i], counts[i])));
        }
        size = 0;
    }
}
