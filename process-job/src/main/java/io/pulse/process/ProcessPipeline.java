package io.pulse.process;

import io.pulse.process.activity.ActiveUserSlides;
import io.pulse.process.activity.ActiveUsersCounter;
import io.pulse.process.activity.PageViewTallies;
import io.pulse.process.activity.PageViewWindows;
import io.pulse.process.activity.SessionKpiWindows;
import io.pulse.process.activity.SessionWindowCounter;
import io.pulse.process.activity.UserSessionizer;
import io.pulse.process.engagement.EngagementPipeline;
import io.pulse.process.sink.OutputCounter;
import io.pulse.process.source.DeadLetterRouter;
import io.pulse.process.time.LateEventTagger;
import io.pulse.process.time.PromptWatermarks;
import io.pulse.process.time.SplitWatermarks;
import io.pulse.runtime.WatermarkKeeper;
import io.pulse.process.model.Activity;
import io.pulse.process.model.ActiveUsers;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.model.LateActivity;
import io.pulse.process.model.PageViewCount;
import io.pulse.process.model.SessionCount;
import io.pulse.process.model.SessionKpi;
import io.pulse.process.model.UserSession;
import io.pulse.process.sink.ProcessSinks;
import io.pulse.runtime.CachingKeyedProcessOperator;
import io.pulse.runtime.FusedFunctions;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;

/**
 * The analytical dataflow of the process job (DESIGN.md "Time" and "Outputs"): decode and route
 * bad records, event time with bounded out-of-orderness and idleness, the five windowed outputs,
 * and every late record to one late output. Sources and sinks are arguments, so the same pipeline
 * runs against Kafka/PostgreSQL and against test inputs.
 */
public final class ProcessPipeline {
    public static final Duration KPI_WINDOW = Duration.ofMinutes(5);
    public static final Duration PAGE_VIEW_WINDOW = Duration.ofMinutes(1);
    public static final Duration ACTIVE_USERS_SIZE = Duration.ofMinutes(5);
    public static final Duration ACTIVE_USERS_SLIDE = Duration.ofMinutes(1);

    /** The rows of the per-user operator ({@link #perUser}), one side output per output. */
    public static final OutputTag<SessionKpi> SESSION_KPI_ROWS = new OutputTag<>(OperatorNames.SESSION_KPIS, TypeInformation.of(SessionKpi.class));
    public static final OutputTag<Tuple2<Long, Long>> ACTIVE_USER_SLIDES = new OutputTag<>(OperatorNames.ACTIVE_USERS + " slides",
            ActiveUserSlides.COUNTS);
    public static final OutputTag<UserSession> USER_SESSION_ROWS = new OutputTag<>(OperatorNames.USER_SESSIONS, TypeInformation.of(UserSession.class));
    public static final OutputTag<SessionCount> AGGREGATED_COUNT_ROWS = new OutputTag<>(OperatorNames.AGGREGATED_COUNTS,
            TypeInformation.of(SessionCount.class));
    /**
     * The late records of every output of the per-user operator, each tagged with the output that did
     * not count it: one side output instead of five (each row the operator emits is handed to every
     * output in turn).
     */
    public static final OutputTag<LateActivity> PER_USER_LATE = new OutputTag<>("late per user", LateActivity.TYPE);

    /** page_view_counts' tallies per page and window from each per-user subtask, added up by {@link PageViewWindows}. */
    public static final OutputTag<PageViewCount> PAGE_VIEW_TALLIES = new OutputTag<>(OperatorNames.PAGE_VIEW_COUNTS + " tallies",
            TypeInformation.of(PageViewCount.class));

    /**
     * Time settings of the pipeline, and how many keys each keyed operator keeps on the heap between
     * checkpoints ({@link io.pulse.runtime.CachingKeyedProcessOperator}; 0: none).
     */
    public record Options(Duration outOfOrderness, Duration idleness, Duration allowedLateness, Duration sessionGap,
                          Duration userSessionTimeout, int stateCacheKeys) {
        public static final int DEFAULT_STATE_CACHE_KEYS = 50_000;

        public Options {
            if (stateCacheKeys < 0) {
                throw new IllegalArgumentException("state.cache-keys must be >= 0 (0 turns the state cache off), got " + stateCacheKeys);
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ZERO, Duration.ofSeconds(5),
                    Duration.ofMinutes(15), DEFAULT_STATE_CACHE_KEYS);
        }
    }

    private final Source<DecodedRecord, ?, ?> activitySource;
    private final ProcessSinks sinks;
    private final Options options;
    private final EngagementPipeline engagement;

    /** The analytical outputs and the raw sinks, into {@code sinks}; the engagement side too when not null. */
    public ProcessPipeline(Source<DecodedRecord, ?, ?> activitySource, ProcessSinks sinks, Options options,
                           EngagementPipeline engagement) {
        this.activitySource = activitySource;
        this.sinks = sinks;
        this.options = options;
        this.engagement = engagement;
    }

    public static SplitWatermarks<DecodedRecord> watermarks(Options options) {
        // Rejected records carry no time: they neither advance nor hold back the watermark, nor keep a split active.
        return PromptWatermarks.strategy(options.outOfOrderness(), options.idleness(),
                (record, kafkaTime) -> record.isValid() ? record.activity.eventTime : PromptWatermarks.NO_TIME);
    }

    /** Builds the dataflow; returns the stream of valid activities. */
    public DataStream<Activity> build(StreamExecutionEnvironment env) {
        SingleOutputStreamOperator<Activity> activities = decoded(env, activitySource, options);
        DataStream<DecodedRecord> deadLetters = activities.getSideOutput(DeadLetterRouter.DEAD_LETTERS);
        EngagementPipeline.Built engagementSide = engagement == null ? null : engagement.build(env);
        if (engagementSide != null) {
            deadLetters = deadLetters.union(engagementSide.deadLetters());
        }
        deadLetters
                .map(new OutputCounter<>("dead_letter"), DecodedRecord.TYPE).uid("count-dead-letter")
                .sinkTo(sinks.deadLetters()).uid("dead-letter-sink").name("kafka dead_letter");

        Duration lateness = options.allowedLateness();
        SingleOutputStreamOperator<Void> perUser = perUser(byUser(activities), options);
        sink(perUser.getSideOutput(SESSION_KPI_ROWS), OperatorNames.SESSION_KPIS, sinks.sessionKpis());
        sink(perUser.getSideOutput(USER_SESSION_ROWS), OperatorNames.USER_SESSIONS, sinks.userSessions());
        sink(perUser.getSideOutput(AGGREGATED_COUNT_ROWS), OperatorNames.AGGREGATED_COUNTS, sinks.aggregatedCounts());
        SingleOutputStreamOperator<ActiveUsers> activeUsers = activeUsers(perUser.getSideOutput(ACTIVE_USER_SLIDES), lateness,
                options.stateCacheKeys());
        sink(activeUsers, OperatorNames.ACTIVE_USERS, sinks.activeUsers());

        SingleOutputStreamOperator<PageViewCount> pageViews = pageViewCounts(perUser.getSideOutput(PAGE_VIEW_TALLIES), lateness,
                options.stateCacheKeys());
        sink(pageViews, OperatorNames.PAGE_VIEW_COUNTS, sinks.pageViewCounts());

        DataStream<LateActivity> late = perUser.getSideOutput(PER_USER_LATE);
        DataStream<LateActivity> lateScores = engagementSide == null ? null : engagementSide.late();
        if (lateScores != null) {
            late = late.union(lateScores);
        }
        late.sinkTo(sinks.lateEvents()).uid("late-events-sink").name("kafka late_events");

        OutputCounter.sink(activities, "user_events", "cassandra user_events", sinks.userEvents());
        OutputCounter.sink(activities, "lake", "parquet lake", sinks.lake());
        OutputCounter.sink(activities, "enriched_activity", "kafka enriched_activity", sinks.enrichedActivity());
        return activities;
    }

    /**
     * The activity source with event time (its watermark kept across restarts), decoded: valid
     * activities out, undecodable records to the {@link DeadLetterRouter#DEAD_LETTERS} side output.
     */
    public static SingleOutputStreamOperator<Activity> decoded(StreamExecutionEnvironment env, Source<DecodedRecord, ?, ?> source,
                                                                Options options) {
        return env
                .fromSource(source, watermarks(source, options), "kafka user_activity").uid("activity-source")
                .transform("keep watermark across restarts", DecodedRecord.TYPE, new WatermarkKeeper<>(DecodedRecord::isValid))
                .uid("watermark-keeper")
                .process(new DeadLetterRouter(), Activity.TYPE).uid("dead-letter-router").name("decode / route bad records");
    }

    /** The strategy a Kafka source carries (it knows each split's backlog), else one from {@code options}. */
    public static WatermarkStrategy<DecodedRecord> watermarks(Source<DecodedRecord, ?, ?> source, Options options) {
        return SplitWatermarks.forSource(source, watermarks(options));
    }

    /**
     * The activities partitioned by user once, for the per-user operators (session_kpis, active_users' slides,
     * user_sessions, aggregated_counts): one shuffle instead of four, and the four run chained
     * behind it.
     */
    public static KeyedStream<Activity, String> byUser(DataStream<Activity> activities) {
        return partitioned(activities, ProcessPipeline::userOf, Types.STRING, Activity.TYPE, OperatorNames.PARTITION_BY_USER, "by-user");
    }

    /**
     * {@code keyBy(key)} into a {@link WatermarkKeeper} at the head of the task, reinterpreted as
     * keyed by the same key (the keeper passes records on as they come, so the partitioning is
     * keyBy's). The keeper checkpoints the watermark the task's operators had, after Flink's valve
     * over all upstream subtasks, and gives it back on restore before any record: the restored
     * window operators decide lateness as they did before the failure, instead of starting from no
     * watermark until every upstream subtask has re-emitted its own (when a replayed record that had
     * been late could open a window already emitted and cleaned up, and its partial row overwrite
     * the full one).
     */
    public static <T, K> KeyedStream<T, K> partitioned(DataStream<T> stream, KeySelector<T, K> key, TypeInformation<K> keyType,
                                               TypeInformation<T> type, String name, String uid) {
        // A plain DataStream over the keyBy's partitioning: an operator on the KeyedStream itself would
        // be a keyed one, with a key set in RocksDB for every record and a state backend of its own.
        DataStream<T> shuffled = new DataStream<>(stream.getExecutionEnvironment(), stream.keyBy(key, keyType).getTransformation());
        DataStream<T> kept = shuffled.transform(name, type, new WatermarkKeeper<>()).uid(uid).name(name);
        return DataStreamUtils.reinterpretAsKeyedStream(kept, key, keyType);
    }

    private static String userOf(Activity a) {
        return a.userId;
    }

    private static Long windowStartOf(Tuple2<Long, Long> windowUsers) {
        return windowUsers.f0;
    }

    /**
     * The per-user outputs (session_kpis, active_users' slides, user_sessions, aggregated_counts) and
     * page_view_counts' tallies computed by one operator behind the shuffle by user
     * ({@link FusedFunctions}): each part is a function that also runs alone (the tests do), its rows a side output of this operator ({@link #SESSION_KPI_ROWS}, {@link #ACTIVE_USER_SLIDES},
     * {@link #USER_SESSION_ROWS}, {@link #AGGREGATED_COUNT_ROWS}, {@link #PAGE_VIEW_TALLIES}), the late
     * records of all of them on {@link #PER_USER_LATE}, tagged with the output's name and counted as
     * {@link LateEventTagger} counts the engagement side's.
     */
    public static SingleOutputStreamOperator<Void> perUser(KeyedStream<Activity, String> byUser, Options options) {
        Duration lateness = options.allowedLateness();
        // The parts' own late outputs stay inside the operator: FusedFunctions maps them onto PER_USER_LATE.
        OutputTag<Activity> kpiLate = lateTag(OperatorNames.SESSION_KPIS);
        OutputTag<Activity> countLate = lateTag(OperatorNames.AGGREGATED_COUNTS);
        OutputTag<Activity> pageLate = lateTag(OperatorNames.PAGE_VIEW_COUNTS);
        FusedFunctions<String, Activity> functions = new FusedFunctions<>(new LateActivities(),
                new FusedFunctions.Part<>(new SessionKpiWindows(KPI_WINDOW, lateness, kpiLate), SESSION_KPI_ROWS, kpiLate,
                        OperatorNames.SESSION_KPIS),
                new FusedFunctions.Part<>(new ActiveUserSlides(ACTIVE_USERS_SIZE, ACTIVE_USERS_SLIDE, lateness), ACTIVE_USER_SLIDES,
                        ActiveUserSlides.LATE, OperatorNames.ACTIVE_USERS),
                new FusedFunctions.Part<>(new UserSessionizer(options.userSessionTimeout()), USER_SESSION_ROWS, UserSessionizer.LATE,
                        OperatorNames.USER_SESSIONS),
                new FusedFunctions.Part<>(new SessionWindowCounter(options.sessionGap(), lateness, countLate), AGGREGATED_COUNT_ROWS,
                        countLate, OperatorNames.AGGREGATED_COUNTS),
                new FusedFunctions.Part<>(new PageViewTallies(PAGE_VIEW_WINDOW, lateness, pageLate), PAGE_VIEW_TALLIES, pageLate,
                        OperatorNames.PAGE_VIEW_COUNTS));
        return byUser
                .transform(OperatorNames.PER_USER, Types.VOID, new CachingKeyedProcessOperator<>(functions, options.stateCacheKeys()))
                .uid("per-user").name(OperatorNames.PER_USER);
    }

    /** active_users, per window: the per-subtask counts the slides send, added up. */
    public static SingleOutputStreamOperator<ActiveUsers> activeUsers(DataStream<Tuple2<Long, Long>> counts, Duration lateness,
                                                                     int stateCacheKeys) {
        return partitioned(counts, ProcessPipeline::windowStartOf, Types.LONG, ActiveUserSlides.COUNTS, OperatorNames.PARTITION_BY_WINDOW,
                "by-window")
                .transform(OperatorNames.ACTIVE_USERS, TypeInformation.of(ActiveUsers.class),
                        new CachingKeyedProcessOperator<>(new ActiveUsersCounter(ACTIVE_USERS_SIZE, lateness), stateCacheKeys))
                .uid(OperatorNames.ACTIVE_USERS + "-v2").name(OperatorNames.ACTIVE_USERS);
    }

    /**
     * page_view_counts: 1-minute tumbling windows per page, adding up the per-user subtasks' tallies
     * of page_view events ({@link PageViewTallies}, in {@link #perUser}).
     */
    public static SingleOutputStreamOperator<PageViewCount> pageViewCounts(DataStream<PageViewCount> tallies, Duration lateness,
                                                                          int stateCacheKeys) {
        return partitioned(tallies, PageViewCount::page, Types.STRING, TypeInformation.of(PageViewCount.class),
                OperatorNames.PARTITION_BY_PAGE, "by-page")
                .transform(OperatorNames.PAGE_VIEW_COUNTS, TypeInformation.of(PageViewCount.class),
                        new CachingKeyedProcessOperator<>(new PageViewWindows(PAGE_VIEW_WINDOW, lateness), stateCacheKeys))
                .uid(OperatorNames.PAGE_VIEW_COUNTS + "-v2").name(OperatorNames.PAGE_VIEW_COUNTS);
    }

    /** The per-user operator's late records as {@link LateActivity}s on {@link #PER_USER_LATE}. */
    private static final class LateActivities implements FusedFunctions.LateRecords<Activity, LateActivity> {
        private static final long serialVersionUID = 1L;

        @Override
        public OutputTag<LateActivity> tag() {
            return PER_USER_LATE;
        }

        @Override
        public LateActivity of(String operator, Activity record, long watermark) {
            return new LateActivity(operator, record, watermark);
        }
    }

    public static OutputTag<Activity> lateTag(String operator) {
        return new OutputTag<>("late-" + operator, Activity.TYPE);
    }

    private static <T> void sink(DataStream<T> rows, String output, Sink<T> sink) {
        OutputCounter.sink(rows, output, "postgres " + output, sink);
    }
}
