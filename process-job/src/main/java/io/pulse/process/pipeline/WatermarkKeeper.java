package io.pulse.process.pipeline;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Makes the watermark survive a restart. Flink does not checkpoint watermarks: a restored job
 * starts from no watermark, so an event that was late before a crash would be counted after it,
 * and the outputs would differ from a run without the crash. This operator remembers the
 * watermark in its checkpointed state, emits it again when the job is restored, and never lets
 * the watermark go back.
 */
public final class WatermarkKeeper<T> extends AbstractStreamOperator<T> implements OneInputStreamOperator<T, T> {
    private transient ListState<Long> stored;
    private transient long watermark = Long.MIN_VALUE;
    private transient boolean pendingRestore;

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        // Union state: every subtask gets every stored value back and restores their minimum, the
        // watermark the job as a whole had reached. With split list state a subtask may get no value
        // at all and restart from nothing, letting late records through (seen in ProcessJobITCase).
        // (Union state cannot be checkpointed once some subtasks of a bounded input have finished;
        // the benchmark tolerates those checkpoint failures.)
        stored = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("watermark", Types.LONG));
        if (context.isRestored()) {
            long min = Long.MAX_VALUE;
            boolean any = false;
            for (Long value : stored.get()) {
                min = Math.min(min, value);
                any = true;
            }
            watermark = any ? min : Long.MIN_VALUE;
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (watermark > Long.MIN_VALUE) {
            pendingRestore = true;
            // Also from the mailbox once the task runs, for a restored job that receives no input.
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime(),
                    time -> emitRestoredWatermark());
        }
    }

    /** The restored watermark goes out before anything else does: no record may overtake it. */
    private void emitRestoredWatermark() {
        if (pendingRestore) {
            pendingRestore = false;
            output.emitWatermark(new Watermark(watermark));
        }
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        emitRestoredWatermark();
        output.collect(element);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        emitRestoredWatermark();
        if (mark.getTimestamp() > watermark) {
            watermark = mark.getTimestamp();
            super.processWatermark(mark);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        stored.update(java.util.List.of(watermark));
    }
}
