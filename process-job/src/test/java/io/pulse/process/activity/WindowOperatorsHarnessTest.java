package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.ProcessPipeline;
import static io.pulse.process.Fixtures.ONE_SECOND;
import static io.pulse.process.Fixtures.at;
import static io.pulse.process.Fixtures.atSeconds;
import static io.pulse.process.Fixtures.event;
import static io.pulse.process.Fixtures.harnessOf;
import static io.pulse.process.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.PageViewCount;
import io.pulse.process.model.SessionCount;
import io.pulse.process.model.SessionKpi;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/** The three outputs built on Flink windows, as ProcessPipeline wires them. */
class WindowOperatorsHarnessTest {
    private static final Duration NO_LATENESS = Duration.ZERO;
    private static final int CACHE_KEYS = ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS;

    private static <R> void assertNoStateLeft(KeyedOneInputStreamOperatorTestHarness<String, Activity, R> harness) throws Exception {
        harness.processWatermark(Long.MAX_VALUE);
        harness.prepareSnapshotPreBarrier(1); // a checkpoint writes what operators keep on the heap to the state
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(PendingTimers.of(harness)).isZero();
        harness.close();
    }

    private static Activity pageView(String page, long time) {
        return event("A", "page_view", time).withPage(page);
    }

    // ------------------------------------------------------------------ session_kpis

    @Test
    void sessionKpisOfOneUserAndDeviceInAFiveMinuteWindow() throws Exception {
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.SESSION_KPIS);
        var harness = harnessOf(s -> SingleOutputOperators.sessionKpis(ProcessPipeline.byUser(s), NO_LATENESS, late, CACHE_KEYS), Types.STRING);
        harness.processElement(record(event("123", "page_view", atSeconds(70))));
        harness.processElement(record(event("123", "login", atSeconds(60)))); // out of order, inside the bound
        harness.processElement(record(event("123", "click", atSeconds(250))));
        harness.processElement(record(event("123", "login", at(5)))); // next window
        harness.processWatermark(at(5) - 1);
        assertThat(harness.extractOutputValues()).containsExactly(new SessionKpi("123_20250724120000", "iPhone", "123",
                at(0), at(5), atSeconds(60), atSeconds(250), 190, true, false, 3));
        assertNoStateLeft(harness);
    }

    @Test
    void sessionKpisSeparateDevicesAndCountPurchases() throws Exception {
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.SESSION_KPIS);
        var harness = harnessOf(s -> SingleOutputOperators.sessionKpis(ProcessPipeline.byUser(s), NO_LATENESS, late, CACHE_KEYS), Types.STRING);
        harness.processElement(record(event("123", "purchase", at(1))));
        harness.processElement(record(event("123", "click", at(2)).withDevice("Web")));
        harness.processElement(record(event("123", "click", at(3)).withDevice(null)));
        harness.processWatermark(at(10));
        assertThat(harness.extractOutputValues()).extracting(SessionKpi::device, SessionKpi::didPurchase, SessionKpi::totalActions)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("iPhone", true, 1L),
                        org.assertj.core.groups.Tuple.tuple("Web", false, 1L),
                        org.assertj.core.groups.Tuple.tuple("unknown", false, 1L));
        assertNoStateLeft(harness);
    }

    @Test
    void lateEventForSessionKpisIsRoutedAndNotCounted() throws Exception {
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.SESSION_KPIS);
        var harness = harnessOf(s -> SingleOutputOperators.sessionKpis(ProcessPipeline.byUser(s), NO_LATENESS, late, CACHE_KEYS), Types.STRING);
        harness.processElement(record(event("123", "login", at(1))));
        harness.processWatermark(at(5) - 1); // window [0, 5) fires
        Activity tooLate = event("123", "purchase", at(4));
        harness.processElement(record(tooLate));
        harness.processWatermark(at(20));
        assertThat(harness.extractOutputValues()).extracting(SessionKpi::totalActions, SessionKpi::didPurchase)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, false));
        assertThat(harness.getSideOutput(late)).extracting(StreamRecord::getValue).containsExactly(tooLate);
        assertNoStateLeft(harness);
    }

    // ------------------------------------------------------------------ page_view_counts

    @Test
    void pageViewsPerPageAndMinute() throws Exception {
        var stages = new PageViewStages(NO_LATENESS, CACHE_KEYS);
        stages.processElement(pageView("/a", atSeconds(30)));
        stages.processElement(pageView("/a", atSeconds(0))); // out of order, inside the bound
        stages.processElement(pageView("/b", atSeconds(59)));
        stages.processElement(pageView("/a", atSeconds(60)));
        stages.processElement(event("A", "click", atSeconds(20)).withPage("/a")); // not a page view
        stages.processWatermark(at(1) - 1);
        assertThat(stages.rows()).containsExactlyInAnyOrder(
                new PageViewCount(at(0), "/a", at(1), 2), new PageViewCount(at(0), "/b", at(1), 1));
        // a page's events of a window cross the shuffle by page as one tally, before the watermark that
        // closes the window; the open window's stays held
        assertThat(stages.tallies()).containsExactlyInAnyOrder(new PageViewCount(at(0), "/a", at(1), 2),
                new PageViewCount(at(0), "/b", at(1), 1));
        Activity tooLate = pageView("/a", atSeconds(45));
        stages.processElement(tooLate);
        assertThat(stages.late()).containsExactly(tooLate);
        stages.processWatermark(at(2));
        assertThat(stages.rows()).hasSize(3).contains(new PageViewCount(at(1), "/a", at(2), 1));
        assertThat(stages.tallies()).hasSize(3).contains(new PageViewCount(at(1), "/a", at(2), 1));
        assertThat(stages.stateLeft()).isZero();
        stages.close();
    }

    @Test
    void pageViewsInsideAllowedLatenessUpdateTheRow() throws Exception {
        var stages = new PageViewStages(Duration.ofMinutes(1), CACHE_KEYS);
        stages.processElement(pageView("/a", atSeconds(10)));
        stages.processWatermark(at(1) - 1); // [0, 1) fires
        stages.processElement(pageView("/a", atSeconds(20))); // late, inside allowed lateness
        stages.processElement(pageView("/a", atSeconds(30)));
        stages.restart(); // held at the barrier: the tally goes out before the snapshot
        stages.processWatermark(at(1));
        stages.processElement(pageView("/a", atSeconds(40)));
        stages.processWatermark(at(2) - 1); // [0, 1) + 1 min of lateness ends: cleaned up
        Activity tooLate = pageView("/a", atSeconds(50));
        stages.processElement(tooLate);
        stages.processWatermark(at(3));
        assertThat(stages.rows()).containsExactly(new PageViewCount(at(0), "/a", at(1), 1), new PageViewCount(at(0), "/a", at(1), 3),
                new PageViewCount(at(0), "/a", at(1), 4));
        assertThat(stages.late()).containsExactly(tooLate);
        assertThat(stages.stateLeft()).isZero();
        stages.close();
    }

    // ------------------------------------------------------------------ aggregated_counts (seed 004)

    @Test
    void seed004LabGivesTwoSessionsForUserA() throws Exception {
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.AGGREGATED_COUNTS);
        var harness = harnessOf(s -> SingleOutputOperators.aggregatedCounts(ProcessPipeline.byUser(s), Duration.ofSeconds(5), NO_LATENESS, late, CACHE_KEYS), Types.STRING);
        harness.processElement(record(Activity.of("1", "user_A", "activity", 1000)));
        harness.processElement(record(Activity.of("2", "user_A", "activity", 2000)));
        harness.processElement(record(Activity.of("3", "user_A", "activity", 8000))); // 6 s later
        harness.processWatermark(6999);
        assertThat(harness.extractOutputValues()).containsExactly(new SessionCount("user_A:1000", 2, 7000));
        harness.processWatermark(13_000);
        assertThat(harness.extractOutputValues()).containsExactly(
                new SessionCount("user_A:1000", 2, 7000), new SessionCount("user_A:8000", 1, 13_000));
        assertNoStateLeft(harness);
    }

    @Test
    void anEventBetweenTwoSessionsMergesThem() throws Exception {
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.AGGREGATED_COUNTS);
        var harness = harnessOf(s -> SingleOutputOperators.aggregatedCounts(ProcessPipeline.byUser(s), Duration.ofSeconds(5), NO_LATENESS, late, CACHE_KEYS), Types.STRING);
        harness.processElement(record(Activity.of("1", "user_A", "activity", 1000)));
        harness.processElement(record(Activity.of("2", "user_A", "activity", 9000)));
        harness.processElement(record(Activity.of("3", "user_A", "activity", 5000))); // bridges both gaps
        harness.processWatermark(20_000);
        assertThat(harness.extractOutputValues()).containsExactly(new SessionCount("user_A:1000", 3, 9000 + 5 * ONE_SECOND));
        assertNoStateLeft(harness);
    }

    @Test
    void lateEventForASessionWindowIsRouted() throws Exception {
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.AGGREGATED_COUNTS);
        var harness = harnessOf(s -> SingleOutputOperators.aggregatedCounts(ProcessPipeline.byUser(s), Duration.ofSeconds(5), NO_LATENESS, late, CACHE_KEYS), Types.STRING);
        harness.processElement(record(Activity.of("1", "user_A", "activity", 1000)));
        harness.processWatermark(10_000);
        Activity tooLate = Activity.of("2", "user_A", "activity", 2000);
        harness.processElement(record(tooLate));
        assertThat(harness.extractOutputValues()).containsExactly(new SessionCount("user_A:1000", 1, 6000));
        assertThat(harness.getSideOutput(late)).extracting(StreamRecord::getValue).containsExactly(tooLate);
        assertNoStateLeft(harness);
    }
}
