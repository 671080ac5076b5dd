package io.pulse.runtime;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Makes the watermark survive a restart. Flink does not checkpoint watermarks: a restored job
 * starts from no watermark, so an event that was late before a crash would be counted after it,
 * and the outputs would differ from a run without the crash. This operator remembers its
 * subtask's watermark and whether its input was idle in checkpointed state, emits both again when
 * the job is restored, and never lets the watermark go back.
 *
 * <p>Each subtask restores its own watermark (when the parallelism is unchanged), and starts
 * active: whether its input was idle before the restart says nothing about now. An input that was
 * idle at a checkpoint may hold records that arrived while the job was down; announced idle again,
 * the other inputs would carry the watermark past them before they are read (docs/decisions/0042).
 * A restored input that is still quiet goes idle again as its source decides (caught up and quiet
 * for the idleness interval), so windows wait that long after a restart at most. Until its input
 * has said anything, a snapshot records the idleness it was restored with: a savepoint taken
 * right after a restore (stop, rescale, stop again) must not count an input that had no split, or
 * had caught up, as active at the watermark it stopped at, or a rescale would restore that older
 * watermark (or none) as the job's. Rescaled, every
 * subtask restores the watermark the job had: the minimum over the inputs that were active, or, all
 * idle, the maximum (what Flink's watermark valve emits when every input is idle).
 *
 * <p>Chained to the source (a plain operator would start a task of its own, with every record
 * serialized across a local exchange).
 */
public final class WatermarkKeeper<T> extends AbstractStreamOperator<T> implements OneInputStreamOperator<T, T> {
    private static final long serialVersionUID = 1L;

    /** Whether a record carries an event time; only those make an idle input active again. */
    private final org.apache.flink.api.common.functions.FilterFunction<T> carriesTime;

    /** (subtask, parallelism, watermark, idle) of every subtask, as union state. */
    private transient ListState<Tuple4<Integer, Integer, Long, Boolean>> stored;
    private transient long watermark = Long.MIN_VALUE;
    /** The status this operator last announced downstream. */
    private transient boolean idle;
    private transient boolean pendingRestore;
    /** Whether the input was idle at the restored checkpoint: what a snapshot records until the input says anew. */
    private transient boolean restoredIdle;
    /** Restored, and the input has sent neither a status, a watermark nor a record with a time since. */
    private transient boolean undecided;

    public WatermarkKeeper() {
        this(record -> true);
    }

    /**
     * A keeper whose input counts as active only on records that {@code carriesTime}: a rejected record
     * (no time) on an idle input must not make it hold the downstream watermark back again.
     */
    public WatermarkKeeper(org.apache.flink.api.common.functions.FilterFunction<T> carriesTime) {
        this.carriesTime = carriesTime;
        chainingStrategy = ChainingStrategy.ALWAYS;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        // Union state: every subtask gets every stored value back, so a rescaled job still finds the
        // watermark the job as a whole had reached. With split list state a subtask may get no value
        // at all and restart from nothing, letting late records through (seen in ProcessJobITCase).
        // (Union state cannot be checkpointed once some subtasks of a bounded input have finished;
        // the benchmark tolerates those checkpoint failures.)
        stored = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("watermark-by-subtask",
                Types.TUPLE(Types.INT, Types.INT, Types.LONG, Types.BOOLEAN)));
        // The older layout: one watermark per subtask, no idleness; restored as their minimum.
        ListState<Long> before = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("watermark", Types.LONG));
        if (context.isRestored()) {
            List<Tuple4<Integer, Integer, Long, Boolean>> all = new ArrayList<>();
            stored.get().forEach(all::add);
            for (Long value : before.get()) {
                all.add(Tuple4.of(-1, -1, value, false));
            }
            restore(all, getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                    getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks());
        }
        before.clear();
    }

    private void restore(List<Tuple4<Integer, Integer, Long, Boolean>> all, int subtask, int parallelism) {
        for (Tuple4<Integer, Integer, Long, Boolean> s : all) {
            if (s.f0 == subtask && s.f1 == parallelism) {
                watermark = s.f2;
                restoredIdle = s.f3;
                undecided = true;
                return;
            }
        }
        long minActive = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (Tuple4<Integer, Integer, Long, Boolean> s : all) {
            max = Math.max(max, s.f2);
            if (!s.f3) {
                minActive = Math.min(minActive, s.f2);
            }
        }
        watermark = minActive != Long.MAX_VALUE ? minActive : max;
        restoredIdle = minActive == Long.MAX_VALUE;
        undecided = true;
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (watermark > Long.MIN_VALUE) {
            pendingRestore = true;
            // Also from the mailbox once the task runs, for a restored job that receives no input.
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime(),
                    time -> emitRestored());
        }
    }

    /** The restored watermark goes out before anything else does: no record may overtake it. */
    private void emitRestored() {
        if (pendingRestore) {
            pendingRestore = false;
            if (watermark > Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(watermark));
            }
        }
    }

    private void announce(boolean nowIdle) {
        undecided = false;
        if (idle != nowIdle) {
            idle = nowIdle;
            output.emitWatermarkStatus(nowIdle ? WatermarkStatus.IDLE : WatermarkStatus.ACTIVE);
        }
    }

    @Override
    public void processElement(StreamRecord<T> element) throws Exception {
        emitRestored();
        if (carriesTime.filter(element.getValue())) {
            announce(false); // records with a time come from an active input
        }
        output.collect(element);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        emitRestored();
        announce(false);
        if (mark.getTimestamp() > watermark) {
            watermark = mark.getTimestamp();
            super.processWatermark(mark);
        }
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) {
        emitRestored();
        announce(status.isIdle());
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        stored.update(List.of(Tuple4.of(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(), watermark, undecided ? restoredIdle : idle)));
    }
}
