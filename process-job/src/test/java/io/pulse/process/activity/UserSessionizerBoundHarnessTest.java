package io.pulse.process.activity;

import io.pulse.process.ProcessPipeline;
import static io.pulse.process.Fixtures.BEGINNING;
import static io.pulse.process.Fixtures.ONE_MINUTE;
import static io.pulse.process.Fixtures.ONE_SECOND;
import static io.pulse.process.Fixtures.event;
import static io.pulse.process.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.UserSession;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The bound on one user's buffered events ({@link UserSessionizer#MAX_BUFFERED}): past it the earliest
 * buffered event is applied before the watermark passes it, so a user sending faster than the
 * watermark moves keeps a bounded buffer, and for events in order nothing changes in the rows.
 */
class UserSessionizerBoundHarnessTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(15);

    private static KeyedOneInputStreamOperatorTestHarness<String, Activity, UserSession> harness() throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new CachingKeyedProcessOperator<>(new UserSessionizer(TIMEOUT), ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS),
                (Activity a) -> a.userId, Types.STRING);
        harness.open();
        return harness;
    }

    private static void assertNoStateLeft(KeyedOneInputStreamOperatorTestHarness<String, Activity, UserSession> harness) throws Exception {
        harness.processWatermark(Long.MAX_VALUE);
        harness.prepareSnapshotPreBarrier(1); // a checkpoint writes what the operator keeps on the heap to the state
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(PendingTimers.of(harness)).isZero();
        harness.close();
    }

    /**
     * One user's events in event-time order, one a second: a gap of 20 minutes (over the timeout) before
     * every 2,000th, a logout every 3,001st and a session_start every 4,500th, so that every way a session
     * closes happens in the part applied early.
     */
    private static List<Activity> inOrder(int count) {
        List<Activity> events = new ArrayList<>(count);
        long time = BEGINNING;
        for (int i = 0; i < count; i++) {
            time += i > 0 && i % 2000 == 0 ? 20 * ONE_MINUTE : ONE_SECOND;
            String type = i % 3001 == 3000 ? "logout" : i % 4500 == 4499 ? "session_start" : "click";
            events.add(event("A", type, time));
        }
        return events;
    }

    @Test
    void pastTheBoundTheEarliestBufferedEventIsAppliedBeforeTheWatermark() throws Exception {
        var harness = harness();
        harness.processElement(record(event("A", "login", BEGINNING)));
        harness.processElement(record(event("A", "logout", BEGINNING + ONE_SECOND)));
        for (int i = 0; i < UserSessionizer.MAX_BUFFERED - 1; i++) {
            harness.processElement(record(event("A", "click", BEGINNING + (i + 2) * ONE_SECOND)));
        }
        // MAX_BUFFERED + 1 events buffered: the login went in early and opened the session, no row yet
        assertThat(harness.extractOutputValues()).isEmpty();

        harness.processElement(record(event("A", "click", BEGINNING + (UserSessionizer.MAX_BUFFERED + 1) * ONE_SECOND)));
        // the logout went in early and closed the session, with no watermark at all
        assertThat(harness.extractOutputValues()).containsExactly(
                new UserSession("A", BEGINNING, BEGINNING + ONE_SECOND, 1, 2, UserSessionizer.ENDED));
        assertNoStateLeft(harness);
    }

    @Test
    void inOrderEventsPastTheBoundGiveTheSameRowsAsWithTheWatermarkFollowing() throws Exception {
        List<Activity> events = inOrder(UserSessionizer.MAX_BUFFERED + 5_000);

        // Bounded: no watermark until the end, so the buffer reaches the bound and stays there.
        var bounded = harness();
        for (Activity e : events) {
            bounded.processElement(record(e));
        }
        bounded.processWatermark(Long.MAX_VALUE);
        List<UserSession> rows = bounded.extractOutputValues();
        assertThat(bounded.getSideOutput(UserSessionizer.LATE)).isNullOrEmpty();

        // Reference: the watermark follows every 100 events, the buffer never comes near the bound.
        var following = harness();
        for (int i = 0; i < events.size(); i++) {
            following.processElement(record(events.get(i)));
            if (i % 100 == 99) {
                following.processWatermark(events.get(i).eventTime - 1);
            }
        }
        following.processWatermark(Long.MAX_VALUE);
        List<UserSession> reference = following.extractOutputValues();

        assertThat(rows).containsExactlyElementsOf(reference);
        // nothing lost: every event is in a row
        assertThat(rows.stream().mapToLong(UserSession::eventCount).sum()).isEqualTo(events.size());
        assertThat(rows).extracting(UserSession::endReason)
                .contains(UserSessionizer.TIMEOUT, UserSessionizer.ENDED, UserSessionizer.SUPERSEDED);
        assertNoStateLeft(bounded);
        assertNoStateLeft(following);
    }
}
