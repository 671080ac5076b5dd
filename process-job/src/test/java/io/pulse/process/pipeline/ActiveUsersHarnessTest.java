package io.pulse.process.pipeline;

import static io.pulse.process.pipeline.Fixtures.at;
import static io.pulse.process.pipeline.Fixtures.atSeconds;
import static io.pulse.process.pipeline.Fixtures.event;
import static io.pulse.process.pipeline.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.ActiveUsers;
import io.pulse.process.state.CachingKeyedProcessOperator;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActiveUsersHarnessTest {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    private static final Duration ONE_MINUTE = Duration.ofMinutes(1);

    @Test
    void anEventBelongsToFiveSlidingWindows() throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new ActiveUsersWindowAssigner(FIVE_MINUTES, ONE_MINUTE, Duration.ZERO)));
        harness.open();
        harness.processElement(record(event("A", "click", atSeconds(7 * 60 + 30))));
        assertThat(harness.extractOutputValues()).extracting(a -> a.windowStart)
                .containsExactly(at(7), at(6), at(5), at(4), at(3));
        assertThat(harness.getSideOutput(ActiveUsersWindowAssigner.LATE)).isNull();
        harness.close();
    }

    @Test
    void anEventThatMissesAClosedWindowIsRoutedOnceAndCountedInTheOpenOnes() throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new ActiveUsersWindowAssigner(FIVE_MINUTES, ONE_MINUTE, Duration.ZERO)));
        harness.open();
        harness.processWatermark(at(9) - 1); // windows ending at 8 and 9 minutes have closed
        Activity partlyLate = event("A", "click", atSeconds(7 * 60 + 30));
        harness.processElement(record(partlyLate));
        assertThat(harness.extractOutputValues()).extracting(a -> a.windowStart).containsExactly(at(7), at(6), at(5));
        assertThat(harness.getSideOutput(ActiveUsersWindowAssigner.LATE)).extracting(StreamRecord::getValue)
                .containsExactly(partlyLate);
        harness.close();
    }

    @Test
    void aUserIsSentOncePerWindowNotOncePerEvent() throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new ActiveUsersWindowAssigner(FIVE_MINUTES, ONE_MINUTE, Duration.ZERO)));
        harness.open();
        harness.processElement(record(event("A", "click", atSeconds(10))));
        harness.processElement(record(event("A", "click", atSeconds(20))));
        harness.processElement(record(event("A", "click", atSeconds(70))));
        assertThat(harness.extractOutputValues()).extracting(a -> a.windowStart)
                .containsExactly(at(0), at(-1), at(-2), at(-3), at(-4), at(1));
        harness.close();
    }

    @Test
    void aUserInMoreOpenWindowsThanItRemembersIsStillSentToEveryOne() throws Exception {
        // 30 min allowed lateness keeps ~35 windows open; the assigner remembers 8 per user and may
        // send a repeat (the counter drops it), never miss a window.
        var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new ActiveUsersWindowAssigner(FIVE_MINUTES, ONE_MINUTE, Duration.ofMinutes(30))));
        harness.open();
        harness.processWatermark(at(0));
        java.util.Set<Long> expected = new java.util.TreeSet<>();
        for (int minute = 20; minute >= 0; minute -= 2) { // backwards in time
            harness.processElement(record(event("A", "click", at(minute) + 30_000)));
            for (int w = 0; w < 5; w++) {
                expected.add(at(minute - w));
            }
        }
        assertThat(new java.util.TreeSet<>(harness.extractOutputValues().stream().map(a -> a.windowStart).toList()))
                .isEqualTo(expected);
        assertThat(harness.getSideOutput(ActiveUsersWindowAssigner.LATE)).isNull();
        harness.close();
    }

    private static KeyedOneInputStreamOperatorTestHarness<Long, ActiveUsersWindowAssigner.Assignment, ActiveUsers> counter(
            int cacheKeys, OperatorSubtaskState restoreFrom) throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(
                new DistinctUserCounter(FIVE_MINUTES, Duration.ZERO), cacheKeys), (ActiveUsersWindowAssigner.Assignment a) -> a.windowStart,
                Types.LONG);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    private static void assign(KeyedOneInputStreamOperatorTestHarness<Long, ActiveUsersWindowAssigner.Assignment, ActiveUsers> harness,
                               long windowStart, String... users) throws Exception {
        for (String user : users) {
            harness.processElement(new StreamRecord<>(new ActiveUsersWindowAssigner.Assignment(windowStart, user), windowStart));
        }
    }

    @ParameterizedTest(name = "{0} keys cached")
    @ValueSource(ints = {0, 1, ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS})
    void distinctUsersPerWindowAcrossARestoreAndNoStateLeft(int cacheKeys) throws Exception {
        var before = counter(cacheKeys, null);
        assign(before, at(0), "A", "B", "A");
        assign(before, at(1), "A");
        before.prepareSnapshotPreBarrier(1); // a failover: checkpoint, then a new instance restored from it
        OperatorSubtaskState checkpoint = before.snapshot(1, 1);
        before.close();

        var harness = counter(cacheKeys, checkpoint);
        assign(harness, at(0), "A", "C", "B", "A"); // A and B are known only to the restored state
        harness.processWatermark(at(5) - 1);
        assertThat(harness.extractOutputValues()).containsExactly(new ActiveUsers(at(0), at(5), 3));
        assign(harness, at(1), "B", "A");
        harness.processWatermark(Long.MAX_VALUE);
        assertThat(harness.extractOutputValues()).containsExactly(new ActiveUsers(at(0), at(5), 3), new ActiveUsers(at(1), at(6), 2));
        harness.prepareSnapshotPreBarrier(2);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }
}
