package io.pulse.process.activity;

import io.pulse.process.ProcessPipeline;
import static io.pulse.process.Fixtures.at;
import static io.pulse.process.Fixtures.atSeconds;
import static io.pulse.process.Fixtures.event;
import static io.pulse.process.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.ActiveUsers;
import io.pulse.process.model.Activity;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActiveUsersHarnessTest {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    private static final Duration ONE_MINUTE = Duration.ofMinutes(1);
    private static final int CACHE_KEYS = ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS;

    private static KeyedOneInputStreamOperatorTestHarness<String, Activity, Tuple2<Long, Long>> slides(Duration lateness, int cacheKeys,
                                                                                                    OperatorSubtaskState restoreFrom)
            throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(
                new ActiveUserSlides(FIVE_MINUTES, ONE_MINUTE, lateness), cacheKeys), (Activity a) -> a.userId, Types.STRING);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Activity, Tuple2<Long, Long>> slides(Duration lateness) throws Exception {
        return slides(lateness, CACHE_KEYS, null);
    }

    /**
     * The window starts sent so far (a window with n new users n times, in the order the counts
     * went out), after making the operator send what it holds (as before a checkpoint barrier).
     */
    private static List<Long> sent(KeyedOneInputStreamOperatorTestHarness<String, Activity, Tuple2<Long, Long>> harness) throws Exception {
        harness.prepareSnapshotPreBarrier(0);
        List<Long> starts = new ArrayList<>();
        for (Tuple2<Long, Long> count : harness.extractOutputValues()) {
            for (long i = 0; i < count.f1; i++) {
                starts.add(count.f0);
            }
        }
        return starts;
    }

    private static void assertNoStateLeft(KeyedOneInputStreamOperatorTestHarness<String, Activity, ?> harness) throws Exception {
        harness.processWatermark(Long.MAX_VALUE);
        harness.prepareSnapshotPreBarrier(99);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(PendingTimers.of(harness)).isZero();
        harness.close();
    }

    @Test
    void anEventBelongsToFiveSlidingWindows() throws Exception {
        var harness = slides(Duration.ZERO);
        harness.processElement(record(event("A", "click", atSeconds(7 * 60 + 30))));
        assertThat(sent(harness)).containsExactly(at(7), at(6), at(5), at(4), at(3));
        assertThat(harness.getSideOutput(ActiveUserSlides.LATE)).isNull();
        assertNoStateLeft(harness);
    }

    @Test
    void anEventThatMissesAClosedWindowIsRoutedOnceAndCountedInTheOpenOnes() throws Exception {
        var harness = slides(Duration.ZERO);
        harness.processWatermark(at(9) - 1); // windows ending at 8 and 9 minutes have closed
        Activity partlyLate = event("A", "click", atSeconds(7 * 60 + 30));
        harness.processElement(record(partlyLate));
        assertThat(sent(harness)).containsExactly(at(7), at(6), at(5));
        assertThat(harness.getSideOutput(lateTag())).extracting(StreamRecord::getValue)
                .containsExactly(partlyLate);
        assertNoStateLeft(harness);
    }

    @Test
    void anEventInNoOpenWindowIsRoutedAndLeavesNoState() throws Exception {
        var harness = slides(Duration.ZERO);
        harness.processWatermark(at(13) - 1);
        Activity late = event("A", "click", atSeconds(7 * 60 + 30));
        harness.processElement(record(late));
        assertThat(sent(harness)).isEmpty();
        assertThat(harness.getSideOutput(lateTag())).extracting(StreamRecord::getValue).containsExactly(late);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertNoStateLeft(harness);
    }

    @Test
    void aUserIsSentOncePerWindowNotOncePerEvent() throws Exception {
        var harness = slides(Duration.ZERO);
        harness.processElement(record(event("A", "click", atSeconds(10))));
        harness.processElement(record(event("A", "click", atSeconds(20))));
        harness.processElement(record(event("A", "click", atSeconds(70))));
        harness.processElement(record(event("B", "click", atSeconds(30))));
        harness.prepareSnapshotPreBarrier(1);
        // one count per window: A and B in minutes -4..0, only A in minute 1
        assertThat(harness.extractOutputValues()).containsExactly(Tuple2.of(at(0), 2L), Tuple2.of(at(-1), 2L), Tuple2.of(at(-2), 2L),
                Tuple2.of(at(-3), 2L), Tuple2.of(at(-4), 2L), Tuple2.of(at(1), 1L));
        assertNoStateLeft(harness);
    }

    @Test
    void outOfOrderSlidesStillSendEachWindowExactlyOnce() throws Exception {
        // 30 min allowed lateness keeps ~35 windows open; events go backwards and forwards in time.
        var harness = slides(Duration.ofMinutes(30));
        harness.processWatermark(at(0));
        TreeSet<Long> expected = new TreeSet<>();
        for (int minute : new int[] {20, 18, 3, 11, 19, 4, 0, 27, 12}) {
            harness.processElement(record(event("A", "click", at(minute) + 30_000)));
            for (int w = 0; w < 5; w++) {
                expected.add(at(minute - w));
            }
        }
        List<Long> sent = sent(harness);
        assertThat(sent).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(sent)).isEqualTo(expected);
        assertThat(harness.getSideOutput(lateTag())).isNull();
        assertNoStateLeft(harness);
    }

    @ParameterizedTest(name = "{0} keys cached")
    @ValueSource(ints = {0, 1, CACHE_KEYS})
    void aRestoredUserIsNotSentAgainToItsWindows(int cacheKeys) throws Exception {
        var before = slides(Duration.ZERO, cacheKeys, null);
        before.processElement(record(event("A", "click", atSeconds(10))));
        before.processElement(record(event("B", "click", atSeconds(10))));
        before.prepareSnapshotPreBarrier(1); // a failover: checkpoint, then a new instance restored from it
        OperatorSubtaskState checkpoint = before.snapshot(1, 1);
        List<Long> sentBefore = sent(before);
        before.close();

        var harness = slides(Duration.ZERO, cacheKeys, checkpoint);
        harness.processElement(record(event("A", "click", atSeconds(50))));
        harness.processElement(record(event("A", "click", atSeconds(70))));
        assertThat(sentBefore).hasSize(10); // the barrier sent what the operator held: nothing is lost with the failover
        assertThat(sent(harness)).containsExactly(at(1));
        // the restored timer cleans the users up: no state and no timer left
        assertNoStateLeft(harness);
    }

    /** The output as text: counts as "minute:users", watermarks as "wm", statuses as "idle"/"active". */
    private static List<String> output(KeyedOneInputStreamOperatorTestHarness<String, Activity, Tuple2<Long, Long>> harness) {
        List<String> out = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord<?> r && r.getValue() instanceof Tuple2<?, ?> t) {
                out.add(((Long) t.f0 - at(0)) / 60_000 + ":" + t.f1);
            } else if (o instanceof Watermark) {
                out.add("wm");
            } else if (o instanceof WatermarkStatus status) {
                out.add(status.isIdle() ? "idle" : "active");
            }
        }
        return out;
    }

    /**
     * A window's held count goes out before the watermark that closes the window (once, not before
     * every watermark), and everything held goes out when a watermark status comes, before each
     * barrier and at the end; the statuses themselves do not go on (downstream must never leave this
     * subtask out of its minimum watermark: its counts would then be late there).
     */
    @Test
    void countsGoOutBeforeTheWatermarkThatClosesTheirWindowAndAtEachBarrierStatusAndTheEnd() throws Exception {
        var harness = slides(Duration.ZERO);
        harness.processElement(record(event("A", "click", atSeconds(30)))); // in the windows starting at minutes -4..0
        harness.processElement(record(event("B", "click", atSeconds(40))));
        assertThat(harness.getOutput()).isEmpty(); // held
        harness.processWatermark(atSeconds(45)); // closes no window: the watermark alone
        harness.processWatermark(at(1) - 1); // closes [-4, 1)
        harness.processElement(record(event("C", "click", atSeconds(70)))); // minutes -3..1
        harness.processWatermarkStatus(WatermarkStatus.IDLE);
        harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
        harness.processElement(record(event("D", "click", atSeconds(75))));
        harness.prepareSnapshotPreBarrier(1);
        harness.processElement(record(event("E", "click", atSeconds(80))));
        harness.getOperator().finish();
        assertThat(output(harness)).containsExactly(
                "wm", "-4:2", "wm",
                "0:3", "-1:3", "-2:3", "-3:3", "1:1",
                "1:1", "0:1", "-1:1", "-2:1", "-3:1",
                "1:1", "0:1", "-1:1", "-2:1", "-3:1");
        harness.close();
    }

    private static org.apache.flink.util.OutputTag<Activity> lateTag() {
        return ActiveUserSlides.LATE;
    }

    private static KeyedOneInputStreamOperatorTestHarness<Long, Tuple2<Long, Long>, ActiveUsers> counter(int cacheKeys,
                                                                                                     OperatorSubtaskState restoreFrom)
            throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(
                new ActiveUsersCounter(FIVE_MINUTES, Duration.ZERO), cacheKeys), (Tuple2<Long, Long> users) -> users.f0, Types.LONG);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    /** The window's users as two subtasks' counts (the second one 1). */
    private static void send(KeyedOneInputStreamOperatorTestHarness<Long, Tuple2<Long, Long>, ActiveUsers> harness, long windowStart,
                             long users) throws Exception {
        if (users > 1) {
            harness.processElement(new StreamRecord<>(Tuple2.of(windowStart, users - 1)));
        }
        harness.processElement(new StreamRecord<>(Tuple2.of(windowStart, 1L)));
    }

    @ParameterizedTest(name = "{0} keys cached")
    @ValueSource(ints = {0, 1, CACHE_KEYS})
    void usersPerWindowAddUpAcrossARestoreAndNoStateLeft(int cacheKeys) throws Exception {
        var before = counter(cacheKeys, null);
        send(before, at(0), 2);
        send(before, at(1), 1);
        before.prepareSnapshotPreBarrier(1); // a failover: checkpoint, then a new instance restored from it
        OperatorSubtaskState checkpoint = before.snapshot(1, 1);
        before.close();

        var harness = counter(cacheKeys, checkpoint);
        send(harness, at(0), 1); // on top of the restored 2
        harness.processWatermark(at(5) - 1);
        assertThat(harness.extractOutputValues()).containsExactly(new ActiveUsers(at(0), at(5), 3));
        send(harness, at(1), 1);
        harness.processWatermark(Long.MAX_VALUE);
        assertThat(harness.extractOutputValues()).containsExactly(new ActiveUsers(at(0), at(5), 3), new ActiveUsers(at(1), at(6), 2));
        harness.prepareSnapshotPreBarrier(2);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }
}
