package io.pulse.process.activity;

import io.pulse.process.Fixtures;
import io.pulse.process.OperatorNames;
import io.pulse.process.ProcessPipeline;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.ReferenceModel;
import io.pulse.process.model.Activity;
import io.pulse.process.model.LateActivity;
import io.pulse.process.model.PageViewCount;
import io.pulse.process.model.SessionCount;
import io.pulse.process.model.SessionKpi;
import io.pulse.process.model.UserSession;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The per-user window operators on seeded random streams (several
 * users, arrivals out of order, watermarks at random points, events far behind the watermark):
 * aggregated_counts (one timer per user) row for row and step for step against Flink's own
 * event-time session windows, session_kpis and page_view_counts the same against Flink's tumbling windows,
 * user_sessions against the plain reference computation over the events it did not route as late.
 * Ours fail over at random points (checkpoint, new instance restored from it) and run with no
 * state cache, a cache smaller than the number of users (evictions all the time) and a large one.
 */
class SessionOperatorsRandomizedTest {
    private static final String[] TYPES = {"session_start", "login", "page_view", "click", "logout", "session_end"};

    /** One step of a stream: an event, or a watermark. */
    private record Step(Activity event, long watermark) {}

    private static List<Step> stream(long seed, long meanStepMillis, long boundMillis) {
        Random random = new Random(seed);
        List<Activity> events = new ArrayList<>();
        String[] users = {"u1", "u2", "u3"};
        long[] clock = new long[users.length];
        for (int i = 0; i < 400; i++) {
            int u = random.nextInt(users.length);
            clock[u] += (long) (random.nextDouble() * random.nextDouble() * 3 * meanStepMillis);
            events.add(Activity.of(seed + "-" + i, users[u], TYPES[random.nextInt(TYPES.length)], 1_000_000 + clock[u]));
        }
        events.sort((a, b) -> Long.compare(a.eventTime, b.eventTime));
        // Out of order within the bound: swap neighbours less than the bound apart.
        for (int i = 1; i < events.size(); i++) {
            if (random.nextInt(3) == 0 && events.get(i).eventTime - events.get(i - 1).eventTime < boundMillis) {
                Collections.swap(events, i, i - 1);
            }
        }
        List<Step> steps = new ArrayList<>();
        long max = Long.MIN_VALUE;
        long watermark = Long.MIN_VALUE;
        for (Activity e : events) {
            if (random.nextInt(12) == 0) { // behind: late for whatever has closed, or inside allowed lateness
                Activity late = Activity.of(e.eventId + "-late", e.userId, "click", e.eventTime - random.nextInt(4) * boundMillis
                        - (long) (random.nextDouble() * boundMillis));
                steps.add(new Step(late, Long.MIN_VALUE));
            }
            steps.add(new Step(e, Long.MIN_VALUE));
            max = Math.max(max, e.eventTime);
            long next = max - (long) (random.nextDouble() * 1.5 * boundMillis);
            if (random.nextInt(4) == 0 && next > watermark) { // watermarks only advance, as Flink's do
                watermark = next;
                steps.add(new Step(null, watermark));
            }
        }
        // Past everything but not "end of input": nothing may be left waiting (state or timers).
        steps.add(new Step(null, max + 4 * boundMillis + 20 * meanStepMillis));
        return steps;
    }

    /** Flink's session windows counting events, emitting the same rows as aggregated_counts. */
    private static final class FlinkSessionRows extends ProcessWindowFunction<Long, SessionCount, String, TimeWindow> {
        @Override
        public void process(String user, Context ctx, Iterable<Long> counts, Collector<SessionCount> out) {
            out.collect(new SessionCount(SessionWindowCounter.groupKey(user, ctx.window().getStart()), counts.iterator().next(),
                    ctx.window().getEnd()));
        }
    }

    @ParameterizedTest(name = "seed {0}, allowed lateness {1} ms, {2} keys cached")
    @CsvSource({"1, 0, 0", "2, 0, 1", "3, 0, 50000", "4, 7000, 1", "5, 7000, 2", "6, 20000, 50000"})
    void aggregatedCountsMatchesFlinksSessionWindows(long seed, long latenessMillis, int cacheKeys) throws Exception {
        Duration gap = Duration.ofSeconds(5);
        Duration lateness = Duration.ofMillis(latenessMillis);
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.AGGREGATED_COUNTS);
        var ours = new RestartableHarness<String, SessionCount>(() -> Fixtures.transformationOf(
                s -> SingleOutputOperators.aggregatedCounts(ProcessPipeline.byUser(s), gap, lateness, late, cacheKeys)).getOperator(), a -> a.userId, Types.STRING, late);
        var flinks = Fixtures.harnessOf(s -> s.keyBy(a -> a.userId, Types.STRING)
                .window(EventTimeSessionWindows.withGap(gap)).allowedLateness(lateness).sideOutputLateData(late)
                .aggregate(new EventCounter(), new FlinkSessionRows()), Types.STRING);
        stepForStepWithFlink(seed, 4000, 10_000, ours, flinks, late, a -> { }, SessionCount::groupKey, latenessMillis);
    }

    @ParameterizedTest(name = "seed {0}, allowed lateness {1} ms, {2} keys cached")
    @CsvSource({"21, 0, 0", "22, 0, 1", "23, 0, 50000", "24, 60000, 2", "25, 90000, 50000"})
    void sessionKpisMatchFlinksTumblingWindows(long seed, long latenessMillis, int cacheKeys) throws Exception {
        Duration lateness = Duration.ofMillis(latenessMillis);
        OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.SESSION_KPIS);
        var ours = new RestartableHarness<String, SessionKpi>(() -> Fixtures.transformationOf(
                s -> SingleOutputOperators.sessionKpis(ProcessPipeline.byUser(s), lateness, late, cacheKeys)).getOperator(), a -> a.userId, Types.STRING, late);
        var flinks = Fixtures.harnessOf(s -> s.keyBy(a -> a.userId + '\u0000' + a.deviceOrUnknown(), Types.STRING)
                .window(TumblingEventTimeWindows.of(ProcessPipeline.KPI_WINDOW)).allowedLateness(lateness).sideOutputLateData(late)
                .aggregate(new SessionKpiAggregator(), new SessionKpiAggregator.ToRow()), Types.STRING);
        String[] devices = {"iPhone", "Web", null};
        List<SessionKpi> rows = stepForStepWithFlink(seed, 20_000, 60_000, ours, flinks, late, a -> {
            a.device = devices[Math.floorMod(a.eventId.hashCode(), devices.length)];
            if (Math.floorMod(a.eventId.hashCode(), 7) == 0) {
                a.eventType = "purchase";
            }
        }, r -> r.sessionId() + r.device(), latenessMillis);
        assertThat(rows).anyMatch(SessionKpi::didPurchase).anyMatch(SessionKpi::didLogin).anyMatch(r -> r.device().equals("unknown"));
    }

    /**
     * page_view_counts' two halves (tallies in the per-user operator, added up per page) against
     * Flink's tumbling windows over the events, both failing over together at random points: by
     * every watermark, the same row per page and window (the table's content: within allowed
     * lateness Flink updates the row per event, ours per tally, so ours may send fewer updates), the
     * same late records, nothing left at the end.
     */
    @ParameterizedTest(name = "seed {0}, allowed lateness {1} ms, {2} keys cached")
    @CsvSource({"31, 0, 0", "32, 0, 1", "33, 0, 50000", "34, 60000, 2", "35, 30000, 50000"})
    void pageViewCountsMatchFlinksTumblingWindows(long seed, long latenessMillis, int cacheKeys) throws Exception {
        Duration lateness = Duration.ofMillis(latenessMillis);
        OutputTag<Activity> late = PageViewStages.LATE;
        var ours = new PageViewStages(lateness, cacheKeys);
        var flinks = Fixtures.harnessOf(s -> s.keyBy(a -> a.page, Types.STRING)
                .window(TumblingEventTimeWindows.of(ProcessPipeline.PAGE_VIEW_WINDOW)).allowedLateness(lateness).sideOutputLateData(late)
                .aggregate(new EventCounter(), new PageViewCounter()), Types.STRING);
        String[] pages = {"/home", "/cart", "/search"};
        Random failures = new Random(seed * 31);
        for (Step step : stream(seed, 5_000, 30_000)) {
            if (step.event() != null) {
                Activity a = step.event();
                a.eventType = PageViewWindows.PAGE_VIEW;
                a.page = pages[Math.floorMod(a.eventId.hashCode(), pages.length)];
                ours.processElement(a);
                flinks.processElement(new StreamRecord<>(a, a.eventTime));
            } else {
                ours.processWatermark(step.watermark());
                flinks.processWatermark(step.watermark());
                assertThat(latestPerWindow(ours.rows())).isEqualTo(latestPerWindow(flinks.extractOutputValues()));
            }
            if (failures.nextInt(40) == 0) {
                ours.restart();
            }
        }
        List<PageViewCount> rows = ours.rows();
        assertThat(rows).hasSizeGreaterThan(20);
        assertThat(ours.restarts()).isGreaterThan(3);
        // fewer tallies than events: the events of a page and window between two watermarks are sent as one
        assertThat(ours.tallies()).hasSizeLessThan(400 - ours.late().size());
        if (latenessMillis > 0) { // rows updated by events inside allowed lateness were seen
            assertThat(rows).hasSizeGreaterThan((int) rows.stream().map(r -> r.page() + r.windowStart()).distinct().count());
        }
        assertThat(ids(ours.late())).isNotEmpty().isEqualTo(ids(flinks.getSideOutput(late).stream().map(StreamRecord::getValue).toList()));
        assertThat(ours.stateLeft()).isZero(); // by a finite watermark, not end of input
        ours.close();
        flinks.close();
    }

    /** The last row per page and window: what the upserted table holds. */
    private static java.util.SortedMap<String, PageViewCount> latestPerWindow(List<PageViewCount> rows) {
        java.util.SortedMap<String, PageViewCount> latest = new java.util.TreeMap<>();
        rows.forEach(r -> latest.put(r.page() + "@" + r.windowStart(), r));
        return latest;
    }

    /**
     * Drives ours (failing over at random points) and Flink's operator with one seeded stream, each
     * event first shaped by {@code shape}: the same rows out by every watermark, at most one timer per
     * key (three keys), the same late records, nothing left at the end; with allowed lateness some
     * rows (by {@code rowKey}) updated. Returns our rows for the caller's own checks.
     */
    private static <R> List<R> stepForStepWithFlink(long seed, long meanStepMillis, long boundMillis, RestartableHarness<String, R> ours,
                                                    KeyedOneInputStreamOperatorTestHarness<String, Activity, R> flinks,
                                                    OutputTag<Activity> late, Consumer<Activity> shape, Function<R, String> rowKey,
                                                    long latenessMillis) throws Exception {
        Random failures = new Random(seed * 31);
        for (Step step : stream(seed, meanStepMillis, boundMillis)) {
            if (step.event() != null) {
                Activity a = step.event();
                shape.accept(a);
                ours.processElement(a);
                flinks.processElement(new StreamRecord<>(a, a.eventTime));
            } else {
                ours.processWatermark(step.watermark());
                flinks.processWatermark(step.watermark());
                // step for step: the same rows out by every watermark
                assertThat(sorted(ours.output())).isEqualTo(sorted(flinks.extractOutputValues()));
                assertThat(ours.eventTimeTimers()).isLessThanOrEqualTo(3); // one per key
            }
            if (failures.nextInt(40) == 0) { // ours fails over and restores from a checkpoint; Flink's runs on
                ours.restart();
            }
        }
        List<R> rows = ours.output();
        assertThat(rows).hasSizeGreaterThan(20);
        assertThat(ours.restarts()).isGreaterThan(3);
        if (latenessMillis > 0) { // rows updated by events inside allowed lateness were seen
            assertThat(rows).hasSizeGreaterThan((int) rows.stream().map(rowKey).distinct().count());
        }
        assertThat(ids(ours.late())).isNotEmpty().isEqualTo(ids(flinks.getSideOutput(late).stream().map(StreamRecord::getValue).toList()));
        assertThat(ours.stateEntriesAfterCheckpoint()).isZero(); // by a finite watermark, not end of input
        assertThat(ours.eventTimeTimers()).isZero();
        ours.close();
        flinks.close();
        return rows;
    }

    @ParameterizedTest(name = "seed {0}, {1} keys cached")
    @CsvSource({"11, 0", "12, 1", "13, 2", "14, 50000"})
    void userSessionsEqualTheReferenceOverWhatWasNotLate(long seed, int cacheKeys) throws Exception {
        Duration timeout = Duration.ofMinutes(1);
        var harness = new RestartableHarness<String, UserSession>(
                () -> new CachingKeyedProcessOperator<>(new UserSessionizer(timeout), cacheKeys), a -> a.userId, Types.STRING,
                UserSessionizer.LATE);
        Random failures = new Random(seed * 31);
        List<Activity> sent = new ArrayList<>();
        for (Step step : stream(seed, 20_000, 30_000)) {
            if (step.event() != null) {
                sent.add(step.event());
                harness.processElement(step.event());
            } else {
                harness.processWatermark(step.watermark());
            }
            if (failures.nextInt(40) == 0) {
                harness.restart();
            }
        }
        Set<String> late = Set.copyOf(ids(harness.late()));
        List<ReferenceModel.Event> onTime = sent.stream().filter(a -> !late.contains(a.eventId))
                .map(a -> new ReferenceModel.Event(a.eventId, a.userId, a.eventType, a.eventTime, a.device, a.page)).toList();
        List<String> rows = harness.output().stream().map(SessionOperatorsRandomizedTest::row).sorted().toList();
        assertThat(late).isNotEmpty();
        assertThat(harness.restarts()).isGreaterThan(3);
        assertThat(rows).hasSizeGreaterThan(20);
        assertThat(rows).isEqualTo(List.copyOf(ReferenceModel.userSessions(new ArrayList<>(onTime), timeout.toMillis())));
        assertThat(harness.stateEntriesAfterCheckpoint()).isZero(); // by a finite watermark, not end of input
        assertThat(harness.eventTimeTimers()).isZero();
        harness.close();
    }

    /**
     * The per-user operator (the four per-user functions and page_view_counts' tallies fused, one
     * slot table and timer queue), failing over at random points, against each on its own: the same rows of
     * every output and the same late records of each, and nothing left at the end, with no
     * cache, caches smaller than the number of users (rows evicted all the time) and a large one.
     */
    @ParameterizedTest(name = "seed {0}, {1} keys cached")
    @CsvSource({"41, 0", "42, 1", "43, 2", "44, 50000"})
    void perUserOperatorEqualsItsFiveFunctionsOnTheirOwn(long seed, int cacheKeys) throws Exception {
        ProcessPipeline.Options options = new ProcessPipeline.Options(Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ZERO,
                Duration.ofSeconds(5), Duration.ofMinutes(1), cacheKeys);
        OutputTag<Activity> kpiLate = ProcessPipeline.lateTag(OperatorNames.SESSION_KPIS);
        OutputTag<Activity> countLate = ProcessPipeline.lateTag(OperatorNames.AGGREGATED_COUNTS);
        OutputTag<Activity> pageLate = ProcessPipeline.lateTag(OperatorNames.PAGE_VIEW_COUNTS);
        var fused = new RestartableHarness<String, Void>(() -> Fixtures.transformationOf(
                s -> ProcessPipeline.perUser(ProcessPipeline.byUser(s), options)).getOperator(), a -> a.userId,
                Types.STRING, kpiLate)
                .keep(ProcessPipeline.SESSION_KPI_ROWS).keep(ProcessPipeline.ACTIVE_USER_SLIDES).keep(ProcessPipeline.USER_SESSION_ROWS)
                .keep(ProcessPipeline.AGGREGATED_COUNT_ROWS)
                .keep(ProcessPipeline.PAGE_VIEW_TALLIES)
                .keep(ProcessPipeline.PER_USER_LATE);
        Duration lateness = options.allowedLateness();
        var kpis = Fixtures.harnessOf(s -> SingleOutputOperators.sessionKpis(ProcessPipeline.byUser(s), lateness, kpiLate, cacheKeys), Types.STRING);
        var slides = Fixtures.harnessOf(s -> SingleOutputOperators.activeUserSlides(ProcessPipeline.byUser(s), lateness, cacheKeys), Types.STRING);
        var sessions = Fixtures.harnessOf(s -> SingleOutputOperators.userSessions(ProcessPipeline.byUser(s), options.userSessionTimeout(),
                cacheKeys), Types.STRING);
        var counts = Fixtures.harnessOf(s -> SingleOutputOperators.aggregatedCounts(ProcessPipeline.byUser(s), options.sessionGap(), lateness,
                countLate, cacheKeys), Types.STRING);
        var pages = new KeyedOneInputStreamOperatorTestHarness<String, Activity, PageViewCount>(new CachingKeyedProcessOperator<>(
                new PageViewTallies(ProcessPipeline.PAGE_VIEW_WINDOW, lateness, pageLate), cacheKeys), a -> a.userId, Types.STRING);
        pages.open();
        List<KeyedOneInputStreamOperatorTestHarness<String, Activity, ?>> alone = List.of(kpis, slides, sessions, counts, pages);
        Random failures = new Random(seed * 31);
        String[] devices = {"iPhone", "Web", null};
        for (Step step : stream(seed, 10_000, 30_000)) {
            if (step.event() != null) {
                Activity a = step.event();
                a.device = devices[Math.floorMod(a.eventId.hashCode(), devices.length)];
                a.page = "/p" + Math.floorMod(a.eventId.hashCode(), 3);
                fused.processElement(a);
                for (var harness : alone) {
                    harness.processElement(new StreamRecord<>(a, a.eventTime));
                }
            } else {
                fused.processWatermark(step.watermark());
                for (var harness : alone) {
                    harness.processWatermark(step.watermark());
                }
            }
            if (failures.nextInt(40) == 0) {
                fused.restart();
            }
        }
        assertThat(fused.restarts()).isGreaterThan(3);
        // What the slides hold since the last watermark goes out at a barrier (the fused one restarts
        // there, the one alone is only asked to).
        fused.restart();
        slides.prepareSnapshotPreBarrier(0);
        pages.prepareSnapshotPreBarrier(0);
        assertThat(fused.output()).isEmpty(); // every row is on its output's side output
        assertThat(sorted(fused.sideOutput(ProcessPipeline.SESSION_KPI_ROWS))).hasSizeGreaterThan(20)
                .isEqualTo(sorted(kpis.extractOutputValues()));
        // the same users per window; the counts are split differently where the fused one restarted
        assertThat(usersPerWindow(fused.sideOutput(ProcessPipeline.ACTIVE_USER_SLIDES))).hasSizeGreaterThan(20)
                .isEqualTo(usersPerWindow(slides.extractOutputValues()));
        assertThat(sorted(fused.sideOutput(ProcessPipeline.USER_SESSION_ROWS))).hasSizeGreaterThan(20)
                .isEqualTo(sorted(sessions.extractOutputValues()));
        assertThat(sorted(fused.sideOutput(ProcessPipeline.AGGREGATED_COUNT_ROWS))).hasSizeGreaterThan(20)
                .isEqualTo(sorted(counts.extractOutputValues()));
        // the same page views per page and window; the tallies are split differently where the fused one restarted
        assertThat(viewsPerWindow(fused.sideOutput(ProcessPipeline.PAGE_VIEW_TALLIES))).hasSizeGreaterThan(10)
                .isEqualTo(viewsPerWindow(pages.extractOutputValues()));
        // every part's late records on the one late output, tagged with the part's output
        List<LateActivity> late = fused.sideOutput(ProcessPipeline.PER_USER_LATE);
        assertThat(fused.late()).isEmpty(); // none on the parts' own late outputs
        assertThat(lateFor(late, OperatorNames.SESSION_KPIS)).isNotEmpty().isEqualTo(ids(values(kpis.getSideOutput(kpiLate))));
        // (page views are a sixth of these events: few are late; pageViewCountsMatchFlinksTumblingWindows routes many)
        assertThat(lateFor(late, OperatorNames.PAGE_VIEW_COUNTS)).isEqualTo(ids(values(pages.getSideOutput(pageLate))));
        assertThat(lateFor(late, OperatorNames.ACTIVE_USERS)).isNotEmpty().isEqualTo(ids(values(slides.getSideOutput(ActiveUserSlides.LATE))));
        assertThat(lateFor(late, OperatorNames.USER_SESSIONS)).isNotEmpty().isEqualTo(ids(values(sessions.getSideOutput(UserSessionizer.LATE))));
        assertThat(lateFor(late, OperatorNames.AGGREGATED_COUNTS)).isNotEmpty().isEqualTo(ids(values(counts.getSideOutput(countLate))));
        assertThat(late).allMatch(l -> l.watermark >= l.activity.eventTime);
        assertThat(fused.stateEntriesAfterCheckpoint()).isZero(); // by a finite watermark, not end of input
        assertThat(fused.eventTimeTimers()).isZero();
        fused.close();
        for (var harness : alone) {
            harness.close();
        }
    }

    private static List<String> lateFor(List<LateActivity> late, String operator) {
        return ids(late.stream().filter(l -> l.operator.equals(operator)).map(l -> l.activity).toList());
    }

    private static List<Activity> values(java.util.Collection<StreamRecord<Activity>> records) {
        return records == null ? List.of() : records.stream().map(StreamRecord::getValue).toList();
    }

    private static String row(UserSession s) {
        return String.join("|", s.userId(), ReferenceModel.str(s.sessionStart()), ReferenceModel.str(s.sessionEnd()),
                Long.toString(s.durationS()), Long.toString(s.eventCount()), s.endReason());
    }

    private static java.util.SortedMap<String, Long> viewsPerWindow(List<PageViewCount> tallies) {
        java.util.SortedMap<String, Long> sums = new java.util.TreeMap<>();
        tallies.forEach(t -> sums.merge(t.page() + "@" + t.windowStart(), t.views(), Long::sum));
        return sums;
    }

    private static java.util.SortedMap<Long, Long> usersPerWindow(List<org.apache.flink.api.java.tuple.Tuple2<Long, Long>> counts) {
        java.util.SortedMap<Long, Long> sums = new java.util.TreeMap<>();
        counts.forEach(c -> sums.merge(c.f0, c.f1, Long::sum));
        return sums;
    }

    private static List<String> sorted(List<?> rows) {
        return rows.stream().map(Object::toString).sorted().toList();
    }

    private static List<String> ids(List<Activity> records) {
        return records.stream().map(a -> a.eventId).sorted().toList();
    }
}
