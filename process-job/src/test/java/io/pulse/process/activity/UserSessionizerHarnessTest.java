package io.pulse.process.activity;

import io.pulse.process.ProcessPipeline;
import static io.pulse.process.Fixtures.at;
import static io.pulse.process.Fixtures.event;
import static io.pulse.process.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.UserSession;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UserSessionizerHarnessTest {
    private KeyedOneInputStreamOperatorTestHarness<String, Activity, UserSession> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new CachingKeyedProcessOperator<>(new UserSessionizer(Duration.ofMinutes(15)),
                        ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS), a -> a.userId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void noStateLeftBehind() throws Exception {
        harness.processWatermark(Long.MAX_VALUE);
        harness.prepareSnapshotPreBarrier(1); // a checkpoint writes what the operator keeps on the heap to the state
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(PendingTimers.of(harness)).isZero();
        harness.close();
    }

    private void send(Activity... events) throws Exception {
        for (Activity e : events) {
            harness.processElement(record(e));
        }
    }

    @Test
    void sessionClosedBySessionEndIncludesIt() throws Exception {
        send(event("A", "session_start", at(0)), event("A", "click", at(1)), event("A", "session_end", at(2)));
        harness.processWatermark(at(2));
        assertThat(harness.extractOutputValues()).containsExactly(new UserSession("A", at(0), at(2), 120, 3, "ended"));
    }

    @Test
    void outOfOrderArrivalsInsideTheBoundAreSortedFirst() throws Exception {
        send(event("A", "click", at(1)), event("A", "session_end", at(2)), event("A", "session_start", at(0)));
        harness.processWatermark(at(3));
        assertThat(harness.extractOutputValues()).containsExactly(new UserSession("A", at(0), at(2), 120, 3, "ended"));
    }

    @Test
    void sessionClosedByTimeoutWhenTheWatermarkPassesLastEventPlus15Minutes() throws Exception {
        send(event("A", "login", at(0)), event("A", "page_view", at(1)));
        harness.processWatermark(at(15));
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.processWatermark(at(16));
        assertThat(harness.extractOutputValues()).containsExactly(new UserSession("A", at(0), at(1), 60, 2, "timeout"));
    }

    @Test
    void twoSessionsAfterAGapOf15MinutesOrMore() throws Exception {
        send(event("A", "login", at(0)), event("A", "click", at(2)), event("A", "click", at(17)), event("A", "logout", at(18)));
        harness.processWatermark(at(20));
        assertThat(harness.extractOutputValues()).containsExactly(
                new UserSession("A", at(0), at(2), 120, 2, "timeout"),
                new UserSession("A", at(17), at(18), 60, 2, "ended"));
    }

    @Test
    void sessionStartWhileOpenSupersedesTheOpenSession() throws Exception {
        send(event("A", "session_start", at(0)), event("A", "click", at(1)), event("A", "session_start", at(5)),
                event("A", "logout", at(6)));
        harness.processWatermark(at(7));
        assertThat(harness.extractOutputValues()).containsExactly(
                new UserSession("A", at(0), at(1), 60, 2, "superseded"),
                new UserSession("A", at(5), at(6), 60, 2, "ended"));
    }

    @Test
    void usersAreIndependent() throws Exception {
        send(event("A", "login", at(0)), event("B", "login", at(0)), event("A", "logout", at(1)));
        harness.processWatermark(at(30));
        assertThat(harness.extractOutputValues()).containsExactlyInAnyOrder(
                new UserSession("A", at(0), at(1), 60, 2, "ended"),
                new UserSession("B", at(0), at(0), 0, 1, "timeout"));
    }

    @Test
    void lateEventGoesToSideOutputAndIsNotCounted() throws Exception {
        send(event("A", "login", at(0)), event("A", "click", at(9)));
        harness.processWatermark(at(8));
        Activity late = event("A", "click", at(5));
        send(late);
        send(event("A", "logout", at(10)));
        harness.processWatermark(at(10));
        assertThat(harness.extractOutputValues()).containsExactly(new UserSession("A", at(0), at(10), 600, 3, "ended"));
        assertThat(harness.getSideOutput(UserSessionizer.LATE)).extracting(StreamRecord::getValue).containsExactly(late);
    }
}
