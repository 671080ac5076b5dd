package io.pulse.process;

import io.pulse.model.Topics;
import io.pulse.model.settings.PostgresConnection;
import io.pulse.model.settings.Settings;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every setting of the process job, typed. Sources, lowest first: these defaults, {@code --settings
 * FILE}, environment {@code PULSE_<KEY>} (what {@code ./pulse submit} exports from the stack), and
 * {@code --key value} flags.
 */
public final class ProcessSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Every output of the job, the values of the {@code sinks} setting. */
    public static final java.util.List<String> ALL_SINKS =
            java.util.List.of("postgres", "cassandra", "redis", "clickhouse", "http", "lake", "kafka");

    static final Map<String, String> DEFAULTS = defaults();

    /** Every settings key the job knows (as --key, in a --settings file, or as PULSE_<KEY>). */
    public static java.util.Set<String> keys() {
        return java.util.Collections.unmodifiableSet(DEFAULTS.keySet());
    }

    public final String kafkaBootstrap;
    /** Kafka's bootstrap servers and the kafka.properties.* every Kafka client of the job gets. */
    public final io.pulse.model.settings.KafkaClient kafka;
    public final String activityTopic;
    public final String lateTopic;
    public final String deadLetterTopic;
    public final String groupId;
    public final String transactionalIdPrefix;
    public final PostgresConnection postgres;
    public final int jdbcBatchSize;
    public final Duration jdbcBatchInterval;
    public final Duration checkpointInterval;
    public final String checkpointDir;
    public final String stateBackend;
    public final ProcessPipeline.Options pipeline;
    /** The outputs to build: {@link #ALL_SINKS} by default. */
    public final java.util.Set<String> sinks;
    public final String engagementTopic;
    public final String enrichedTopic;
    public final String cassandraHost;
    public final int cassandraPort;
    public final String cassandraDatacenter;
    public final String cassandraKeyspace;
    public final int cassandraMaxInFlight;
    public final int cassandraBatchSize;
    public final Duration cassandraBatchInterval;
    public final int cassandraRowsPerRequest;
    public final int cassandraPartitionsPerRequest;
    /** Cassandra with its login and TLS. */
    public final io.pulse.process.sink.cassandra.CassandraEndpoint cassandra;
    /** Redis with its login and TLS. */
    public final io.pulse.process.sink.redis.RedisEndpoint redis;
    /** ClickHouse's HTTP interface with its login and TLS. */
    public final io.pulse.process.sink.clickhouse.ClickHouseEndpoint clickhouse;
    public final String redisHost;
    public final int redisPort;
    public final Duration leaderboardTtl;
    /** How long a content:&lt;id&gt; hash lives after the item's last engagement. */
    public final Duration redisContentTtl;
    public final String redisKeyPrefix;
    public final String clickhouseUrl;
    public final String clickhouseTable;
    public final int clickhouseBatchSize;
    public final Duration clickhouseBatchInterval;
    public final String httpUrl;
    public final int httpBatchSize;
    public final Duration httpTimeout;
    public final Duration httpBatchInterval;
    public final String lakeDir;
    public final String lakeCompression;
    public final int sinkMaxAttempts;
    public final Duration sinkFirstBackoff;
    public final int lookupThreads;
    public final int lookupCacheSize;
    public final Duration lookupCacheTtl;
    public final io.pulse.process.engagement.EngagementPipeline.Options engagement;
    /** The edge's limits (DESIGN.md "Input limits"). */
    public final io.pulse.model.codec.InputLimits inputLimits;
    /** Payload bytes a dead letter keeps (the rest is cut, with the size and SHA-256 kept). */
    public final int deadLetterMaxPayload;
    private final Settings raw;


    private ProcessSettings(Settings s) {
        raw = s;
        kafkaBootstrap = s.string("kafka.bootstrap");
        kafka = io.pulse.model.settings.KafkaClient.from(s.asMap());
        activityTopic = s.string("kafka.activity-topic");
        lateTopic = s.string("kafka.late-topic");
        deadLetterTopic = s.string("kafka.dead-letter-topic");
        groupId = s.string("kafka.group-id");
        transactionalIdPrefix = s.string("kafka.transactional-id-prefix");
        postgres = PostgresConnection.from(s);
        jdbcBatchSize = s.integer("postgres.batch-size");
        jdbcBatchInterval = s.duration("postgres.batch-interval");
        checkpointInterval = s.duration("checkpoint.interval");
        checkpointDir = s.string("checkpoint.dir");
        stateBackend = s.string("state.backend");
        Duration allowedLateness = s.duration("lateness.allowed");
        if (!allowedLateness.isZero()) {
            throw new IllegalArgumentException("setting 'lateness.allowed' must be 0s, got " + allowedLateness + ": above 0 a late event"
                    + " that is still allowed would make a leaderboard window emit only its own score, and one that moves a fired"
                    + " session's start would write a second aggregated_counts row. To count events that arrive later, raise"
                    + " 'watermark.out-of-orderness' instead (docs/lateness.md)");
        }
        pipeline = new ProcessPipeline.Options(s.duration("watermark.out-of-orderness"), s.duration("watermark.idleness"),
                allowedLateness, s.duration("session.gap"), s.duration("user-session.timeout"), s.integer("state.cache-keys"));
        sinks = new java.util.LinkedHashSet<>();
        for (String name : s.string("sinks").split(",")) {
            String sink = name.strip();
            if (sink.isEmpty()) {
                continue;
            }
            if (!ALL_SINKS.contains(sink)) {
                throw new IllegalArgumentException("setting 'sinks' names an unknown sink '" + sink + "'; known: "
                        + String.join(",", ALL_SINKS));
            }
            sinks.add(sink);
        }
        engagementTopic = s.string("kafka.engagement-topic");
        enrichedTopic = s.string("kafka.enriched-topic");
        cassandraHost = s.string("cassandra.host");
        cassandraPort = s.integer("cassandra.port");
        cassandraDatacenter = s.string("cassandra.dc");
        cassandraKeyspace = s.string("cassandra.keyspace");
        cassandraMaxInFlight = s.integer("cassandra.max-in-flight");
        cassandraBatchSize = s.integer("cassandra.batch-size");
        cassandraBatchInterval = s.duration("cassandra.batch-interval");
        cassandraRowsPerRequest = s.integer("cassandra.rows-per-request");
        cassandraPartitionsPerRequest = s.integer("cassandra.partitions-per-request");
        if (cassandraBatchSize < 1 || cassandraRowsPerRequest < 1 || cassandraPartitionsPerRequest < 1) {
            throw new IllegalArgumentException("settings 'cassandra.batch-size', 'cassandra.rows-per-request' and"
                    + " 'cassandra.partitions-per-request' must be at least 1, got " + cassandraBatchSize + ", " + cassandraRowsPerRequest
                    + " and " + cassandraPartitionsPerRequest);
        }
        cassandra = new io.pulse.process.sink.cassandra.CassandraEndpoint(cassandraHost, cassandraPort, cassandraDatacenter,
                io.pulse.model.settings.Login.from(s, "cassandra", "username"), io.pulse.model.settings.Tls.from(s, "cassandra"));
        redisHost = s.string("redis.host");
        redisPort = s.integer("redis.port");
        redis = new io.pulse.process.sink.redis.RedisEndpoint(redisHost, redisPort, io.pulse.model.settings.Login.from(s, "redis", "user"),
                io.pulse.model.settings.Tls.from(s, "redis"));
        leaderboardTtl = s.duration("leaderboard.ttl");
        redisContentTtl = s.duration("redis.content-ttl");
        if (redisContentTtl.compareTo(leaderboardTtl) < 0) {
            throw new IllegalArgumentException("setting 'redis.content-ttl' (" + redisContentTtl + ") must be at least 'leaderboard.ttl' ("
                    + leaderboardTtl + "): a leaderboard window would name content whose title has expired");
        }
        redisKeyPrefix = s.string("redis.key-prefix");
        clickhouseUrl = s.string("clickhouse.url");
        if (!clickhouseUrl.startsWith("http://") && !clickhouseUrl.startsWith("https://")) {
            throw new IllegalArgumentException("setting 'clickhouse.url' must start with http:// or https:// (ClickHouse's HTTP interface,"
                    + " port 8123 or 8443), got '" + clickhouseUrl + "'");
        }
        clickhouse = new io.pulse.process.sink.clickhouse.ClickHouseEndpoint(clickhouseUrl,
                io.pulse.model.settings.Login.from(s, "clickhouse", "user"),
                io.pulse.model.settings.Tls.from(s, "clickhouse", clickhouseUrl.startsWith("https://")));
        clickhouseTable = s.string("clickhouse.table");
        clickhouseBatchSize = s.integer("clickhouse.batch-size");
        clickhouseBatchInterval = s.duration("clickhouse.batch-interval");
        String http = s.string("http.url");
        httpUrl = http.isEmpty() ? s.string("mock-external.url") + "/events" : http;
        httpBatchSize = s.integer("http.batch-size");
        httpTimeout = s.duration("http.timeout");
        httpBatchInterval = s.duration("http.batch-interval");
        String lake = s.string("lake.dir");
        // A local path is made absolute here, on the client: TaskManagers run in other directories.
        lakeDir = lake.contains("://") ? lake : java.nio.file.Path.of(lake).toAbsolutePath().normalize().toString();
        lakeCompression = s.string("lake.compression");
        io.pulse.process.sink.lake.ParquetLakeSink.codec(lakeCompression); // fails with the choices
        sinkMaxAttempts = s.integer("sink.max-attempts");
        sinkFirstBackoff = s.duration("sink.first-backoff");
        lookupThreads = s.integer("lookup.threads");
        lookupCacheSize = s.integer("lookup.cache-size");
        lookupCacheTtl = s.duration("lookup.cache-ttl");
        engagement = new io.pulse.process.engagement.EngagementPipeline.Options(pipeline.outOfOrderness(), pipeline.idleness(),
                pipeline.allowedLateness(), s.duration("leaderboard.size"), s.duration("leaderboard.slide"),
                io.pulse.process.engagement.EngagementScorer.parse(s.string("score.weights")), s.duration("lookup.timeout"),
                s.integer("lookup.capacity"));
        inputLimits = io.pulse.model.codec.InputLimits.from(s.asMap());
        deadLetterMaxPayload = s.integer("dead-letter.max-payload-bytes");
        if (deadLetterMaxPayload <= 0 || deadLetterMaxPayload > 512 * 1024) {
            throw new IllegalArgumentException("setting 'dead-letter.max-payload-bytes' must be 1..524288 (its base64 must fit a Kafka "
                    + "request of 1 MB), got " + deadLetterMaxPayload);
        }
        if (!stateBackend.equals("rocksdb") && !stateBackend.equals("hashmap")) {
            throw new IllegalArgumentException("setting 'state.backend' must be rocksdb or hashmap, got '" + stateBackend + "'");
        }
    }

    public static ProcessSettings load(String... args) {
        return new ProcessSettings(Settings.load(DEFAULTS, args));
    }

    public boolean sink(String name) {
        return sinks.contains(name);
    }

    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>(PostgresConnection.DEFAULTS);
        d.putAll(io.pulse.model.codec.InputLimits.DEFAULTS);
        d.put("dead-letter.max-payload-bytes", String.valueOf(io.pulse.model.diagnostics.DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES));
        d.put("kafka.bootstrap", "127.0.0.1:59092");
        d.put(io.pulse.model.settings.KafkaClient.PREFIX + "*", ""); // Kafka client properties, passed through
        d.put("kafka.activity-topic", Topics.USER_ACTIVITY);
        d.put("kafka.late-topic", Topics.LATE_EVENTS);
        d.put("kafka.dead-letter-topic", Topics.DEAD_LETTER);
        d.put("kafka.group-id", "pulse-process");
        d.put("kafka.transactional-id-prefix", "pulse-process");
        d.put("postgres.batch-size", "500");
        d.put("postgres.batch-interval", "1s");
        d.put("checkpoint.interval", "10s");
        d.put("checkpoint.dir", ""); // empty: the cluster's state.checkpoints.dir
        d.put("state.backend", "rocksdb");
        d.put("watermark.out-of-orderness", "2m");
        d.put("watermark.idleness", "30s");
        d.put("lateness.allowed", "0s");
        d.put("session.gap", "5s");
        d.put("user-session.timeout", "15m");
        d.put("state.cache-keys", String.valueOf(ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS));
        d.put("sinks", String.join(",", ALL_SINKS));
        d.put("kafka.engagement-topic", Topics.ENGAGEMENT_EVENTS);
        d.put("kafka.enriched-topic", Topics.ENRICHED_ACTIVITY);
        d.put("cassandra.host", "127.0.0.1");
        d.put("cassandra.port", "59042");
        d.put("cassandra.dc", "datacenter1");
        d.put("cassandra.keyspace", "pulse");
        d.put("cassandra.max-in-flight", "1024"); // the driver's requests per connection
        d.put("cassandra.batch-size", "2000"); // rows buffered per writer before they are sent, grouped by partition
        d.put("cassandra.batch-interval", "100ms"); // or once the oldest buffered row is this old (checked on the next row)
        d.put("cassandra.rows-per-request", "20"); // rows per UNLOGGED batch
        d.put("cassandra.partitions-per-request", "10"); // partitions per UNLOGGED batch: Cassandra warns above 10 by default
        d.put("cassandra.username", ""); // empty: no login (a node without PasswordAuthenticator)
        d.put("cassandra.password", "");
        d.putAll(io.pulse.model.settings.Tls.defaults("cassandra"));
        d.put("redis.host", "127.0.0.1");
        d.put("redis.port", "56379");
        d.put("redis.user", ""); // empty: Redis's default user (with redis.password: requirepass)
        d.put("redis.password", "");
        d.putAll(io.pulse.model.settings.Tls.defaults("redis"));
        d.put("leaderboard.size", "10m");
        d.put("leaderboard.slide", "1m");
        d.put("leaderboard.ttl", "1h");
        d.put("redis.content-ttl", "2h");
        d.put("redis.key-prefix", ""); // prepended to every Redis key (tests isolate themselves with it)
        d.put("score.weights", "view=1,like=3,comment=4,share=5,complete=2");
        d.put("clickhouse.url", "http://127.0.0.1:58123");
        d.put("clickhouse.user", ""); // empty: ClickHouse's default user
        d.put("clickhouse.password", "");
        d.put("clickhouse.tls.ca", ""); // TLS comes with an https:// URL; empty: the JVM's trusted CAs
        d.put("clickhouse.table", "pulse." + io.pulse.model.Tables.ENGAGEMENT_ENRICHED);
        d.put("clickhouse.batch-size", "20000"); // ClickHouse wants few, large inserts
        d.put("clickhouse.batch-interval", "500ms");
        d.put("mock-external.url", "http://127.0.0.1:58090");
        d.put("http.url", ""); // empty: <mock-external.url>/events
        d.put("http.batch-size", "1000");
        d.put("http.batch-interval", "1s");
        d.put("http.timeout", "10s");
        d.put("lake.dir", ".pulse/lake");
        d.put("lake.compression", "snappy"); // uncompressed, snappy, zstd or gzip
        d.put("sink.max-attempts", "8"); // with backoff from 200 ms doubling: seven pauses, about 25 s
        d.put("sink.first-backoff", "200ms");
        d.put("lookup.threads", "2");
        d.put("lookup.cache-size", "10000");
        d.put("lookup.cache-ttl", "10m");
        d.put("lookup.timeout", "30s");
        d.put("lookup.capacity", "100");
        return d;
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}
