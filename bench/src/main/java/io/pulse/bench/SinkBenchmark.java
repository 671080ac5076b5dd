package io.pulse.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.pulse.model.Tables;
import io.pulse.model.avro.EnrichedActivity;
import io.pulse.model.avro.EnrichedEngagement;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.mock.MockExternalServer;
import io.pulse.process.ProcessSettings;
import io.pulse.process.model.Activity;
import io.pulse.process.model.LeaderboardWindow;
import io.pulse.process.model.SessionKpi;
import io.pulse.process.sink.cassandra.CassandraUserEventsSink;
import io.pulse.process.sink.clickhouse.ClickHouseHttpSink;
import io.pulse.process.sink.EngagementRows;
import io.pulse.process.sink.kafka.EnrichedActivityKafkaSink;
import io.pulse.process.sink.http.HttpBatchSink;
import io.pulse.process.sink.lake.ParquetLakeSink;
import io.pulse.process.sink.postgres.PostgresUpsertSinks;
import io.pulse.process.sink.redis.RedisLeaderboardSink;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.postgresql.PGConnection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * {@code ./pulse bench sinks}: for each sink of the process job, Pulse's sink (a bounded Flink job,
 * one writer, checkpointing on, the job's production options) against the store's own bulk path
 * for the very same rows, measured one after the other in the same run, into scratch tables, keys
 * and topics that are removed afterwards. Bulk paths: Cassandra async driver writes (1024 in
 * flight), a Redis pipeline, one ClickHouse HTTP INSERT of all rows, PostgreSQL COPY, one HTTP POST
 * of all events, a plain idempotent Kafka producer, a Parquet writer on a local file.
 * Arguments: RESULT_FILE ROWS, settings from the stack's environment (PULSE_*).
 */
public final class SinkBenchmark {
    private static final long T0 = Instant.parse("2025-01-01T00:00:00Z").toEpochMilli();
    private static final String RUN = Long.toString(System.currentTimeMillis(), 36);
    private static final int ROUNDS = 2;
    /** The round being measured: part of every scratch table, key prefix and topic name. */
    private static int round;

    /** Seconds one bounded job spends starting and stopping, whatever it writes (measured on a 1-row job). */
    static double startup;
    /** CPU seconds of this JVM that starting and stopping one job takes (the same 1-row job). */
    static double startupCpu;
    /** The stack's servers, for CPU per row; none: this JVM only. */
    static StackCpu cpu = StackCpu.parse("");
    /** What a 1-row job through a sink takes: the job's start-up and the sink's client set-up (a session, a producer, a connection). */
    record Setup(double seconds, double jvmCpu) {}

    /** The set-up of the sink of the last {@link #job} call. */
    private static Setup lastSetup = new Setup(0, 0);
    /** CPU seconds by process of the last {@link #job} or {@link #timed} call. */
    private static Map<String, Double> lastCpu = Map.of();

    private SinkBenchmark() {}

    /**
     * One sink against its store's path: seconds and CPU seconds by process (this JVM is "bench-jvm",
     * the store's server is {@code server}; null when the store lives in this JVM) of each side.
     */
    record Pair(String sink, String bulkPath, long rows, double pulseSeconds, double bulkSeconds, String server,
                Map<String, Double> pulseCpu, Map<String, Double> bulkCpu, Setup pulseSetup) {
        Pair(String sink, String bulkPath, long rows, double pulseSeconds, Map<String, Double> pulseCpu, Setup pulseSetup,
             double bulkSeconds, Map<String, Double> bulkCpu, String server) {
            this(sink, bulkPath, rows, pulseSeconds, bulkSeconds, server, pulseCpu, bulkCpu, pulseSetup);
        }

        /** CPU microseconds per row of this JVM (Pulse's side net of a 1-row job through the same sink: job and client set-up). */
        double pulseJvmMicros() {
            return Math.max(0, pulseCpu.getOrDefault("bench-jvm", 0.0) - pulseSetup.jvmCpu()) * 1e6 / rows;
        }

        /** The ratio with a 1-row job through the same sink (the job's start-up and the sink's client set-up) taken out of Pulse's time. */
        double steadyRatio() {
            return rows / Math.max(1e-3, pulseSeconds - pulseSetup.seconds()) / bulkRate();
        }

        double bulkJvmMicros() {
            return bulkCpu.getOrDefault("bench-jvm", 0.0) * 1e6 / rows;
        }

        /** CPU microseconds per row of the store's server; -1 when it is not a process of the stack. */
        double pulseServerMicros() {
            return server == null || !pulseCpu.containsKey(server) ? -1 : pulseCpu.get(server) * 1e6 / rows;
        }

        double bulkServerMicros() {
            return server == null || !bulkCpu.containsKey(server) ? -1 : bulkCpu.get(server) * 1e6 / rows;
        }

        /** The faster side of each of two rounds. */
        Pair best(Pair other) {
            Pair p = pulseSeconds <= other.pulseSeconds ? this : other;
            Pair b = bulkSeconds <= other.bulkSeconds ? this : other;
            return new Pair(sink, bulkPath, rows, p.pulseSeconds, b.bulkSeconds, server, p.pulseCpu, b.bulkCpu, p.pulseSetup);
        }

        double pulseRate() {
            return rows / pulseSeconds;
        }

        double bulkRate() {
            return rows / bulkSeconds;
        }

        double ratio() {
            return pulseRate() / bulkRate();
        }


    }

    interface Body {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Path result = Path.of(args[0]);
        int rows = Integer.parseInt(args[1]);
        if (args.length > 2) {
            cpu = StackCpu.parse(args[2]);
        }
        write(result, rows, pairs(ProcessSettings.load(), rows));
    }

    /**
     * Every sink against its store's path, best of two rounds: the first round also warms up the
     * servers (their JIT, caches, connections), which would favour whichever side runs second.
     */
    static List<Pair> pairs(ProcessSettings s, int rows) throws Exception {
        warmUp();
        startupCpu = Double.MAX_VALUE;
        List<Pair> best = null;
        for (int r = 1; r <= ROUNDS; r++) {
            System.err.printf("round %d/%d%n", r, ROUNDS);
            round = r;
            // Again each round, the lowest kept: the first one after the warm-up still pays for JIT compilation.
            startup = job("empty job (start-up and shut-down of one job)", 1, SinkBenchmark::activity, Activity.TYPE,
                    new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>());
            startupCpu = Math.min(startupCpu, lastCpu.getOrDefault("bench-jvm", 0.0));
            List<Pair> pairs = List.of(postgres(s, rows), cassandra(s, rows), redis(s, rows), clickhouse(s, rows), http(s, rows),
                    kafka(s, rows), lake(rows));
            if (best == null) {
                best = pairs;
            } else {
                List<Pair> merged = new ArrayList<>();
                for (int i = 0; i < pairs.size(); i++) {
                    merged.add(best.get(i).best(pairs.get(i)));
                }
                best = merged;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------ rows, the same on both sides

    static Activity activity(long i) {
        Activity a = Activity.of("bench-" + RUN + "-" + i, "bench-" + RUN + "-u" + (i % 1000), i % 3 == 0 ? "click" : "page_view",
                T0 + i * 10);
        a.device = i % 2 == 0 ? "Web" : "iPhone";
        a.page = "/products/" + (i % 100);
        a.metadata = new HashMap<>(Map.of("campaign", "c" + (i % 7)));
        return a;
    }

    static EnrichedEngagement engagement(long i) {
        return EnrichedEngagement.newBuilder().setEventId("bench-" + RUN + "-" + i).setEventTime(Instant.ofEpochMilli(T0 + i * 10))
                .setUserId("u" + (i % 1000)).setEventType("like").setContentId("c" + (i % 500)).setTitle("Title " + (i % 500))
                .setContentType("video").setLengthSeconds(120).setDurationMs(3000).setDevice("Web").setScore(3.0)
                .setProcessingTime(Instant.ofEpochMilli(T0)).build();
    }

    static SessionKpi kpi(long i) {
        long start = T0 + (i / 1000) * 300_000;
        return new SessionKpi("bench" + RUN + "u" + (i % 1000) + "_" + start, "Web", "u" + (i % 1000), start, start + 300_000,
                start + 1000, start + 200_000, 199, i % 5 == 0, i % 11 == 0, 1 + i % 40);
    }

    static final int LEADERBOARD_MEMBERS = 1000;

    static LeaderboardWindow window(long w) {
        Map<String, Double> scores = new HashMap<>();
        for (int c = 0; c < LEADERBOARD_MEMBERS; c++) {
            scores.put("c" + c, (double) ((w * 31 + c * 17) % 1000));
        }
        return new LeaderboardWindow(T0 + w * 60_000 - 600_000, T0 + w * 60_000, scores);
    }

    // ------------------------------------------------------------------ pairs

    static Pair postgres(ProcessSettings s, int rows) throws Exception {
        String schema = "bench_" + RUN + "_" + round;
        String url = s.jdbcUrl() + (s.jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema;
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.postgres.user(), s.postgres.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            st.execute("CREATE TABLE " + schema + "." + Tables.SESSION_KPIS + " (LIKE public." + Tables.SESSION_KPIS + " INCLUDING ALL)");
            PostgresUpsertSinks sinks = new PostgresUpsertSinks(url, s.postgres.user(), s.postgres.password(), s.jdbcBatchSize,
                    s.jdbcBatchInterval, s.sinkMaxAttempts, s.sinkFirstBackoff, null);
            double pulse = job("postgres session_kpis upserts", rows, SinkBenchmark::kpi,
                    TypeInformation.of(SessionKpi.class), sinks.sessionKpis());
            Map<String, Double> pulseCpu = lastCpu;
            Setup pulseSetup = lastSetup;
            st.execute("TRUNCATE " + schema + "." + Tables.SESSION_KPIS);
            double bulk = timed("PostgreSQL COPY", rows, () -> {
                StringBuilder csv = new StringBuilder();
                for (long i = 0; i < rows; i++) {
                    SessionKpi k = kpi(i);
                    csv.append(k.sessionId()).append(',').append(k.device()).append(',').append(k.userId()).append(',')
                            .append(Instant.ofEpochMilli(k.sessionStart())).append(',').append(Instant.ofEpochMilli(k.sessionEnd()))
                            .append(',').append(Instant.ofEpochMilli(k.firstEventTime())).append(',')
                            .append(Instant.ofEpochMilli(k.lastEventTime())).append(',').append(k.sessionDurationS()).append(',')
                            .append(k.didLogin()).append(',').append(k.didPurchase()).append(',').append(k.totalActions()).append('\n');
                }
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + schema + "." + Tables.SESSION_KPIS + " (session_id, device, "
                        + "user_id, session_start, session_end, first_event_time, last_event_time, session_duration_s, did_login, "
                        + "did_purchase, total_actions) FROM STDIN WITH (FORMAT csv)", new StringReader(csv.toString()));
            });
            return new Pair("postgres (session_kpis upserts)", "COPY", rows, pulse, pulseCpu, pulseSetup, bulk, lastCpu, "postgres");
        } finally {
            try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.postgres.user(), s.postgres.password());
                 Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    static Pair cassandra(ProcessSettings s, int rows) throws Exception {
        CassandraUserEventsSink sink = new CassandraUserEventsSink(new CassandraUserEventsSink.Options(s.cassandra, s.cassandraKeyspace,
                s.cassandraMaxInFlight, Duration.ofMinutes(1), s.cassandraBatchSize, s.cassandraBatchInterval, s.cassandraRowsPerRequest,
                    s.cassandraPartitionsPerRequest));
        try (CqlSession session = CqlSession.builder().addContactPoint(new InetSocketAddress(s.cassandraHost, s.cassandraPort))
                .withLocalDatacenter(s.cassandraDatacenter).build()) {
            try {
                double pulse = job("cassandra user_events", rows, SinkBenchmark::activity, Activity.TYPE, sink);
                Map<String, Double> pulseCpu = lastCpu;
                Setup pulseSetup = lastSetup;
                PreparedStatement insert = session.prepare("INSERT INTO " + s.cassandraKeyspace + "." + Tables.USER_EVENTS
                        + " (user_id, bucket_date, event_time, event_type, event_id, device, page, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
                // The driver's best path: rows in chunks of the sink's buffer, grouped by partition, as async UNLOGGED
                // batches of the same size, 1024 requests in flight.
                int chunk = s.cassandraBatchSize;
                int perRequest = s.cassandraRowsPerRequest;
                double bulk = timed("Cassandra async unlogged batches by partition", rows, () -> {
                    Semaphore inFlight = new Semaphore(1024);
                    AtomicReference<Throwable> failure = new AtomicReference<>();
                    for (long from = 0; from < rows; from += chunk) {
                        Map<String, List<BoundStatement>> byPartition = new LinkedHashMap<>();
                        for (long i = from; i < Math.min(rows, from + chunk); i++) {
                            Activity a = activity(i);
                            byPartition.computeIfAbsent(a.userId + "/" + CassandraUserEventsSink.bucketDate(a.eventTime), k -> new ArrayList<>())
                                    .add(CassandraUserEventsSink.bind(insert, a));
                        }
                        List<BoundStatement> request = new ArrayList<>();
                        int partitions = 0;
                        for (List<BoundStatement> partition : byPartition.values()) {
                            if (partitions == s.cassandraPartitionsPerRequest || request.size() + partition.size() > perRequest && !request.isEmpty()) {
                                sendBatch(session, request, inFlight, failure);
                                request = new ArrayList<>();
                                partitions = 0;
                            }
                            request.addAll(partition);
                            partitions++;
                        }
                        sendBatch(session, request, inFlight, failure);
                    }
                    inFlight.acquire(1024);
                    if (failure.get() != null) {
                        throw new IllegalStateException(failure.get());
                    }
                });
                return new Pair("cassandra (user_events)", "async UNLOGGED batches by partition, 1024 in flight", rows, pulse, pulseCpu, pulseSetup,
                        bulk, lastCpu, "cassandra");
            } finally {
                PreparedStatement delete = session.prepare("DELETE FROM " + s.cassandraKeyspace + "." + Tables.USER_EVENTS
                        + " WHERE user_id = ? AND bucket_date = ?");
                for (int u = 0; u < 1000; u++) {
                    for (long day = 0; day * 86_400_000L <= rows * 10L; day++) {
                        session.execute(delete.bind("bench-" + RUN + "-u" + u, CassandraUserEventsSink.bucketDate(T0 + day * 86_400_000L)));
                    }
                }
            }
        }
    }

    private static void sendBatch(CqlSession session, List<BoundStatement> rows, Semaphore inFlight, AtomicReference<Throwable> failure)
            throws InterruptedException {
        if (rows.isEmpty()) {
            return;
        }
        inFlight.acquire();
        session.executeAsync(BatchStatement.newInstance(DefaultBatchType.UNLOGGED, rows.toArray(new BoundStatement[0])).setIdempotent(true))
                .whenComplete((r, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                    inFlight.release();
                });
    }

    static Pair redis(ProcessSettings s, int rows) throws Exception {
        int windows = Math.max(1, rows / LEADERBOARD_MEMBERS);
        long members = (long) windows * LEADERBOARD_MEMBERS;
        String prefix = "bench-" + RUN + "-" + round + ":";
        try (Jedis redis = new Jedis(s.redisHost, s.redisPort)) {
            try {
                RedisLeaderboardSink sink = new RedisLeaderboardSink(new RedisLeaderboardSink.Options(s.redisHost, s.redisPort,
                        Duration.ofMinutes(10), s.sinkMaxAttempts, s.sinkFirstBackoff, prefix));
                double pulse = job("redis leaderboard", windows, SinkBenchmark::window, TypeInformation.of(LeaderboardWindow.class), sink);
                Map<String, Double> pulseCpu = lastCpu;
                Setup pulseSetup = lastSetup;
                double bulk = timed("Redis pipelined ZADD", members, () -> {
                    Pipeline p = redis.pipelined();
                    for (long w = 0; w < windows; w++) {
                        LeaderboardWindow lw = window(w);
                        String key = prefix + "bulk:" + Tables.leaderboardWindowKey(Instant.ofEpochMilli(lw.windowEnd()));
                        p.zadd(key, lw.scores());
                        p.expire(key, 600);
                    }
                    p.sync();
                });
                return new Pair("redis (leaderboard windows, " + LEADERBOARD_MEMBERS + " members each)", "pipelined ZADD",
                        members, pulse, pulseCpu, pulseSetup, bulk, lastCpu, "redis");
            } finally {
                redis.keys(prefix + "*").forEach(redis::del);
            }
        }
    }

    static Pair clickhouse(ProcessSettings s, int rows) throws Exception {
        String table = "pulse.bench_" + RUN + "_" + round;
        clickhouseQuery(s, "CREATE TABLE " + table + " AS " + s.clickhouseTable, null);
        try {
            ClickHouseHttpSink<EnrichedEngagement> sink = new ClickHouseHttpSink<>(new ClickHouseHttpSink.Options(s.clickhouseUrl, table,
                    s.clickhouseBatchSize, s.clickhouseBatchInterval, s.sinkMaxAttempts, s.sinkFirstBackoff), EngagementRows::clickhouse);
            double pulse = job("clickhouse engagement_enriched", rows, SinkBenchmark::engagement,
                    TypeInformation.of(EnrichedEngagement.class), sink);
            Map<String, Double> pulseCpu = lastCpu;
            Setup pulseSetup = lastSetup;
            clickhouseQuery(s, "TRUNCATE TABLE " + table, null);
            double bulk = timed("ClickHouse one INSERT of all rows", rows, () -> {
                StringBuilder body = new StringBuilder();
                for (long i = 0; i < rows; i++) {
                    body.append(EngagementRows.clickhouse(engagement(i))).append('\n');
                }
                clickhouseQuery(s, "INSERT INTO " + table + " FORMAT JSONEachRow", body.toString());
            });
            return new Pair("clickhouse (engagement_enriched)", "one INSERT ... FORMAT JSONEachRow of all rows", rows, pulse, pulseCpu, pulseSetup, bulk,
                    lastCpu, "clickhouse");
        } finally {
            clickhouseQuery(s, "DROP TABLE IF EXISTS " + table, null);
        }
    }

    /** Events per bulk POST: ~3.6 MB, below mock-external's default body limit of 4 MiB. */
    static final int HTTP_BULK_BATCH = 15_000;

    static Pair http(ProcessSettings s, int rows) throws Exception {
        try (MockExternalServer external = MockExternalServer.startOnFreePort()) {
            String url = "http://127.0.0.1:" + external.port() + "/events";
            HttpBatchSink<EnrichedEngagement> sink = new HttpBatchSink<>(new HttpBatchSink.Options(url, s.httpBatchSize, s.httpTimeout,
                    s.sinkMaxAttempts, s.sinkFirstBackoff, Duration.ofSeconds(10)), EngagementRows::http);
            double pulse = job("http mock-external", rows, SinkBenchmark::engagement, TypeInformation.of(EnrichedEngagement.class), sink);
            Map<String, Double> pulseCpu = lastCpu;
            Setup pulseSetup = lastSetup;
            external.ledger().reset();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            double bulk = timed("POSTs of " + HTTP_BULK_BATCH + " events", rows, () -> {
                for (long first = 0; first < rows; first += HTTP_BULK_BATCH) {
                    StringBuilder body = new StringBuilder("[");
                    for (long i = first; i < Math.min(rows, first + HTTP_BULK_BATCH); i++) {
                        body.append(i == first ? "" : ",").append(EngagementRows.http(engagement(i)));
                    }
                    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString()))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("mock-external: " + response.body());
                    }
                }
            });
            return new Pair("http (mock-external /events, batches of " + s.httpBatchSize + ")",
                    "POSTs of " + HTTP_BULK_BATCH + " events", rows, pulse, pulseCpu, pulseSetup, bulk, lastCpu, null); // mock-external runs in this JVM
        }
    }

    static Pair kafka(ProcessSettings s, int rows) throws Exception {
        String pulseTopic = "bench-enriched-pulse-" + RUN + "-" + round;
        String bulkTopic = "bench-enriched-bulk-" + RUN + "-" + round;
        Properties admin = new Properties();
        admin.put("bootstrap.servers", s.kafkaBootstrap);
        try (Admin kafkaAdmin = Admin.create(admin)) {
            kafkaAdmin.createTopics(List.of(new NewTopic(pulseTopic, 2, (short) 1), new NewTopic(bulkTopic, 2, (short) 1))).all()
                    .get(60, TimeUnit.SECONDS);
            try {
                double pulse = job("kafka enriched_activity (exactly once)", rows, SinkBenchmark::activity, Activity.TYPE,
                        EnrichedActivityKafkaSink.create(s.kafka, pulseTopic, "bench-" + RUN + "-" + round));
                Map<String, Double> pulseCpu = lastCpu;
                Setup pulseSetup = lastSetup;
                Properties props = new Properties();
                props.put("bootstrap.servers", s.kafkaBootstrap);
                props.put("acks", "all");
                props.put("enable.idempotence", "true");
                double bulk = timed("plain idempotent producer", rows, () -> {
                    AvroSingleObjectCodec<EnrichedActivity> avro = new AvroSingleObjectCodec<>(EnrichedActivity.class);
                    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                            new ByteArraySerializer())) {
                        for (long i = 0; i < rows; i++) {
                            Activity a = activity(i);
                            producer.send(new ProducerRecord<>(bulkTopic, a.userId.getBytes(StandardCharsets.UTF_8),
                                    avro.encode(EnrichedActivityKafkaSink.enrich(a, T0))));
                        }
                        producer.flush();
                    }
                });
                return new Pair("kafka (enriched_activity, transactional)", "plain idempotent producer, acks=all", rows, pulse, pulseCpu, pulseSetup,
                        bulk, lastCpu, "kafka");
            } finally {
                kafkaAdmin.deleteTopics(List.of(pulseTopic, bulkTopic)).all().get(60, TimeUnit.SECONDS);
            }
        }
    }

    static Pair lake(int rows) throws Exception {
        Path dir = Files.createTempDirectory("pulse-bench-lake");
        try {
            double pulse = job("parquet lake (FileSink)", rows, SinkBenchmark::activity, Activity.TYPE,
                    ParquetLakeSink.create(dir.resolve("pulse").toString()));
            Map<String, Double> pulseCpu = lastCpu;
            Setup pulseSetup = lastSetup;
            double bulk = timed("ParquetWriter on a local file", rows, () -> {
                try (ParquetWriter<UserEvent> writer = AvroParquetWriter.<UserEvent>builder(new LocalOutputFile(dir.resolve("bulk.parquet")))
                        .withSchema(UserEvent.getClassSchema()).withDataModel(SpecificData.getForClass(UserEvent.class))
                        .withConf(new PlainParquetConfiguration()).withCodecFactory(ParquetLakeSink.codecs())
                        .withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
                    for (long i = 0; i < rows; i++) {
                        writer.write(activity(i).toUserEvent());
                    }
                }
            });
            return new Pair("parquet lake (FileSink, committed on checkpoint)", "ParquetWriter on one local file, snappy", rows, pulse, pulseCpu, pulseSetup,
                    bulk, lastCpu, null);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------ measuring

    /** One warm-up job, so the first measured pair does not pay for class loading and JIT alone. */
    static void warmUp() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromSequence(0, 100_000).map(SinkBenchmark::activity, Activity.TYPE).sinkTo(
                new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>());
        env.execute("warm-up");
    }

    /** Seconds a bounded one-writer job takes to write {@code rows} generated rows through {@code sink}. */
    static <T> double job(String name, long rows, MapFunction<Long, T> rowOf, TypeInformation<T> type, Sink<T> sink) throws Exception {
        if (rows > 1) {
            // The same sink over 1 row first (the row is the first of the run, written again by the measured job): what
            // starting a job and opening the sink's client cost, which a long-running job pays once.
            double setup = run(name + " (1 row: set-up)", 1, rowOf, type, sink);
            Setup measured = new Setup(setup, lastCpu.getOrDefault("bench-jvm", 0.0));
            double seconds = run(name, rows, rowOf, type, sink);
            lastSetup = measured;
            return seconds;
        }
        return run(name, rows, rowOf, type, sink);
    }

    private static <T> double run(String name, long rows, MapFunction<Long, T> rowOf, TypeInformation<T> type, Sink<T> sink) throws Exception {
        System.err.printf("  %s: Pulse sink, %d rows ...%n", name, rows);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(10_000, CheckpointingMode.EXACTLY_ONCE);
        env.fromSequence(0, rows - 1).map(rowOf, type).sinkTo(sink);
        Map<String, Double> before = cpu.read();
        JobExecutionResult result = env.execute("bench sink " + name);
        lastCpu = StackCpu.between(before, cpu.read());
        double seconds = result.getNetRuntime(TimeUnit.MILLISECONDS) / 1000.0;
        System.err.printf(Locale.ROOT, "  %s: Pulse sink %.2f s = %.0f rows/s%n", name, seconds, rows / seconds);
        return seconds;
    }

    static double timed(String name, long rows, Body body) throws Exception {
        System.err.printf("  %s, %d rows ...%n", name, rows);
        Map<String, Double> before = cpu.read();
        long start = System.nanoTime();
        body.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        lastCpu = StackCpu.between(before, cpu.read());
        System.err.printf(Locale.ROOT, "  %s %.2f s = %.0f rows/s%n", name, seconds, rows / seconds);
        return seconds;
    }

    private static final HttpClient CLICKHOUSE_HTTP = HttpClient.newHttpClient(); // one client: the pipeline benchmark polls

    /** Sends one statement (and a body, or null) to ClickHouse over HTTP; returns the reply. */
    static String clickhouseQuery(ProcessSettings s, String sql, String body) throws IOException, InterruptedException {
        HttpResponse<String> response = CLICKHOUSE_HTTP.send(HttpRequest.newBuilder(URI.create(s.clickhouseUrl + "/?query="
                        + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("ClickHouse refused '" + sql + "': " + response.body());
        }
        return response.body();
    }

    static final double GOAL = BenchSummary.SINK_GOAL;

    /** One sink's figures as a JSON object (also what the pipeline benchmark writes per store). */
    static String json(Pair p) {
        return String.format(Locale.ROOT, "{\"sink\": \"%s\", \"rows\": %d, \"pulse_rows_per_s\": %.0f, \"bulk_path\": \"%s\", "
                + "\"bulk_rows_per_s\": %.0f, \"ratio\": %.3f, \"ratio_without_setup\": %.3f, \"pulse_setup_s\": %.2f, \"server\": %s, "
                + "\"pulse_cpu_us_per_row\": {\"jvm\": %.2f, \"server\": %.2f}, \"bulk_cpu_us_per_row\": {\"jvm\": %.2f, \"server\": %.2f}}",
                p.sink(), p.rows(), p.pulseRate(), p.bulkPath(), p.bulkRate(), p.ratio(), p.steadyRatio(), p.pulseSetup().seconds(),
                p.server() == null ? "null" : "\"" + p.server() + "\"", p.pulseJvmMicros(), p.pulseServerMicros(), p.bulkJvmMicros(),
                p.bulkServerMicros());
    }

    static void write(Path result, int rows, List<Pair> pairs) throws IOException {
        StringBuilder json = new StringBuilder();
        json.append(String.format(Locale.ROOT, "{\n  \"benchmark\": \"sinks\",\n  \"timestamp\": \"%s\",\n  \"machine\": \"%d cores, Java %s\",\n"
                + "  \"rows\": %d,\n  \"rounds\": " + ROUNDS + ",\n  \"job_startup_s\": %.2f,\n  \"job_startup_cpu_s\": %.2f,\n"
                + "  \"cpu_note\": \"CPU microseconds per row: jvm = this JVM (Pulse's side net of a 1-row job through the same sink), server = the store's "
                + "server process and its children (-1: the store is in this JVM)\",\n  \"goal\": \"each sink >= %.1fx its store's path\",\n  \"sinks\": [\n",
                Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), rows, startup, startupCpu, GOAL));
        StringBuilder md = new StringBuilder("| sink | Pulse rows/s | CPU µs/row (JVM + server) | bulk path | bulk rows/s | CPU µs/row (JVM + server) "
                + "| ratio | ratio without set-up (a 1-row job through the same sink) |\n| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n");
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            json.append("    ").append(json(p)).append(i + 1 < pairs.size() ? ",\n" : "\n");
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f + %s | %s | %.0f | %.1f + %s | %.2f | %.2f |%n", p.sink(), p.pulseRate(),
                    p.pulseJvmMicros(), micros(p.pulseServerMicros()), p.bulkPath(), p.bulkRate(), p.bulkJvmMicros(), micros(p.bulkServerMicros()),
                    p.ratio(), p.steadyRatio()));
            System.out.printf(Locale.ROOT, "sinks: %-50s Pulse %9.0f rows/s, %s %9.0f rows/s, ratio %.2f (%.2f without the "
                    + "%.1f s set-up of job and client; goal >= %.1f); CPU µs/row Pulse %.1f JVM + %s server, path %.1f + %s%n", p.sink(), p.pulseRate(),
                    p.bulkPath(), p.bulkRate(), p.ratio(), p.steadyRatio(), p.pulseSetup().seconds(), GOAL, p.pulseJvmMicros(), micros(p.pulseServerMicros()),
                    p.bulkJvmMicros(), micros(p.bulkServerMicros()));
        }
        json.append("  ]\n}\n");
        Files.createDirectories(result.getParent());
        Files.writeString(result, json.toString());
        Files.writeString(Path.of(result.toString().replaceAll("\\.json$", ".md")), md.toString());
    }

    static String micros(double value) {
        return BenchSummary.micros(value);
    }
}
