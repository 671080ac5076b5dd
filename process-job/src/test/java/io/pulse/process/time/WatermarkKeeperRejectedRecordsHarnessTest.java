package io.pulse.process.time;

import io.pulse.runtime.WatermarkKeeper;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The keeper as the job puts it behind the activity source ({@code new WatermarkKeeper<>(DecodedRecord::isValid)}):
 * a record rejected at the edge carries no time, so it does not make an idle input hold the downstream
 * watermark back again; a valid record does.
 */
class WatermarkKeeperRejectedRecordsHarnessTest {
    private static DecodedRecord valid(String id, long time) {
        return DecodedRecord.valid(Activity.of(id, "u-1", "click", time));
    }

    private static DecodedRecord rejected() {
        return DecodedRecord.rejected("FIELD_TOO_LONG", "user_id has 129 characters, the limit is 128", "user_activity", 0, 5, null,
                new byte[] {'x'});
    }

    private static OneInputStreamOperatorTestHarness<DecodedRecord, DecodedRecord> keeper() throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new WatermarkKeeper<>(DecodedRecord::isValid));
    }

    /** The output as text: a record by its event id or its reason, watermarks and statuses as they are. */
    private static List<String> described(OneInputStreamOperatorTestHarness<DecodedRecord, DecodedRecord> harness) {
        return harness.getOutput().stream().map(o -> {
            if (o instanceof StreamRecord<?> r) {
                DecodedRecord d = (DecodedRecord) r.getValue();
                return "record " + (d.isValid() ? d.activity.eventId : d.reason);
            }
            return o.toString();
        }).toList();
    }

    private static final String WATERMARK_1000 = new Watermark(1000).toString();
    private static final String IDLE = WatermarkStatus.IDLE.toString();
    private static final String ACTIVE = WatermarkStatus.ACTIVE.toString();

    @Test
    void aRejectedRecordDoesNotMakeAnIdleOutputActive() throws Exception {
        try (var harness = keeper()) {
            harness.open();
            harness.processWatermark(new Watermark(1000));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.processElement(rejected(), PromptWatermarks.NO_TIME);
            harness.processElement(rejected(), PromptWatermarks.NO_TIME);
            assertThat(described(harness)).containsExactly(WATERMARK_1000, IDLE, "record FIELD_TOO_LONG", "record FIELD_TOO_LONG");
        }
    }

    @Test
    void aValidRecordMakesTheIdleOutputActiveBeforeItGoesOut() throws Exception {
        try (var harness = keeper()) {
            harness.open();
            harness.processWatermark(new Watermark(1000));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.processElement(rejected(), PromptWatermarks.NO_TIME);
            harness.processElement(valid("e-2", 2000), 2000);
            assertThat(described(harness)).containsExactly(WATERMARK_1000, IDLE, "record FIELD_TOO_LONG", ACTIVE, "record e-2");
        }
    }

    /** Restored, the output starts active at its watermark: its source decides again whether it is idle (decision 0042). */
    @Test
    void anOutputIdleWithOnlyRejectedRecordsSinceIsRestoredActiveAtItsWatermark() throws Exception {
        OperatorSubtaskState snapshot;
        try (var before = keeper()) {
            before.open();
            before.processWatermark(new Watermark(1000));
            before.processWatermarkStatus(WatermarkStatus.IDLE);
            before.processElement(rejected(), PromptWatermarks.NO_TIME);
            snapshot = before.snapshot(1, 1);
        }
        try (var after = keeper()) {
            after.initializeState(snapshot);
            after.open();
            after.setProcessingTime(1); // the restored state goes out from the task's mailbox
            assertThat(described(after)).containsExactly(WATERMARK_1000);
        }
    }

    @Test
    void withoutThePredicateEveryRecordMakesTheOutputActive() throws Exception {
        // What the predicate changes: the keeper of the shuffles (every record has a time) turns active on any record.
        try (var harness = new OneInputStreamOperatorTestHarness<DecodedRecord, DecodedRecord>(new WatermarkKeeper<>())) {
            harness.open();
            harness.processWatermark(new Watermark(1000));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.processElement(rejected(), PromptWatermarks.NO_TIME);
            assertThat(described(harness)).containsExactly(WATERMARK_1000, IDLE, ACTIVE, "record FIELD_TOO_LONG");
        }
    }
}
