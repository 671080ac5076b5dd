package io.pulse.process.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
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
}
