package io.pulse.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class WatermarkKeeperHarnessTest {
    @Test
    void restoredJobStartsFromTheCheckpointedWatermark() throws Exception {
        OperatorSubtaskState snapshot;
        try (var before = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>())) {
            before.open();
            before.processWatermark(new Watermark(1000));
            before.processWatermark(new Watermark(5000));
            snapshot = before.snapshot(1, 1);
        }
        try (var after = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>())) {
            after.initializeState(snapshot);
            after.open();
            after.setProcessingTime(1); // the restored watermark goes out from the task's mailbox
            assertThat(after.getOutput()).containsExactly(new Watermark(5000));
        }
    }

    @Test
    void noRecordOvertakesTheRestoredWatermark() throws Exception {
        OperatorSubtaskState snapshot;
        try (var before = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>())) {
            before.open();
            before.processWatermark(new Watermark(5000));
            snapshot = before.snapshot(1, 1);
        }
        try (var after = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>())) {
            after.initializeState(snapshot);
            after.open();
            after.processElement("late", 1000); // arrives before the task's first mailbox timer
            after.setProcessingTime(1);
            assertThat(after.getOutput()).extracting(Object::toString).containsExactly(
                    new Watermark(5000).toString(), new org.apache.flink.streaming.runtime.streamrecord.StreamRecord<>("late", 1000).toString());
        }
    }

    @Test
    void watermarkNeverGoesBack() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>())) {
            harness.open();
            harness.processWatermark(new Watermark(5000));
            harness.processWatermark(new Watermark(3000));
            harness.processElement("x", 4000);
            harness.processWatermark(new Watermark(6000));
            assertThat(harness.getOutput()).extracting(Object::toString).containsExactly(
                    new Watermark(5000).toString(), new org.apache.flink.streaming.runtime.streamrecord.StreamRecord<>("x", 4000).toString(),
                    new Watermark(6000).toString());
        }
    }

    private static final int MAX_PARALLELISM = 128;

    /** Two subtasks: 0 went idle at 1000, 1 is active at 5000. */
    private static OperatorSubtaskState twoSubtasks(boolean secondIdle) throws Exception {
        OperatorSubtaskState[] parts = new OperatorSubtaskState[2];
        for (int i = 0; i < 2; i++) {
            try (var h = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 2, i)) {
                h.open();
                h.processWatermark(new Watermark(i == 0 ? 1000 : 5000));
                if (i == 0 || secondIdle) {
                    h.processWatermarkStatus(WatermarkStatus.IDLE);
                }
                parts[i] = h.snapshot(1, 1);
            }
        }
        return AbstractStreamOperatorTestHarness.repackageState(parts);
    }

    private static List<Object> restoredOutput(OperatorSubtaskState state, int parallelism, int subtask) throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, parallelism, subtask)) {
            h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(state, MAX_PARALLELISM, 2, parallelism, subtask));
            h.open();
            h.setProcessingTime(1);
            return List.copyOf(h.getOutput());
        }
    }

    @Test
    void eachSubtaskRestoresItsOwnWatermarkAndStartsActive() throws Exception {
        OperatorSubtaskState state = twoSubtasks(false);
        // The one idle at the checkpoint may hold records that came while the job was down: it holds the
        // minimum until its source has read them, or finds it caught up and quiet again.
        assertThat(restoredOutput(state, 2, 0)).containsExactly(new Watermark(1000));
        assertThat(restoredOutput(state, 2, 1)).containsExactly(new Watermark(5000));
    }

    @Test
    void aRescaledJobRestoresTheMinimumOfTheActiveInputs() throws Exception {
        // Up to 0.3 the minimum over all subtasks (1000) came back: the job fell back to an idle input's old watermark.
        assertThat(restoredOutput(twoSubtasks(false), 1, 0)).containsExactly(new Watermark(5000));
        assertThat(restoredOutput(twoSubtasks(false), 3, 2)).containsExactly(new Watermark(5000));
    }

    @Test
    void aRescaledJobWithEveryInputIdleRestoresTheHighest() throws Exception {
        assertThat(restoredOutput(twoSubtasks(true), 1, 0)).containsExactly(new Watermark(5000));
    }

    @Test
    void anInputIdleAtTheCheckpointComesBackActiveAndPassesItsRecordsOn() throws Exception {
        OperatorSubtaskState state = twoSubtasks(false);
        try (var h = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 2, 0)) {
            h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(state, MAX_PARALLELISM, 2, 2, 0));
            h.open();
            h.setProcessingTime(1);
            h.processElement("x", 3000);
            h.processWatermark(new Watermark(4000));
            // and a snapshot now records it active
            OperatorSubtaskState again = h.snapshot(2, 2);
            assertThat(h.getOutput()).containsExactly(new Watermark(1000), new StreamRecord<>("x", 3000), new Watermark(4000));
            try (var next = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 2, 0)) {
                next.initializeState(again); // subtask 0's own state, as it comes back at the same parallelism
                next.open();
                next.setProcessingTime(1);
                assertThat(next.getOutput()).containsExactly(new Watermark(4000));
            }
        }
    }

    @Test
    void aSavepointRightAfterARestoreKeepsWhichInputsWereIdleForTheNextRescale() throws Exception {
        // Stop, resume, stop again before the sources have said anything (OperateJobsITCase's 4 -> 2 -> 4):
        // the input idle at 1000 must not count as active at 1000, or the rescaled job falls back to it.
        OperatorSubtaskState state = twoSubtasks(false);
        OperatorSubtaskState[] again = new OperatorSubtaskState[2];
        for (int i = 0; i < 2; i++) {
            try (var h = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 2, i)) {
                h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(state, MAX_PARALLELISM, 2, 2, i));
                h.open();
                h.setProcessingTime(1);
                again[i] = h.snapshot(2, 2);
            }
        }
        OperatorSubtaskState resumed = AbstractStreamOperatorTestHarness.repackageState(again);
        assertThat(restoredOutput(resumed, 1, 0)).containsExactly(new Watermark(5000));
        assertThat(restoredOutput(resumed, 4, 3)).containsExactly(new Watermark(5000));
    }

    @Test
    void aSnapshotTakenBeforeTheRestoredStateWentOutKeepsIt() throws Exception {
        OperatorSubtaskState state = twoSubtasks(false);
        try (var h = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 2, 0)) {
            h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(state, MAX_PARALLELISM, 2, 2, 0));
            h.open();
            OperatorSubtaskState again = h.snapshot(2, 2); // the mailbox timer has not run yet
            try (var next = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 2, 0)) {
                next.initializeState(again);
                next.open();
                next.setProcessingTime(1);
                assertThat(next.getOutput()).containsExactly(new Watermark(1000));
            }
        }
    }

    @Test
    void stateOfTheEarlierMinimumFormatStillRestores() throws Exception {
        OperatorSubtaskState old;
        try (var h = new OneInputStreamOperatorTestHarness<String, String>(new EarlierKeeper(7000), MAX_PARALLELISM, 1, 0)) {
            h.open();
            old = h.snapshot(1, 1);
        }
        try (var after = new OneInputStreamOperatorTestHarness<String, String>(new WatermarkKeeper<>(), MAX_PARALLELISM, 1, 0)) {
            after.initializeState(old);
            after.open();
            after.setProcessingTime(1);
            assertThat(after.getOutput()).containsExactly(new Watermark(7000));
        }
    }

    /** What WatermarkKeeper stored in its older layout: one union list of watermarks named "watermark". */
    private static final class EarlierKeeper extends AbstractStreamOperator<String> implements OneInputStreamOperator<String, String> {
        private final long value;
        private transient ListState<Long> stored;

        EarlierKeeper(long value) {
            this.value = value;
        }

        @Override
        public void initializeState(StateInitializationContext context) throws Exception {
            super.initializeState(context);
            stored = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("watermark", Types.LONG));
        }

        @Override
        public void processElement(StreamRecord<String> element) {
            output.collect(element);
        }

        @Override
        public void snapshotState(StateSnapshotContext context) throws Exception {
            super.snapshotState(context);
            stored.update(List.of(value));
        }
    }
}
