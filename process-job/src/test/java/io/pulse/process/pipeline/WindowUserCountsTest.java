package io.pulse.process.pipeline;

import static io.pulse.process.pipeline.Fixtures.at;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class WindowUserCountsTest {
    private static OneInputStreamOperatorTestHarness<Long, Tuple2<Long, Long>> harness() throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(new WindowUserCounts());
        harness.open();
        return harness;
    }

    private static void users(OneInputStreamOperatorTestHarness<Long, ?> harness, long windowStart, int users) throws Exception {
        for (int i = 0; i < users; i++) {
            harness.processElement(new StreamRecord<>(windowStart));
        }
    }

    /** The output as a list: counts as "start:users", watermarks as "wm:time", statuses as "idle"/"active". */
    private static List<String> output(OneInputStreamOperatorTestHarness<Long, Tuple2<Long, Long>> harness) {
        List<String> out = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                @SuppressWarnings("unchecked")
                Tuple2<Long, Long> t = (Tuple2<Long, Long>) r.getValue();
                out.add(t.f0 + ":" + t.f1);
            } else if (o instanceof Watermark w) {
                out.add("wm:" + w.getTimestamp());
            } else if (o instanceof WatermarkStatus s) {
                out.add(s.isIdle() ? "idle" : "active");
            }
        }
        return out;
    }

    @Test
    void aWindowsUsersGoOutAsOneCountBeforeTheNextWatermark() throws Exception {
        var harness = harness();
        users(harness, at(5), 3);
        users(harness, at(6), 2);
        users(harness, at(5), 1);
        assertThat(harness.getOutput()).isEmpty(); // held until a watermark
        harness.processWatermark(at(4));
        users(harness, at(6), 1);
        harness.processWatermark(at(4) + 1);
        harness.processWatermark(at(4) + 2); // nothing held: the watermark alone
        assertThat(output(harness)).containsExactly(at(5) + ":4", at(6) + ":2", "wm:" + at(4), at(6) + ":1", "wm:" + (at(4) + 1),
                "wm:" + (at(4) + 2));
        harness.close();
    }

    @Test
    void nothingIsHeldAcrossABarrierAnIdleInputOrTheEnd() throws Exception {
        var harness = harness();
        users(harness, at(5), 2);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(output(harness)).containsExactly(at(5) + ":2");
        users(harness, at(6), 1);
        harness.processWatermarkStatus(WatermarkStatus.IDLE);
        assertThat(output(harness)).containsExactly(at(5) + ":2", at(6) + ":1", "idle");
        harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
        users(harness, at(7), 5);
        harness.endInput();
        harness.getOperator().finish();
        assertThat(output(harness)).containsExactly(at(5) + ":2", at(6) + ":1", "idle", "active", at(7) + ":5");
        harness.close();
    }
}
