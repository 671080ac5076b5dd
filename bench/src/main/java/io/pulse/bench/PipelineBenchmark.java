package io.pulse.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.avro.EnrichedActivity;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.process.ProcessJob;
import io.pulse.process.ProcessSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code ./pulse bench pipeline}: the whole process job with every sink on, against the local
 * stack's servers (PostgreSQL, Cassandra, Redis, ClickHouse, mock-external, the lake, Kafka), in an
 * in-process Flink cluster like the other process benchmarks.
 * <ol>
 *   <li>Sustained rate: the job drains a backlog topic of generated activity (plus engagement
 *   events, 1 per 25 activity events); the rate is the slope of the records its source has emitted
 *   (a metric reporter in this JVM, {@link SourceProgress}) between 10% and 90% of the backlog: the
 *   source is held back by backpressure from every sink, and start-up and tail are left out.</li>
 *   <li>Live capacity: the producer sends at 1.5x that rate for 30 s to fresh topics while the job reads
 *   them; the job's source rate over the last three quarters is what the pipeline keeps up with
 *   while the producer shares the machine.</li>
 *   <li>Latency at half the live capacity: the producer sends live traffic at that rate (and
 *   engagement events at 1/25 of it) to fresh topics; the benchmark then reads, per record, when it
 *   was appended to Kafka (its timestamp) and when it reached each sink: the Cassandra write time
 *   of its row, a read_committed consumer of enriched_activity, ClickHouse polled every 200 ms, and
 *   PostgreSQL window rows polled every 250 ms (new rows found by xmin) measured from the moment
 *   the watermark could pass the window's end: the append of the first record, on every partition,
 *   whose event time reaches window end + the out-of-orderness bound.</li>
 *   <li>Per store: the rows each output passed to its sink per second in the sustained slope (the
 *   job's {@code rowsOut} counters) and the store server's CPU per row there; then each sink alone
 *   against its store's own path on the same generated rows ({@link SinkBenchmark}, in this run).</li>
 * </ol>
 * Every store is isolated: a PostgreSQL schema, Cassandra keyspaces, a ClickHouse table, a Redis
 * key prefix, Kafka topics and a lake directory of this run, all removed at the end.
 * Arguments: RESULT_FILE PRODUCER_JAR CASSANDRA_DDL BACKLOG_EVENTS LATENCY_SECONDS STACK_PIDS
 * BACKLOG_TOPIC (filled by {@code ./pulse bench}) [SINK_ROWS, 0 skips the sinks alone] [LATENCY_RATE, 0: half the live capacity].
 */
public final class PipelineBenchmark {
    private static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private static final int ENGAGEMENT_EVERY = 25;
    private static final int LIVE_CAPACITY_SECONDS = 30;

    private final ProcessSettings base;
    private final String schema = "bench_pipeline_" + RUN;
    private final String clickhouseTable;
    private final List<String> topics = new ArrayList<>();
    private final List<String> keyspaces = new ArrayList<>();
    private final List<Path> lakes = new ArrayList<>(); // and checkpoint directories
    private final List<String> contentIds = new ArrayList<>();
    private JobClient running; // the job under measurement, cancelled before any clean-up

    private PipelineBenchmark(ProcessSettings base) {
        this.base = base;
        this.clickhouseTable = base.clickhouseTable.substring(0, base.clickhouseTable.indexOf('.') + 1) + "bench_pipeline_" + RUN;
    }

    public static void main(String[] args) throws Exception {
        Path result = Path.of(args[0]);
        Path producerJar = Path.of(args[1]);
        String cassandraDdl = Files.readString(Path.of(args[2]));
        long backlogEvents = Long.parseLong(args[3]);
        int latencySeconds = Integer.parseInt(args[4]);
        StackCpu cpu = StackCpu.parse(args[5]);
        String backlogTopic = args[6];
        int sinkRows = args.length > 7 ? Integer.parseInt(args[7]) : 100_000;
        double latencyRate = args.length > 8 ? Double.parseDouble(args[8]) : 0;
        PipelineBenchmark bench = new PipelineBenchmark(ProcessSettings.load());
        try {
            bench.isolate(cassandraDdl);
            Sustained sustained = bench.sustained(backlogTopic, backlogEvents, cpu);
            // Half load is half of what the pipeline keeps up with while the producer shares the machine, not
            // half of the drain rate: at that, the latency run measured a saturated machine's queues.
            double speed = speed(latencySeconds);
            // A fixed latency rate (for comparing two settings at the same load) skips the live-capacity rounds.
            double live = latencyRate > 0 ? latencyRate * 2 : bench.liveCapacity(producerJar, sustained.rate(), LIVE_CAPACITY_SECONDS, speed);
            double halfRate = live / 2;
            Latency latency = bench.latency(producerJar, halfRate, latencySeconds, speed, cpu);
            List<SinkBenchmark.Pair> alone = List.of();
            if (sinkRows > 0) {
                progress("4/4 each sink alone vs its store's own path, %d rows, best of two rounds ...", sinkRows);
                SinkBenchmark.cpu = cpu;
                alone = SinkBenchmark.pairs(bench.base, sinkRows);
            }
            List<StoreFigures> stores = StoreFigures.of(sustained, latency, alone);
            String sinks = String.join(",", bench.base.sinks);
            String json = json(sinks, backlogEvents, sustained, live, halfRate, speed, latency, bench.checkpointSeconds(), stores);
            Files.createDirectories(result.getParent());
            Files.writeString(result, json);
            System.out.printf(Locale.ROOT, "pipeline: sinks %s, sustained %.0f events/s (%.1f CPU s per M events); %.0f events/s with"
                    + " the producer on the same machine%n", sinks, sustained.rate(), sustained.cpuPerMillion(), live);
            latency.perSink().forEach((sink, p) -> System.out.printf(Locale.ROOT,
                    "pipeline: latency at %.0f events/s to %s: p50 %d ms, p99 %d ms, max %d ms (%d records)%n",
                    halfRate, sink, p.p50(), p.p99(), p.max(), p.samples()));
            for (StoreFigures f : stores) {
                System.out.printf(Locale.ROOT, "pipeline: %-10s %6.0f rows/s sustained (server %s CPU µs/row), %6.0f at half load (%s)%s%n",
                        f.store(), f.rowsPerSecond(), SinkBenchmark.micros(f.serverMicros()), f.liveRowsPerSecond(),
                        SinkBenchmark.micros(f.liveServerMicros()), f.alone() == null ? "" : String.format(Locale.ROOT,
                                "; alone %.0f rows/s = %.2fx its path (%.0f rows/s; goal >= %.1f), CPU µs/row %.1f JVM + %s server",
                                f.alone().pulseRate(), f.alone().ratio(), f.alone().bulkRate(), SinkBenchmark.GOAL, f.alone().pulseJvmMicros(),
                                SinkBenchmark.micros(f.alone().pulseServerMicros())));
            }
        } finally {
            bench.cancelRunning();
            bench.cleanUp(backlogTopic);
        }
    }

    // --- isolation ----------------------------------------------------------------------------

    private void isolate(String cassandraDdl) throws Exception {
        progress("isolating this run: PostgreSQL schema %s, Cassandra keyspaces %s_a/_b/_c, ClickHouse %s, Redis prefix %s",
                schema, schema, clickhouseTable, redisPrefix());
        try (Connection c = base.postgres.open(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            for (String table : List.of("content", "session_kpis", "page_view_counts", "active_users", "user_sessions",
                    "aggregated_counts")) {
                st.execute("CREATE TABLE " + schema + "." + table + " (LIKE public." + table + " INCLUDING ALL)");
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + schema
                    + ".content (content_id, title, content_type, length_seconds, created_at) VALUES (?::uuid, ?, ?, ?, now())")) {
                Random random = new Random(7);
                for (int i = 0; i < 50; i++) {
                    String id = new UUID(random.nextLong(), random.nextLong()).toString();
                    contentIds.add(id);
                    insert.setString(1, id);
                    insert.setString(2, "Bench title " + i);
                    insert.setString(3, i % 2 == 0 ? "video" : "article");
                    insert.setInt(4, 60 + i);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
        try (CqlSession session = cassandra(null)) {
            for (String phase : List.of("a", "b", "c")) {
                String keyspace = schema + "_" + phase;
                keyspaces.add(keyspace);
                for (String statement : cassandraDdl.replaceAll("(?m)^--.*$", "").split(";")) {
                    if (!statement.isBlank()) {
                        session.execute(SimpleStatement.newInstance(statement.replace("pulse.", keyspace + ".").replace("KEYSPACE IF NOT EXISTS pulse", "KEYSPACE IF NOT EXISTS " + keyspace))
                                .setTimeout(Duration.ofSeconds(60)));
                    }
                }
            }
        }
        clickhouse("CREATE TABLE " + clickhouseTable + " AS " + base.clickhouseTable);
    }

    private String redisPrefix() {
        return "bench-pipeline-" + RUN + ":";
    }

    /** The job's settings for one phase: every sink on, each pointed at this run's isolated stores. */
    private ProcessSettings settings(String phase, String activityTopic, String engagementTopic) throws IOException {
        return settings(phase, phase, activityTopic, engagementTopic);
    }

    private ProcessSettings settings(String phase, String keyspace, String activityTopic, String engagementTopic) throws IOException {
        Path lake = Files.createTempDirectory("pulse-bench-lake");
        Path checkpoints = Files.createTempDirectory("pulse-bench-checkpoints");
        lakes.add(lake);
        lakes.add(checkpoints);
        return ProcessSettings.load("--checkpoint.dir", checkpoints.toUri().toString(), "--kafka.activity-topic", activityTopic, "--kafka.engagement-topic", engagementTopic,
                "--kafka.enriched-topic", topic(phase + "-enriched"), "--kafka.late-topic", topic(phase + "-late"),
                "--kafka.dead-letter-topic", topic(phase + "-dead"), "--kafka.group-id", "bench-pipeline-" + RUN + "-" + phase,
                "--kafka.transactional-id-prefix", "bench-pipeline-" + RUN + "-" + phase,
                "--postgres.database", base.postgres.database() + "?currentSchema=" + schema,
                "--cassandra.keyspace", schema + "_" + keyspace, "--clickhouse.table", clickhouseTable,
                "--redis.key-prefix", redisPrefix() + phase + ":", "--lake.dir", lake.toString());
    }

    private String topic(String name) {
        String topic = "bench-pipeline-" + RUN + "-" + name;
        if (!topics.contains(topic)) {
            topics.add(topic);
        }
        return topic;
    }

    private void createTopics(String... names) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(Arrays.stream(names).map(n -> new NewTopic(n, 2, (short) 1)).toList()).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Cancels the job and waits until it has ended: its sinks flush on close, after the cancel is acknowledged. */
    private void cancelRunning() {
        if (running != null) {
            JobClient job = running;
            running = null;
            quietly(() -> {
                try {
                    job.cancel().get(60, TimeUnit.SECONDS);
                } catch (IllegalStateException | java.util.concurrent.ExecutionException e) {
                    return; // the in-process cluster shut down: its only job has ended
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline) {
                    try {
                        if (job.getJobStatus().get().isGloballyTerminalState()) {
                            break;
                        }
                    } catch (IllegalStateException | java.util.concurrent.ExecutionException e) {
                        break; // the in-process cluster shuts down once its only job has ended
                    }
                    Thread.sleep(100); // until every task has stopped
                }
            });
        }
    }

    private void cleanUp(String backlogTopic) {
        progress("removing this run's schema, keyspaces, table, keys, topics and lake");
        quietly(() -> {
            try (Connection c = base.postgres.open(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        });
        quietly(() -> {
            try (CqlSession session = cassandra(null)) {
                for (String keyspace : keyspaces) {
                    session.execute(SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + keyspace).setTimeout(Duration.ofSeconds(60)));
                }
            }
        });
        quietly(() -> clickhouse("DROP TABLE IF EXISTS " + clickhouseTable));
        quietly(() -> {
            try (var jedis = new redis.clients.jedis.Jedis(base.redisHost, base.redisPort)) {
                for (String key : jedis.keys(redisPrefix() + "*")) {
                    jedis.del(key);
                }
            }
        });
        quietly(() -> {
            try (Admin admin = admin()) {
                List<String> all = new ArrayList<>(topics);
                all.add(backlogTopic);
                admin.deleteTopics(all).all().get(60, TimeUnit.SECONDS);
            }
        });
        for (Path lake : lakes) {
            quietly(() -> {
                try (var paths = Files.walk(lake)) {
                    paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            });
        }
    }

    // --- 1. sustained rate ---------------------------------------------------------------------

    record Sustained(double rate, double seconds, long events, Map<String, Double> cpu, Map<String, Long> outputRows) {
        double cpuPerMillion() {
            return cpu.get("total") / (events / 1e6);
        }
    }

    private Sustained sustained(String backlogTopic, long events, StackCpu cpu) throws Exception {
        String engagementTopic = topic("a-engagement");
        createTopics(engagementTopic, topic("a-enriched"), topic("a-late"), topic("a-dead"));
        long engagements = events / ENGAGEMENT_EVERY;
        progress("1/4 sustained: writing %d engagement events beside the %d activity events", engagements, events);
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
            long t0 = Instant.parse("2025-01-01T00:00:00Z").toEpochMilli();
            for (long i = 0; i < engagements; i++) {
                EngagementEvent e = engagement(i, t0 + i * 1000);
                producer.send(new ProducerRecord<>(engagementTopic, e.getEventId().getBytes(StandardCharsets.UTF_8), avro.encode(e)));
            }
        }
        ProcessSettings s = settings("a", backlogTopic, engagementTopic);
        Map<TopicPartition, Long> end = endOffsets(backlogTopic);
        long total = end.values().stream().mapToLong(Long::longValue).sum();
        progress("1/4 sustained: the job drains %d records with every sink on (checkpoint every %ss) ...", total,
                s.checkpointInterval.toSeconds());
        SourceProgress.reset();
        JobClient job = start(s, "bench pipeline sustained");
        // The slope between 10% and 90% of the backlog: start-up and the tail left out. The source is
        // held back by every sink downstream (backpressure), so its pace is the pipeline's.
        long[] from = null;
        long[] to = null;
        Map<String, Double> cpuFrom = null;
        Map<String, Double> used = null;
        Map<String, Long> outputsFrom = null;
        Map<String, Long> outputRows = new java.util.TreeMap<>();
        long began = System.nanoTime();
        long lastReport = 0;
        while (to == null) {
            long read = SourceProgress.records();
            long now = System.nanoTime();
            if (from == null && read >= total / 10) {
                from = new long[] {now, read};
                cpuFrom = cpu.read();
                outputsFrom = SourceProgress.outputs();
            } else if (from != null && read >= total * 9 / 10) {
                to = new long[] {now, read};
                used = StackCpu.between(cpuFrom, cpu.read());
                Map<String, Long> start = outputsFrom;
                SourceProgress.outputs().forEach((output, rows) -> outputRows.put(output, rows - start.getOrDefault(output, 0L)));
            }
            if (now - lastReport > TimeUnit.SECONDS.toNanos(10)) {
                progress("1/4 sustained: %d of %d records through the source after %.0f s", read, total, (now - began) / 1e9);
                lastReport = now;
            }
            if (now - began > TimeUnit.MINUTES.toNanos(20)) {
                throw new IllegalStateException("the job did not drain " + backlogTopic + " within 20 minutes (" + read + " of " + total + ")");
            }
            if (read == 0 && now - began > TimeUnit.SECONDS.toNanos(90) && !SourceProgress.registered()) {
                throw new IllegalStateException("no numRecordsOut counter of the activity source reached the SourceProgress reporter "
                        + "(is META-INF/services/org.apache.flink.metrics.reporter.MetricReporterFactory in the jar?)");
            }
            failIfDone(job);
            Thread.sleep(100); // between reads of the source's counter
        }
        cancelRunning();
        double seconds = (to[0] - from[0]) / 1e9;
        long measured = to[1] - from[1];
        return new Sustained(measured / seconds, seconds, measured, used, outputRows);
    }

    /**
     * One store's figures: the rows its outputs passed to their sinks per second in the sustained
     * slope (the engagement stores get theirs before it: that topic is small and read first) and in
     * the latency run at half load, where every output flows; its server's CPU per such row in each
     * (-1: the lake lives in the job's JVM; Kafka's server also serves the source and the benchmark's
     * readers); and its sink alone against the store's own path (null: not run).
     */
    record StoreFigures(String store, Map<String, Double> outputs, double rowsPerSecond, double serverMicros, double liveRowsPerSecond,
                        double liveServerMicros, SinkBenchmark.Pair alone) {
        /** Store, its server process, the pair of the sink benchmark (by name prefix) and its outputs. */
        private static final List<String[]> STORES = List.of(
                new String[] {"postgres", "postgres", "postgres", "session_kpis,page_view_counts,active_users,user_sessions,aggregated_counts"},
                new String[] {"cassandra", "cassandra", "cassandra", "user_events"},
                new String[] {"redis", "redis", "redis", "leaderboard,content_hashes"},
                new String[] {"clickhouse", "clickhouse", "clickhouse", "engagement_enriched"},
                new String[] {"http", "mock-external", "http", "http_events"},
                new String[] {"kafka", "kafka", "kafka", "enriched_activity"},
                new String[] {"lake", null, "parquet lake", "lake"});

        static List<StoreFigures> of(Sustained sustained, Latency latency, List<SinkBenchmark.Pair> alone) {
            List<StoreFigures> out = new ArrayList<>();
            for (String[] store : STORES) {
                Map<String, Double> outputs = new java.util.LinkedHashMap<>();
                long rows = 0;
                long liveRows = 0;
                for (String output : store[3].split(",")) {
                    rows += sustained.outputRows().getOrDefault(output, 0L);
                    liveRows += latency.outputRows().getOrDefault(output, 0L);
                    if (sustained.outputRows().containsKey(output)) {
                        outputs.put(output, sustained.outputRows().get(output) / sustained.seconds());
                    }
                }
                SinkBenchmark.Pair pair = alone.stream().filter(p -> p.sink().startsWith(store[2])).findFirst().orElse(null);
                if (rows + liveRows > 0 || pair != null) {
                    out.add(new StoreFigures(store[0], outputs, rows / sustained.seconds(), micros(sustained.cpu(), store[1], rows),
                            liveRows / latency.seconds(), micros(latency.cpu(), store[1], liveRows), pair));
                }
            }
            return out;
        }

        private static double micros(Map<String, Double> cpu, String server, long rows) {
            return server == null || rows == 0 || !cpu.containsKey(server) ? -1 : cpu.get(server) * 1e6 / rows;
        }

        String json() {
            return String.format(Locale.ROOT, "{\"store\": \"%s\", \"pipeline_rows_per_s\": %.0f, \"pipeline_outputs_rows_per_s\": %s, "
                    + "\"pipeline_server_cpu_us_per_row\": %.2f, \"half_load_rows_per_s\": %.0f, \"half_load_server_cpu_us_per_row\": %.2f, "
                    + "\"sink_alone\": %s}", store, rowsPerSecond,
                    outputs.entrySet().stream().map(e -> String.format(Locale.ROOT, "\"%s\": %.0f", e.getKey(), e.getValue()))
                            .collect(java.util.stream.Collectors.joining(", ", "{", "}")), serverMicros, liveRowsPerSecond, liveServerMicros,
                    alone == null ? "null" : SinkBenchmark.json(alone));
        }
    }

    // --- 2. latency at half load ---------------------------------------------------------------

    record Percentiles(long p50, long p99, long max, int samples) {
        static Percentiles of(List<Long> latencies) {
            if (latencies.isEmpty()) {
                return new Percentiles(-1, -1, -1, 0);
            }
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Percentiles(sorted[(int) Math.floor(0.50 * (sorted.length - 1))], sorted[(int) Math.floor(0.99 * (sorted.length - 1))],
                    sorted[sorted.length - 1], sorted.length);
        }
    }

    record Latency(Map<String, Percentiles> perSink, Map<String, Integer> windowRows, Map<String, Integer> expected, long sent,
                   double seconds, Map<String, Double> cpu, Map<String, Long> outputRows) {}

    /**
     * What the pipeline keeps up with while the producer runs beside it. The producer sends at the
     * drain rate for {@code seconds}; if the job keeps up, that rate is the figure (a floor). If not,
     * the job's source rate is what it managed with the producer on the machine, and a second round
     * sends at that rate (a lighter producer): kept up, that rate; else the second round's.
     */
    private double liveCapacity(Path producerJar, double drain, int seconds, double speed) throws Exception {
        double first = liveRound("c1", producerJar, drain, seconds, speed);
        if (first >= drain * 0.95) {
            progress("2/4 live capacity: the job kept up with the producer at the drain rate: %.0f events/s (a floor)", drain);
            return drain;
        }
        double second = liveRound("c2", producerJar, first, seconds, speed);
        double live = second >= first * 0.95 ? first : second;
        progress("2/4 live capacity: %.0f events/s", live);
        return live;
    }

    /** One round: the job's source rate over the producer's run, from a quarter of it on (start-up left out). */
    private double liveRound(String phase, Path producerJar, double rate, int seconds, double speed) throws Exception {
        String activityTopic = topic(phase + "-activity");
        String engagementTopic = topic(phase + "-engagement");
        createTopics(activityTopic, engagementTopic, topic(phase + "-enriched"), topic(phase + "-late"), topic(phase + "-dead"));
        ProcessSettings s = settings(phase, "c", activityTopic, engagementTopic);
        SourceProgress.reset();
        JobClient job = start(s, "bench pipeline live capacity " + phase);
        awaitRunning(job);
        progress("2/4 live capacity: producer at %.0f events/s for %d s beside the job ...", rate, seconds);
        Process producer = producer(producerJar, s.kafkaBootstrap, activityTopic, rate, seconds, speed);
        long began = 0; // when the first record reached the job's source (the producer's JVM and users take a while)
        long[] from = null;
        while (producer.isAlive()) {
            long now = System.nanoTime();
            if (began == 0 && SourceProgress.records() > 0) {
                began = now;
            }
            if (began != 0 && from == null && now - began >= TimeUnit.SECONDS.toNanos(seconds) / 4) {
                from = new long[] {now, SourceProgress.records()};
            }
            failIfDone(job);
            Thread.sleep(100); // between reads of the source's counter
        }
        long[] to = {System.nanoTime(), SourceProgress.records()};
        if (producer.exitValue() != 0 || from == null) {
            throw new IllegalStateException("the producer did not run its " + seconds + " s beside the job (exit " + producer.exitValue() + ")");
        }
        cancelRunning();
        double live = (to[1] - from[1]) / ((to[0] - from[0]) / 1e9);
        progress("2/4 live capacity: %.0f events/s through the job's source while the producer sent %.0f/s", live, rate);
        return live;
    }

    /** Event time runs this many times the wall clock in the live runs, so that 5-minute windows + the 2-minute bound close twice within them. */
    static double speed(int seconds) {
        return Math.max(1, Math.ceil(900.0 / seconds));
    }

    private static Process producer(Path producerJar, String bootstrap, String topic, double rate, int seconds, double speed) throws IOException {
        return new ProcessBuilder(javaBin(), "-jar", producerJar.toString(), "produce", "--bootstrap", bootstrap,
                "--topic", topic, "--rate", String.format(Locale.ROOT, "%.0f", rate), "--duration", seconds + "s",
                "--realtime", "--speed", String.format(Locale.ROOT, "%.0f", speed), "--seed", "2", "--late-share", "0",
                "--malformed-share", "0", "--format", "avro")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private Latency latency(Path producerJar, double rate, int seconds, double speed, StackCpu cpu) throws Exception {
        // Window rows of the first phase would look like instant results to the pollers.
        try (Connection c = base.postgres.open(); Statement st = c.createStatement()) {
            st.execute("TRUNCATE " + String.join(", ", WINDOW_QUERIES.keySet().stream().map(t -> schema + "." + t).toList()));
        }
        clickhouse("TRUNCATE TABLE " + clickhouseTable);
        String activityTopic = topic("b-activity");
        String engagementTopic = topic("b-engagement");
        String enrichedTopic = topic("b-enriched");
        createTopics(activityTopic, engagementTopic, enrichedTopic, topic("b-late"), topic("b-dead"));
        ProcessSettings s = settings("b", activityTopic, engagementTopic);
        SourceProgress.reset();
        JobClient job = start(s, "bench pipeline latency");
        awaitRunning(job);

        Map<String, Long> enrichedSeen = new ConcurrentHashMap<>();
        Map<String, Long> clickhouseSeen = new ConcurrentHashMap<>();
        Map<String, long[]> windowSeen = new ConcurrentHashMap<>(); // table|key -> {first seen, window end}
        Map<String, Long> engagementAppended = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> watchers = List.of(
                watcher("enriched_activity reader", running, () -> readEnriched(enrichedTopic, enrichedSeen, running)),
                watcher("clickhouse poller", running, () -> pollClickHouse(clickhouseSeen, running)),
                watcher("postgres poller", running, () -> pollPostgres(windowSeen, running)),
                watcher("engagement writer", running, () -> writeEngagement(engagementTopic, rate / ENGAGEMENT_EVERY, seconds,
                        engagementAppended, running)));
        watchers.forEach(Thread::start);

        progress("3/4 latency: producer at %.0f events/s (half the live capacity) for %d s ...", rate, seconds);
        Map<String, Double> before = cpu.read();
        Map<String, Long> outputsBefore = SourceProgress.outputs();
        long began = System.nanoTime();
        long measuredFrom = System.currentTimeMillis() + WARM_UP_MILLIS;
        Process producer = producer(producerJar, s.kafkaBootstrap, activityTopic, rate, seconds, speed);
        if (!producer.waitFor(seconds + 120L, TimeUnit.SECONDS) || producer.exitValue() != 0) {
            producer.destroyForcibly();
            throw new IllegalStateException("the producer did not finish its " + seconds + " s run");
        }
        double elapsed = (System.nanoTime() - began) / 1e9;
        Map<String, Double> used = StackCpu.between(before, cpu.read());
        Map<String, Long> outputRows = new java.util.TreeMap<>();
        SourceProgress.outputs().forEach((output, rows) -> outputRows.put(output, rows - outputsBefore.getOrDefault(output, 0L)));
        // The tail: enriched_activity and the lake commit on the next checkpoint, the writers flush each second.
        long drain = s.checkpointInterval.toMillis() * 2 + 5_000;
        progress("3/4 latency: producer done; %d s for the last records to reach every sink ...", drain / 1000);
        Thread.sleep(drain); // a fixed tail: records still in flight are what is measured
        running.set(false);
        for (Thread t : watchers) {
            t.join(30_000);
        }
        failIfDone(job);
        cancelRunning();

        progress("3/4 latency: reading append times and the Cassandra write times ...");
        Appends appends = appends(activityTopic);
        // Records appended in the first seconds meet a job whose sources, lookups and writers are still opening.
        Map<String, Long> activity = appendedFrom(appends.byEventId(), measuredFrom);
        Map<String, Long> engagement = appendedFrom(engagementAppended, measuredFrom);
        progress("3/4 latency: left out as warm-up (appended in the first %d s): %d activity and %d engagement records",
                WARM_UP_MILLIS / 1000, appends.byEventId().size() - activity.size(), engagementAppended.size() - engagement.size());
        Map<String, List<Long>> latencies = new java.util.LinkedHashMap<>();
        latencies.put("cassandra user_events", cassandraLatencies(s, activity));
        latencies.put("kafka enriched_activity", matched(enrichedSeen, activity));
        latencies.put("clickhouse engagement_enriched", matched(clickhouseSeen, engagement));
        Map<String, Integer> windowRows = new java.util.TreeMap<>();
        List<Long> windows = new ArrayList<>();
        Map<String, List<Long>> perTable = new java.util.TreeMap<>();
        long bound = s.pipeline.outOfOrderness().toMillis();
        for (Map.Entry<String, long[]> row : windowSeen.entrySet()) {
            long closing = appends.closingAppend(row.getValue()[1] + bound);
            if (closing >= measuredFrom) {
                String table = row.getKey().substring(0, row.getKey().indexOf('|'));
                windows.add(row.getValue()[0] - closing);
                perTable.computeIfAbsent(table, t -> new ArrayList<>()).add(row.getValue()[0] - closing);
                windowRows.merge(table, 1, Integer::sum);
            }
        }
        latencies.put("postgres windows (after window end + watermark delay)", windows);
        perTable.forEach((table, list) -> latencies.put("postgres " + table + " (after window end + watermark delay)", list));
        Map<String, Percentiles> perSink = new java.util.LinkedHashMap<>();
        latencies.forEach((sink, list) -> perSink.put(sink, Percentiles.of(list)));
        Map<String, Integer> expected = Map.of("cassandra user_events", activity.size(), "kafka enriched_activity",
                activity.size(), "clickhouse engagement_enriched", engagement.size());
        expected.forEach((sink, count) -> {
            if (perSink.get(sink).samples() != count) {
                progress("3/4 latency: WARNING %s: %d of %d records arrived within the run and its tail", sink,
                        perSink.get(sink).samples(), count);
            }
        });
        return new Latency(perSink, windowRows, expected, appends.byEventId().size(), elapsed, used, outputRows);
    }

    /** The first seconds of the latency run, left out of its figures. */
    static final long WARM_UP_MILLIS = 5_000;

    private static Map<String, Long> appendedFrom(Map<String, Long> appended, long from) {
        Map<String, Long> out = new HashMap<>();
        appended.forEach((id, at) -> {
            if (at >= from) {
                out.put(id, at);
            }
        });
        return out;
    }

    private static List<Long> matched(Map<String, Long> seen, Map<String, Long> appended) {
        List<Long> out = new ArrayList<>();
        seen.forEach((id, at) -> {
            Long append = appended.get(id);
            if (append != null) {
                out.add(at - append);
            }
        });
        return out;
    }

    /** Append times of the live traffic: per event id, and per partition in offset order with event times. */
    record Appends(Map<String, Long> byEventId, Map<Integer, List<long[]>> byPartition) {
        /** When the last partition first carried an event time >= t: from then on the watermark is past t - bound. */
        long closingAppend(long eventTime) {
            long closing = 0;
            for (List<long[]> records : byPartition.values()) {
                // {running maximum of event time, append time}: non-decreasing, so a binary search
                // finds the first record at or past eventTime.
                int lo = 0;
                int hi = records.size();
                while (lo < hi) {
                    int mid = (lo + hi) >>> 1;
                    if (records.get(mid)[0] >= eventTime) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                if (lo == records.size()) {
                    return -1;
                }
                closing = Math.max(closing, records.get(lo)[1]);
            }
            return closing;
        }
    }

    private Appends appends(String topic) {
        Map<String, Long> byId = new HashMap<>();
        Map<Integer, List<long[]>> byPartition = new HashMap<>();
        Map<Integer, Long> maxTime = new HashMap<>();
        UserEventCodec codec = new UserEventCodec();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = ProcessBenchmark.assignFromStart(consumer, topic);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (codec.decode(r.value()) instanceof DecodeResult.Decoded d) {
                        long eventTime = d.event().getEventTime().toEpochMilli();
                        byId.put(d.event().getEventId(), r.timestamp());
                        long running = Math.max(maxTime.getOrDefault(r.partition(), Long.MIN_VALUE), eventTime);
                        maxTime.put(r.partition(), running);
                        byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(new long[] {running, r.timestamp()});
                    }
                }
            }
        }
        return new Appends(byId, byPartition);
    }

    private List<Long> cassandraLatencies(ProcessSettings s, Map<String, Long> appended) {
        List<Long> out = new ArrayList<>();
        try (CqlSession session = cassandra(s.cassandraKeyspace)) {
            for (Row row : session.execute(SimpleStatement.newInstance("SELECT event_id, writetime(device) FROM user_events")
                    .setPageSize(5000).setTimeout(Duration.ofSeconds(60)))) {
                Long append = appended.get(row.getString(0));
                if (append != null && !row.isNull(1)) {
                    out.add(row.getLong(1) / 1000 - append);
                }
            }
        }
        return out;
    }

    private void readEnriched(String topic, Map<String, Long> seen, AtomicBoolean running) {
        AvroSingleObjectCodec<EnrichedActivity> avro = new AvroSingleObjectCodec<>(EnrichedActivity.class);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = ProcessBenchmark.assignFromStart(consumer, topic);
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    EnrichedActivity e = avro.decode(r.value()).value();
                    if (e != null) {
                        seen.putIfAbsent(e.getEvent().getEventId(), now);
                    }
                }
            }
        }
    }

    private void pollClickHouse(Map<String, Long> seen, AtomicBoolean running) throws Exception {
        while (running.get()) {
            long pollStart = System.currentTimeMillis();
            // The whole (truncated, run-only) table each time: a row's processing_time is stamped
            // before the sink's batch waits for its interval or a checkpoint, so no time filter is safe.
            String ids = clickhouse("SELECT event_id FROM " + clickhouseTable + " FORMAT TabSeparated");
            long now = System.currentTimeMillis();
            for (String id : ids.split("\n")) {
                if (!id.isEmpty()) {
                    seen.putIfAbsent(id, now);
                }
            }
            Thread.sleep(Math.max(0, 200 - (now - pollStart))); // the polling period
        }
    }

    private static final Map<String, String> WINDOW_QUERIES = Map.of(
            "page_view_counts", "SELECT window_start || '/' || page, extract(epoch from window_end) * 1000 FROM %s.page_view_counts",
            "active_users", "SELECT window_start::text, extract(epoch from window_end) * 1000 FROM %s.active_users",
            "session_kpis", "SELECT session_id || '/' || device, extract(epoch from session_end) * 1000 FROM %s.session_kpis",
            "aggregated_counts", "SELECT group_key, extract(epoch from window_end_time) * 1000 FROM %s.aggregated_counts");

    private void pollPostgres(Map<String, long[]> seen, AtomicBoolean running) throws Exception {
        long floor = 0; // every transaction below it had ended when the previous poll began
        try (Connection c = base.postgres.open(); Statement st = c.createStatement()) {
            while (running.get()) {
                long pollStart = System.currentTimeMillis();
                long nextFloor;
                try (ResultSet rs = st.executeQuery("SELECT txid_snapshot_xmin(txid_current_snapshot()) % 4294967296")) {
                    rs.next();
                    nextFloor = rs.getLong(1);
                }
                for (Map.Entry<String, String> q : WINDOW_QUERIES.entrySet()) {
                    // Rows of transactions still open at the last poll are read again (first sighting wins):
                    // two writers commit out of id order, so "above the highest xmin seen" would skip some.
                    String sql = String.format(q.getValue(), schema) + " WHERE xmin::text::bigint >= " + floor;
                    try (ResultSet rs = st.executeQuery(sql)) {
                        long now = System.currentTimeMillis();
                        while (rs.next()) {
                            seen.putIfAbsent(q.getKey() + "|" + rs.getString(1), new long[] {now, (long) rs.getDouble(2)});
                        }
                    }
                }
                floor = nextFloor;
                Thread.sleep(Math.max(0, 250 - (System.currentTimeMillis() - pollStart))); // the polling period
            }
        }
    }

    private void writeEngagement(String topic, double rate, int seconds, Map<String, Long> appended, AtomicBoolean running)
            throws Exception {
        AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
        long count = (long) (rate * seconds);
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (long i = 0; i < count && running.get(); i++) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing to the engagement rate
                }
                EngagementEvent e = engagement(1_000_000_000L + i, System.currentTimeMillis());
                producer.send(new ProducerRecord<>(topic, e.getEventId().getBytes(StandardCharsets.UTF_8), avro.encode(e)),
                        (metadata, error) -> {
                            if (error == null) {
                                appended.put(e.getEventId(), metadata.timestamp());
                            }
                        });
            }
        }
    }

    private EngagementEvent engagement(long i, long eventTime) {
        String[] types = {"view", "like", "comment", "share", "complete"};
        return EngagementEvent.newBuilder().setEventId(new UUID(0x5EED, i).toString()).setContentId(contentIds.get((int) (i % contentIds.size())))
                .setUserId("bench-user-" + (i % 500)).setEventType(types[(int) (i % types.length)]).setDurationMs((int) (i % 60_000))
                .setDevice(i % 3 == 0 ? "Mobile" : "Web").setEventTime(Instant.ofEpochMilli(eventTime)).setOp("c").build();
    }

    // --- plumbing ------------------------------------------------------------------------------

    private JobClient start(ProcessSettings s, String name) throws Exception {
        org.apache.flink.configuration.Configuration cluster = new org.apache.flink.configuration.Configuration();
        cluster.setString("taskmanager.memory.managed.size", "1024m"); // about the local stack's TaskManager
        SourceProgress.configure(cluster);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(cluster);
        env.setParallelism(2);
        ProcessJob.configure(env, s);
        // A restart would replay records (counted twice by the source's counter) and hide a failure:
        // here any failure ends the job, and the benchmark with it.
        org.apache.flink.configuration.Configuration noRestart = new org.apache.flink.configuration.Configuration();
        noRestart.setString("restart-strategy.type", "none");
        // PULSE_BENCH_FLINK="key=value,key=value": Flink options to try on the benchmarked job.
        for (String option : System.getenv().getOrDefault("PULSE_BENCH_FLINK", "").split(",")) {
            if (option.contains("=")) {
                noRestart.setString(option.substring(0, option.indexOf('=')).trim(), option.substring(option.indexOf('=') + 1).trim());
            }
        }
        env.configure(noRestart);
        ProcessJob.pipeline(s).build(env);
        running = env.executeAsync(name);
        return running;
    }

    private static void awaitRunning(JobClient job) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (job.getJobStatus().get() != org.apache.flink.api.common.JobStatus.RUNNING) {
            failIfDone(job);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the benchmark job did not start within 2 minutes");
            }
            Thread.sleep(200); // between status reads
        }
    }

    private static void failIfDone(JobClient job) throws Exception {
        if (job.getJobStatus().get().isGloballyTerminalState()) {
            job.getJobExecutionResult().get(); // throws the job's failure
            throw new IllegalStateException("the benchmark job ended early");
        }
    }

    interface Body {
        void run() throws Exception;
    }

    private static Thread watcher(String name, AtomicBoolean running, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                if (running.get()) {
                    System.err.println("  " + name + " failed: " + e);
                }
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private long committed(Admin admin, String group, java.util.Set<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        return partitions.stream().map(offsets::get).filter(java.util.Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum();
    }

    private Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
        try (Admin admin = admin()) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> end.put(tp, info.offset()));
            return end;
        }
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put("bootstrap.servers", base.kafkaBootstrap);
        return Admin.create(p);
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", base.kafkaBootstrap);
        p.put("linger.ms", "5");
        p.put("acks", "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", base.kafkaBootstrap);
        p.put("isolation.level", "read_committed");
        p.put("max.poll.records", "5000");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private CqlSession cassandra(String keyspace) {
        var builder = CqlSession.builder().addContactPoint(new InetSocketAddress(base.cassandraHost, base.cassandraPort))
                .withLocalDatacenter(base.cassandraDatacenter);
        return keyspace == null ? builder.build() : builder.withKeyspace(keyspace).build();
    }

    private String clickhouse(String sql) throws IOException, InterruptedException {
        return SinkBenchmark.clickhouseQuery(base, sql, null);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "  " + format + "%n", args);
    }

    private static void quietly(Body body) {
        try {
            body.run();
        } catch (Exception e) {
            System.err.println("  clean-up: " + e);
        }
    }

    private long checkpointSeconds() {
        return base.checkpointInterval.toSeconds();
    }

    private static String json(String sinksOn, long backlog, Sustained sustained, double live, double halfRate, double speed, Latency latency,
                               long checkpoint, List<StoreFigures> stores) {
        StringBuilder sinks = new StringBuilder();
        latency.perSink().forEach((sink, p) -> sinks.append(sinks.isEmpty() ? "" : ",\n").append(String.format(Locale.ROOT,
                "    \"%s\": {\"p50_ms\": %d, \"p99_ms\": %d, \"max_ms\": %d, \"records\": %d%s}", sink, p.p50(), p.p99(), p.max(), p.samples(),
                latency.expected().containsKey(sink) ? ", \"sent\": " + latency.expected().get(sink) : "")));
        return String.format(Locale.ROOT, """
                {
                  "benchmark": "pipeline",
                  "timestamp": "%s",
                  "machine": "%d cores, Java %s",
                  "sinks": "%s",
                  "setup": "the whole process job with the sinks above (all by default: PostgreSQL, Cassandra, Redis, ClickHouse, mock-external HTTP, Parquet lake, Kafka), in-process Flink 1.20, parallelism 2, RocksDB, checkpoint every %d s, no restarts, against the local stack's servers; engagement events 1 per %d activity events",
                  "backlog_events": %d,
                  "sustained": {"events_per_s": %.0f, "seconds": %.2f, "events_in_slope": %d, "cpu_s_per_million": %.2f, "cpu_s_by_process": %s},
                  "live_capacity": {"events_per_s": %.0f, "note": "what the job keeps up with while the producer sends on the same machine (rounds at the drain rate, then at what the job managed); half of it is the latency run's load"},
                  "latency_run": {"event_time_speed": %.0f, "target_events_per_s": %.0f, "events_per_s": %.0f, "seconds": %.2f, "activity_events_sent": %d, "cpu_s_by_process": %s, "window_rows": %s},
                  "latency_ms": {
                %s
                  },
                  "stores_note": "per store: rows its outputs passed to their sinks per second in the sustained slope (engagement stores: 0, their small topic is read before it) and in the latency run at half load, its server's CPU per such row in each (-1: in the job's JVM; Kafka's also serves the source and the benchmark's readers), and its sink alone vs the store's own path on generated rows in this run (JVM CPU net of one job's start-up; goal >= %.1f)",
                  "stores": [
                %s
                  ],
                  "goal": "at half load: p99 to the raw sinks (Cassandra, ClickHouse) <= 1000 ms, to enriched_activity <= checkpoint interval + 1 s, to a window row <= 2000 ms after window end + out-of-orderness; sustained >= 25,000 events/s; each sink >= 0.8x its store's path"
                }
                """, Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), sinksOn, checkpoint, ENGAGEMENT_EVERY,
                backlog, sustained.rate(), sustained.seconds(), sustained.events(), sustained.cpuPerMillion(), StackCpu.json(sustained.cpu()),
                live, speed, halfRate, latency.sent() / latency.seconds(), latency.seconds(), latency.sent(), StackCpu.json(latency.cpu()),
                latency.windowRows().entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                        .collect(java.util.stream.Collectors.joining(", ", "{", "}")), sinks, SinkBenchmark.GOAL,
                stores.stream().map(f -> "    " + f.json()).collect(java.util.stream.Collectors.joining(",\n")));
    }
}
