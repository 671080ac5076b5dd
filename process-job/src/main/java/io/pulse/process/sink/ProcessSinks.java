package io.pulse.process.sink;

import io.pulse.process.sink.cassandra.CassandraUserEventsSink;
import io.pulse.process.sink.clickhouse.ClickHouseHttpSink;
import io.pulse.process.sink.http.HttpBatchSink;
import io.pulse.process.sink.kafka.DiagnosticsKafkaSinks;
import io.pulse.process.sink.kafka.EnrichedActivityKafkaSink;
import io.pulse.process.sink.lake.ParquetLakeSink;
import io.pulse.process.sink.postgres.PostgresUpsertSinks;
import io.pulse.process.sink.redis.RedisContentSink;
import io.pulse.process.sink.redis.RedisLeaderboardSink;
import io.pulse.model.avro.EnrichedEngagement;
import io.pulse.process.ProcessSettings;
import io.pulse.process.model.ActiveUsers;
import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.model.LateActivity;
import io.pulse.process.model.LeaderboardWindow;
import io.pulse.process.model.PageViewCount;
import io.pulse.process.model.SessionCount;
import io.pulse.process.model.SessionKpi;
import io.pulse.process.model.UserSession;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Sink;

/**
 * Where every output of the process job goes, by name: the real stores ({@link #stores}), or any
 * sinks a test or a benchmark sets ({@link #builder}: collecting, discarding, digesting). An output
 * without a sink is not built; late_events and dead_letter always need one.
 */
public final class ProcessSinks {
    private Sink<SessionKpi> sessionKpis;
    private Sink<PageViewCount> pageViewCounts;
    private Sink<ActiveUsers> activeUsers;
    private Sink<UserSession> userSessions;
    private Sink<SessionCount> aggregatedCounts;
    private Sink<LateActivity> lateEvents;
    private Sink<DecodedRecord> deadLetters;
    private Sink<Activity> userEvents;
    private Sink<Activity> lake;
    private Sink<Activity> enrichedActivity;
    private Sink<EnrichedEngagement> engagementEnriched;
    private Sink<EnrichedEngagement> httpEvents;
    private Sink<EnrichedEngagement> contentHashes;
    private Sink<LeaderboardWindow> leaderboard;

    private ProcessSinks() {}

    public static Builder builder() {
        return new Builder();
    }

    /** The stores of the settings, each output on when its store is in {@code sinks}. */
    public static ProcessSinks stores(ProcessSettings s) {
        DiagnosticsKafkaSinks diagnostics = new DiagnosticsKafkaSinks(s.kafka, s.transactionalIdPrefix);
        SinkDeadLetters refused = new SinkDeadLetters(s.kafka, s.deadLetterTopic, s.deadLetterMaxPayload);
        Builder b = builder().lateEvents(diagnostics.lateEvents(s.lateTopic)).deadLetters(diagnostics.deadLetters(s.deadLetterTopic));
        if (s.sink("postgres")) {
            PostgresUpsertSinks postgres = new PostgresUpsertSinks(s.jdbcUrl(), s.postgres.user(), s.postgres.password(),
                    s.jdbcBatchSize, s.jdbcBatchInterval, s.sinkMaxAttempts, s.sinkFirstBackoff, refused);
            b.sessionKpis(postgres.sessionKpis()).pageViewCounts(postgres.pageViewCounts()).activeUsers(postgres.activeUsers())
                    .userSessions(postgres.userSessions()).aggregatedCounts(postgres.aggregatedCounts());
        }
        if (s.sink("cassandra")) {
            b.userEvents(new CassandraUserEventsSink(new CassandraUserEventsSink.Options(s.cassandra, s.cassandraKeyspace,
                    s.cassandraMaxInFlight, Duration.ofMinutes(1), s.cassandraBatchSize, s.cassandraBatchInterval, s.cassandraRowsPerRequest,
                    s.cassandraPartitionsPerRequest, s.sinkMaxAttempts, s.sinkFirstBackoff),
                    refused));
        }
        if (s.sink("lake")) {
            b.lake(ParquetLakeSink.create(s.lakeDir, s.lakeCompression));
        }
        if (s.sink("kafka")) {
            b.enrichedActivity(EnrichedActivityKafkaSink.create(s.kafka, s.enrichedTopic, s.transactionalIdPrefix));
        }
        if (s.sink("clickhouse")) {
            b.engagementEnriched(new ClickHouseHttpSink<>(new ClickHouseHttpSink.Options(s.clickhouse, s.clickhouseTable,
                    s.clickhouseBatchSize, s.clickhouseBatchInterval, s.sinkMaxAttempts, s.sinkFirstBackoff), EngagementRows::clickhouse,
                    refused));
        }
        if (s.sink("http")) {
            b.httpEvents(new HttpBatchSink<>(new HttpBatchSink.Options(s.httpUrl, s.httpBatchSize, s.httpTimeout, s.sinkMaxAttempts,
                    s.sinkFirstBackoff, Duration.ofSeconds(10), s.httpBatchInterval), EngagementRows::http, refused));
        }
        if (s.sink("redis")) {
            RedisLeaderboardSink.Options redis = new RedisLeaderboardSink.Options(s.redis, s.leaderboardTtl, s.redisContentTtl,
                    s.sinkMaxAttempts, s.sinkFirstBackoff, s.redisKeyPrefix);
            b.contentHashes(new RedisContentSink(redis)).leaderboard(new RedisLeaderboardSink(redis));
        }
        return b.build();
    }

    /** Whether any output of the engagement side is on (else it is not built). */
    public boolean anyEngagementOutput() {
        return engagementEnriched != null || httpEvents != null || contentHashes != null || leaderboard != null;
    }

    // Each output's sink; null: the output is not built.
    public Sink<SessionKpi> sessionKpis() {
        return sessionKpis;
    }

    public Sink<PageViewCount> pageViewCounts() {
        return pageViewCounts;
    }

    public Sink<ActiveUsers> activeUsers() {
        return activeUsers;
    }

    public Sink<UserSession> userSessions() {
        return userSessions;
    }

    public Sink<SessionCount> aggregatedCounts() {
        return aggregatedCounts;
    }

    public Sink<LateActivity> lateEvents() {
        return lateEvents;
    }

    public Sink<DecodedRecord> deadLetters() {
        return deadLetters;
    }

    public Sink<Activity> userEvents() {
        return userEvents;
    }

    public Sink<Activity> lake() {
        return lake;
    }

    public Sink<Activity> enrichedActivity() {
        return enrichedActivity;
    }

    public Sink<EnrichedEngagement> engagementEnriched() {
        return engagementEnriched;
    }

    public Sink<EnrichedEngagement> httpEvents() {
        return httpEvents;
    }

    public Sink<EnrichedEngagement> contentHashes() {
        return contentHashes;
    }

    public Sink<LeaderboardWindow> leaderboard() {
        return leaderboard;
    }

    /** Sets outputs by name; {@link #build} checks that late_events and dead_letter have one. */
    public static final class Builder {
        private final ProcessSinks s = new ProcessSinks();

        public Builder sessionKpis(Sink<SessionKpi> sink) {
            s.sessionKpis = sink;
            return this;
        }

        public Builder pageViewCounts(Sink<PageViewCount> sink) {
            s.pageViewCounts = sink;
            return this;
        }

        public Builder activeUsers(Sink<ActiveUsers> sink) {
            s.activeUsers = sink;
            return this;
        }

        public Builder userSessions(Sink<UserSession> sink) {
            s.userSessions = sink;
            return this;
        }

        public Builder aggregatedCounts(Sink<SessionCount> sink) {
            s.aggregatedCounts = sink;
            return this;
        }

        public Builder lateEvents(Sink<LateActivity> sink) {
            s.lateEvents = sink;
            return this;
        }

        public Builder deadLetters(Sink<DecodedRecord> sink) {
            s.deadLetters = sink;
            return this;
        }

        /** Cassandra user_events. */
        public Builder userEvents(Sink<Activity> sink) {
            s.userEvents = sink;
            return this;
        }

        public Builder lake(Sink<Activity> sink) {
            s.lake = sink;
            return this;
        }

        public Builder enrichedActivity(Sink<Activity> sink) {
            s.enrichedActivity = sink;
            return this;
        }

        /** ClickHouse engagement_enriched. */
        public Builder engagementEnriched(Sink<EnrichedEngagement> sink) {
            s.engagementEnriched = sink;
            return this;
        }

        /** The HTTP system's /events. */
        public Builder httpEvents(Sink<EnrichedEngagement> sink) {
            s.httpEvents = sink;
            return this;
        }

        /** Redis content:&lt;id&gt; hashes. */
        public Builder contentHashes(Sink<EnrichedEngagement> sink) {
            s.contentHashes = sink;
            return this;
        }

        public Builder leaderboard(Sink<LeaderboardWindow> sink) {
            s.leaderboard = sink;
            return this;
        }

        public ProcessSinks build() {
            Objects.requireNonNull(s.lateEvents, "late_events needs a sink: late records are never dropped");
            Objects.requireNonNull(s.deadLetters, "dead_letter needs a sink: rejected records are never dropped");
            return s;
        }
    }
}
