package io.pulse.process.engagement;

import io.pulse.process.ProcessPipeline;
import io.pulse.process.sink.OutputCounter;
import io.pulse.process.source.DeadLetterRouter;
import io.pulse.process.source.EngagementGate;
import io.pulse.process.time.LateEventTagger;
import io.pulse.process.time.PromptWatermarks;
import io.pulse.process.time.SplitWatermarks;
import io.pulse.runtime.WatermarkKeeper;
import io.pulse.model.avro.EnrichedEngagement;
import io.pulse.process.model.ContentScore;
import io.pulse.process.model.Engagement;
import io.pulse.process.model.LateActivity;
import io.pulse.process.model.LeaderboardWindow;
import io.pulse.process.sink.ProcessSinks;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;

/**
 * The engagement side of the process job (DESIGN.md "Outputs": Redis, ClickHouse, HTTP): the
 * engagement_events changes, joined with the content dimension (async lookup), to ClickHouse, the
 * HTTP system and the Redis content hashes; and scored per event into HOP windows per content, whose
 * closed windows go whole to the Redis leaderboard. An output that is null is not built.
 */
public final class EngagementPipeline {
    /** Time, score and lookup settings. */
    public record Options(Duration outOfOrderness, Duration idleness, Duration allowedLateness, Duration leaderboardSize,
                          Duration leaderboardSlide, EngagementScorer scorer, Duration lookupTimeout, int lookupCapacity) {
        public static Options defaults() {
            return new Options(Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ZERO, Duration.ofMinutes(10),
                    Duration.ofMinutes(1), EngagementScorer.defaults(), Duration.ofSeconds(30), 100);
        }
    }

    private final Source<Engagement, ?, ?> source;
    private final AsyncFunction<Engagement, EnrichedEngagement> lookup;
    private final ProcessSinks sinks;
    private final Options options;

    public EngagementPipeline(Source<Engagement, ?, ?> source, AsyncFunction<Engagement, EnrichedEngagement> lookup,
                              ProcessSinks sinks, Options options) {
        this.source = source;
        this.lookup = lookup;
        this.sinks = sinks;
        this.options = options;
    }

    public static SplitWatermarks<Engagement> watermarks(Duration bound, Duration idleness) {
        // A deletion or a rejected change carries no event time: it neither advances nor holds back the watermark.
        return PromptWatermarks.strategy(bound, idleness, (e, kafkaTime) -> e.hasTime() ? e.eventTime : PromptWatermarks.NO_TIME);
    }

    /** What the engagement side hands back: scores too late for a leaderboard window (null without a leaderboard), and the rejected changes. */
    public record Built(DataStream<LateActivity> late, DataStream<io.pulse.process.model.DecodedRecord> deadLetters) {}

    /** Builds the engagement dataflow. */
    public Built build(StreamExecutionEnvironment env) {
        SingleOutputStreamOperator<Engagement> changes = env
                .fromSource(source, SplitWatermarks.forSource(source, watermarks(options.outOfOrderness(), options.idleness())),
                        "kafka engagement_events")
                .uid("engagement-source")
                .transform("keep engagement watermark across restarts", Engagement.TYPE, new WatermarkKeeper<>(Engagement::hasTime))
                .uid("engagement-watermark-keeper")
                .process(new EngagementGate(), Engagement.TYPE).uid("engagement-gate").name("route rejected engagement changes");
        DataStream<io.pulse.process.model.DecodedRecord> deadLetters = changes.getSideOutput(DeadLetterRouter.DEAD_LETTERS);

        if (sinks.engagementEnriched() != null || sinks.httpEvents() != null || sinks.contentHashes() != null) {
            // Ordered: two versions of one event reach the stores in the order they were written.
            DataStream<EnrichedEngagement> enriched = AsyncDataStream.orderedWait(
                            changes.filter(e -> !e.deleted).uid("engagement-values").name("engagement values"),
                            lookup, options.lookupTimeout().toMillis(), TimeUnit.MILLISECONDS, options.lookupCapacity())
                    .uid("content-lookup").name("lookup content (PostgreSQL)");
            OutputCounter.sink(enriched, "engagement_enriched", "clickhouse engagement_enriched", sinks.engagementEnriched());
            OutputCounter.sink(enriched, "http_events", "http mock-external /events", sinks.httpEvents());
            OutputCounter.sink(enriched, "content_hashes", "redis content:<id>", sinks.contentHashes());
        }
        if (sinks.leaderboard() == null) {
            return new Built(null, deadLetters);
        }
        // Each shuffle feeds a watermark keeper (ProcessPipeline.partitioned): restored, the keyed
        // operators decide lateness on the watermark they had, not on none.
        SingleOutputStreamOperator<LeaderboardWindowAssigner.WindowScore> assigned = ProcessPipeline
                .partitioned(changes, EngagementPipeline::eventIdOf, Types.STRING, Engagement.TYPE, "partition by event", "by-event")
                .process(new EngagementChangelog(options.scorer(), options.leaderboardSize(), options.allowedLateness()),
                        ContentScore.TYPE)
                .uid("engagement-changelog").name("score changes per event")
                .process(new LeaderboardWindowAssigner(options.leaderboardSize(), options.leaderboardSlide(),
                        options.allowedLateness()), LeaderboardWindowAssigner.WindowScore.TYPE)
                .uid("leaderboard-windows").name("leaderboard windows");
        DataStream<LeaderboardWindow> windows = ProcessPipeline
                .partitioned(assigned, EngagementPipeline::windowStartOf, Types.LONG, LeaderboardWindowAssigner.WindowScore.TYPE,
                        "partition by leaderboard window", "by-leaderboard-window")
                .process(new LeaderboardCollector(options.leaderboardSize()))
                .uid(LeaderboardWindowAssigner.OPERATOR).name(LeaderboardWindowAssigner.OPERATOR);
        OutputCounter.sink(windows, "leaderboard", "redis leaderboard", sinks.leaderboard());
        return new Built(assigned.getSideOutput(LeaderboardWindowAssigner.LATE)
                .map(ContentScore::asActivity, io.pulse.process.model.Activity.TYPE).uid("late-leaderboard-activity")
                .process(new LateEventTagger(LeaderboardWindowAssigner.OPERATOR), LateActivity.TYPE)
                .uid("late-" + LeaderboardWindowAssigner.OPERATOR).name("late " + LeaderboardWindowAssigner.OPERATOR), deadLetters);
    }

    private static String eventIdOf(Engagement e) {
        return e.eventId;
    }

    private static Long windowStartOf(LeaderboardWindowAssigner.WindowScore s) {
        return s.windowStart;
    }
}
