package io.pulse.e2e;

import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.cassandraRows;
import static io.pulse.process.SinkContents.clickhouse;
import static io.pulse.process.SinkContents.clickhouseRows;
import static io.pulse.process.SinkContents.difference;
import static io.pulse.process.SinkContents.externalKeys;
import static io.pulse.process.SinkContents.lakeRows;
import static io.pulse.process.SinkContents.leaderboard;
import static io.pulse.process.SinkContents.postgresRows;
import static io.pulse.process.SinkContents.redisWindows;
import static io.pulse.process.SinkContents.windowDifferences;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.pulse.e2e.stack.TestStack;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.EnrichedActivity;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.model.diagnostics.LateEvent;
import io.pulse.process.Datasets;
import io.pulse.process.ReferenceModel;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import io.pulse.process.TestJobs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The whole system as a user runs it: both jobs' jars submitted to the stack's Flink cluster
 * (JobManager and TaskManager processes), activity replayed from files with the producer,
 * engagement written to PostgreSQL and captured by the ingest job, the TaskManager process killed
 * (SIGKILL) twice mid-stream and restarted, the process job stopped with a savepoint and resumed
 * from it — and then every sink compared exactly with {@link ReferenceModel}, computed here
 * without pipeline code: the five PostgreSQL tables, Cassandra, the lake, enriched_activity,
 * ClickHouse, the Redis windows and leaderboard, mock-external's keys, late_events and dead_letter.
 */
class EndToEndITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;
    static final Duration WAIT = Duration.ofMinutes(3);
    /** The window operators' vertices. */
    private static final List<String> WINDOW_VERTICES = TestJobs.WINDOW_VERTICES;
    static TestStack servers;
    static StackEndpoints stack;
    static FlinkRest flink;
    private static String processJar;
    private static String ingestJar;

    @BeforeAll
    static void cluster() throws Exception {
        servers = TestStack.current();
        stack = servers.endpoints();
        flink = new FlinkRest(stack.flinkRest());
        processJar = flink.upload(jar("process-job", "process-job-", "-job.jar"));
        ingestJar = flink.upload(jar("ingest-job", "ingest-job-", "-job.jar"));
    }

    @AfterAll
    static void close() {
        servers.close(); // the local stack stays up; containers are removed
    }

    @Test
    void everySinkIsExactAfterTwoTaskManagerKillsAndASavepointResume() throws Exception {
        String run = "e2e" + UUID.randomUUID().toString().substring(0, 6);
        // --- the data set ---
        List<Event> onTime = prefixed(Datasets.onTimeEvents(T0), run);
        List<Event> late = prefixed(Datasets.lateEvents(T0), run);
        List<Event> closers = List.of(new Event(run + "closer-0", run + "closer-0", "click", T0 + 180 * MINUTE, "Web", null),
                new Event(run + "closer-1", run + "closer-1", "click", T0 + 180 * MINUTE, "Web", null));
        List<Event> sendOrder = arrivalOrder(onTime, 11);
        List<Event> part1 = sendOrder.subList(0, sendOrder.size() * 2 / 5);
        List<Event> part2 = sendOrder.subList(sendOrder.size() * 2 / 5, sendOrder.size());

        Map<String, String[]> content = content(run, 3);
        List<String> contentIds = List.copyOf(content.keySet());
        String missing = UUID.randomUUID().toString();
        List<EngagementChange> changesA = engagement(run, contentIds, missing, T0, T0 + 15 * MINUTE, 1);
        List<EngagementChange> changesB = engagement(run, contentIds, missing, T0 + 15 * MINUTE, T0 + 30 * MINUTE, 2);
        EngagementChange engagementCloser = new EngagementChange(UUID.randomUUID().toString(), contentIds.get(0), run + "-closer",
                "view", T0 + 300 * MINUTE, false);

        Path lake = servers.sharedDirectory("lake-" + run);
        String prefix = run + ":";
        try (ScratchDatabase db = ScratchDatabase.create(stack, "e2e");
             ScratchTopic activity = ScratchTopic.create(stack, "e2e-activity", 2);
             ScratchTopic engagementTopic = ScratchTopic.create(stack, "e2e-engagement", 2);
             ScratchTopic enriched = ScratchTopic.create(stack, "e2e-enriched", 2);
             ScratchTopic lateTopic = ScratchTopic.create(stack, "e2e-late", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "e2e-dead", 1);
             KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(stack.kafkaBootstrap());
             Connection pg = db.connect();
             CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                     .withLocalDatacenter(stack.cassandraDatacenter()).build();
             Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            insertContent(pg, content);
            List<String> ingestArgs = ingestArgs(run, db, engagementTopic);
            List<String> processArgs = processArgs(run, prefix, db, activity, engagementTopic, enriched, lateTopic, dead, lake);

            String ingest = flink.run(ingestJar, ingestArgs, null);
            String process = flink.run(processJar, processArgs, null);
            try {
                awaitTrue("both jobs running", WAIT, () -> flink.allRunning(ingest) && flink.allRunning(process), () -> "");
                awaitTrue("the ingest job's replication slot", WAIT, () -> slotActive(pg, "slot_" + run), () -> "");

                // Phase 1: the first part of the activity (replayed from a file) with malformed records, engagement A.
                applyEngagement(pg, changesA);
                replay(activity.name(), part1, run + "-1");
                for (byte[] bad : Datasets.malformed().keySet()) {
                    kafka.send(new ProducerRecord<>(activity.name(), "bad".getBytes(StandardCharsets.UTF_8), bad));
                }
                kafka.flush();
                awaitTrue("first results", WAIT, () -> count(pg, "session_kpis") > 0
                        && !redisWindows(redis, prefix, ReferenceModel.leaderboardWindows(changesA).keySet()).isEmpty(), () -> "");

                // Kill 1, mid-stream: as soon as the second part shows in a sink, so the sinks hold output
                // of records after the last checkpoint, which the recovered job writes again. A job counts
                // as recovered once the JobManager has noticed the lost TaskManager (an exception in the
                // job's history) and every task runs again.
                int ingestFailures = flink.restarts(ingest);
                int processFailures = flink.restarts(process);
                applyEngagement(pg, changesB);
                replay(activity.name(), part2, run + "-2");
                Set<String> part2Users = new TreeSet<>();
                part2.forEach(e -> part2Users.add(e.user()));
                String part2Id = part2.get(part2.size() / 2).id();
                awaitTrue("part 2 arriving in Cassandra", WAIT, () -> cassandraRows(cassandra, part2Users,
                        List.of(LocalDate.parse("2025-07-24"))).stream().anyMatch(r -> r.contains("|" + part2Id + "|")), () -> "");
                killAndRestartTaskManager();
                awaitRecovered(ingest, ingestFailures, "ingest job after kill 1");
                awaitRecovered(process, processFailures, "process job after kill 1");
                // Kill 2.
                ingestFailures = flink.restarts(ingest);
                processFailures = flink.restarts(process);
                killAndRestartTaskManager();
                awaitRecovered(ingest, ingestFailures, "ingest job after kill 2");
                awaitRecovered(process, processFailures, "process job after kill 2");

                // The process job stopped with a savepoint and resumed from it.
                String savepoint = flink.stopWithSavepoint(process, servers.sharedDirectory("savepoints-" + run).toUri().toString(), WAIT);
                String resumed = flink.run(processJar, processArgs, savepoint);
                try {
                    awaitTrue("the resumed process job running", WAIT, () -> flink.allRunning(resumed), () -> "");
                    // Late records: once every window operator's watermark (restored from the savepoint) is past minute 15.
                    awaitTrue("watermark past minute 15", WAIT, () -> flink.minWatermark(resumed, WINDOW_VERTICES) >= T0 + 15 * MINUTE,
                            () -> "window watermarks by vertex " + flink.watermarks(resumed, WINDOW_VERTICES));
                    for (Event e : late) {
                        kafka.send(new ProducerRecord<>(activity.name(), e.user().getBytes(StandardCharsets.UTF_8),
                                new UserEventCodec().encodeJson(userEvent(e))));
                    }
                    for (int p = 0; p < 2; p++) { // a far later event in each partition closes every window
                        Event c = closers.get(p);
                        kafka.send(new ProducerRecord<>(activity.name(), p, c.user().getBytes(StandardCharsets.UTF_8),
                                new UserEventCodec().encodeJson(userEvent(c))));
                    }
                    kafka.flush();
                    applyEngagement(pg, List.of(engagementCloser));

                    verifyEverySink(run, prefix, onTime, late, closers, concat(changesA, changesB), engagementCloser, content,
                            pg, cassandra, redis, lake, enriched, lateTopic);
                    List<String> deadSeen = dead.awaitRecords(Datasets.malformed().size(), WAIT).stream()
                            .map(r -> DeadLetter.fromJson(r.value()).reason()).toList();
                    assertThat(deadSeen).containsExactlyInAnyOrderElementsOf(
                            Datasets.malformed().values().stream().map(RejectReason::name).toList());
                } finally {
                    flink.cancel(resumed);
                }
            } finally {
                cancelQuietly(ingest);
                cancelQuietly(process);
                cleanUp(run, prefix, onTime, cassandra, redis);
            }
        }
    }

    /**
     * Seed 004's lab scenario through the real Kafka and the real cluster: {@code user_A,1000},
     * {@code user_A,2000}, then an event more than 5 s later give two aggregated_counts rows.
     */
    @Test
    void theSeed004LabScenarioGivesTwoSessionWindows() throws Exception {
        String run = "lab" + UUID.randomUUID().toString().substring(0, 6);
        String user = run + "_user_A";
        try (ScratchDatabase db = ScratchDatabase.create(stack, "e2e_lab");
             ScratchTopic activity = ScratchTopic.create(stack, "e2e-lab", 1);
             KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(stack.kafkaBootstrap());
             Connection pg = db.connect()) {
            String job = flink.run(processJar, List.of("--kafka.bootstrap", stack.kafkaBootstrap(), "--kafka.activity-topic", activity.name(),
                    "--kafka.engagement-topic", activity.name(), "--kafka.group-id", run, "--kafka.transactional-id-prefix", run,
                    "--sinks", "postgres", "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                    "--postgres.database", db.name(), "--postgres.user", db.user(), "--checkpoint.interval", "2s"), null);
            try {
                awaitTrue("the process job running", WAIT, () -> flink.allRunning(job), () -> "");
                for (String line : List.of(user + ",1000", user + ",2000", user + ",9000", run + "_closer,300000")) {
                    kafka.send(new ProducerRecord<>(activity.name(), line.getBytes(StandardCharsets.UTF_8)));
                }
                kafka.flush();
                Set<String> expected = Set.of(user + ":1000|2|1970-01-01T00:00:07Z", user + ":9000|1|1970-01-01T00:00:14Z");
                awaitTrue("two aggregated_counts rows for user_A", WAIT, () -> userRows(pg, user).equals(expected),
                        () -> "rows " + userRows(pg, user));
            } finally {
                cancelQuietly(job);
            }
        }
    }

    private static Set<String> userRows(Connection pg, String user) {
        Set<String> rows = new TreeSet<>(postgresRows(pg, "aggregated_counts"));
        rows.removeIf(r -> !r.startsWith(user + ":"));
        return rows;
    }

    static void verifyEverySink(String run, String prefix, List<Event> onTime, List<Event> late, List<Event> closers,
                                        List<EngagementChange> changes, EngagementChange engagementCloser,
                                        Map<String, String[]> content, Connection pg, CqlSession cassandra, Jedis redis, Path lake,
                                        ScratchTopic enriched, ScratchTopic lateTopic) {
        // PostgreSQL: the five tables, every row.
        Map<String, Set<String>> tables = ReferenceModel.postgresTables(onTime);
        tables.forEach((table, expected) -> awaitTrue(table, WAIT, () -> postgresRows(pg, table).equals(expected),
                () -> difference(expected, postgresRows(pg, table))));

        // Raw sinks: every valid event once, late or not.
        List<Event> valid = concat(concat(onTime, late), closers);
        Set<String> raw = new TreeSet<>();
        valid.forEach(e -> raw.add(ReferenceModel.rawRow(e)));
        Set<String> users = new TreeSet<>();
        valid.forEach(e -> users.add(e.user()));
        List<LocalDate> days = List.of(LocalDate.parse("2025-07-24"));
        awaitTrue("Cassandra", WAIT, () -> cassandraRows(cassandra, users, days).equals(raw),
                () -> difference(raw, cassandraRows(cassandra, users, days)));
        awaitTrue("lake", WAIT, () -> lakeRows(lake).size() >= raw.size(), () -> difference(raw, lakeRows(lake)));
        assertThat(lakeRows(lake)).as("lake rows, each once").containsExactlyInAnyOrderElementsOf(raw);
        AvroSingleObjectCodec<EnrichedActivity> avro = new AvroSingleObjectCodec<>(EnrichedActivity.class);
        List<String> enrichedIds = enriched.awaitRecords(raw.size(), WAIT).stream()
                .map(r -> avro.decode(r.value()).value().getEvent().getEventId()).toList();
        assertThat(enrichedIds).as("enriched_activity, each once").containsExactlyInAnyOrderElementsOf(valid.stream().map(Event::id).toList());

        // Engagement: ClickHouse after collapsing, mock-external keys, Redis windows, leaderboard and content hashes.
        List<EngagementChange> all = concat(changes, List.of(engagementCloser));
        Set<String> expectedClickhouse = ReferenceModel.clickhouseRows(all, content);
        String where = "user_id LIKE '" + run + "-%'";
        awaitTrue("ClickHouse", WAIT, () -> clickhouseRows(stack.clickhouseUrl(), where).equals(expectedClickhouse),
                () -> difference(expectedClickhouse, clickhouseRows(stack.clickhouseUrl(), where)));
        Set<String> expectedKeys = ReferenceModel.lastValues(all).keySet();
        awaitTrue("mock-external keys", WAIT, () -> externalKeys(stack.mockExternalUrl(), run + "-").equals(expectedKeys),
                () -> difference(expectedKeys, externalKeys(stack.mockExternalUrl(), run + "-")));
        Map<Long, Map<String, Double>> windows = ReferenceModel.leaderboardWindows(changes);
        awaitTrue("Redis windows", WAIT, () -> redisWindows(redis, prefix, windows.keySet()).equals(windows),
                () -> windowDifferences(redisWindows(redis, prefix, windows.keySet()), windows));
        long lastEnd = ((TreeMap<Long, Map<String, Double>>) windows).lastKey();
        assertThat(leaderboard(redis, prefix + "leaderboard")).as("leaderboard = the latest closed window").isEqualTo(windows.get(lastEnd));
        for (Map.Entry<String, String[]> c : content.entrySet()) {
            assertThat(redis.hgetAll(prefix + "content:" + c.getKey())).isEqualTo(Map.of("title", c.getValue()[0], "content_type", c.getValue()[1]));
        }

        // Diagnostics: every late record once per operator it missed.
        List<String> expectedLate = new ArrayList<>();
        late.forEach(e -> ReferenceModel.operatorsOf(e).forEach(op -> expectedLate.add(op + " " + e.id())));
        List<String> lateSeen = lateTopic.awaitRecords(expectedLate.size(), WAIT).stream()
                .map(r -> LateEvent.fromJson(r.value())).map(l -> l.operator() + " " + l.eventId()).toList();
        assertThat(lateSeen).containsExactlyInAnyOrderElementsOf(expectedLate);
    }

    /** The test stack for a test that drives the launcher (local stack only; skipped otherwise), and the launcher on it. */
    static io.pulse.infra.LocalStack launcherOnTheTestStack() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("pulse.stack.provider", "local").equals("local"),
                "the launcher drives the local stack only");
        servers = TestStack.current();
        stack = servers.endpoints();
        flink = new FlinkRest(stack.flinkRest());
        return io.pulse.infra.LocalStack.shared();
    }

    // ------------------------------------------------------------------ data

    /** The ingest job's settings for one run: its scratch database and engagement topic, checkpoints every 2 s. */
    static List<String> ingestArgs(String run, ScratchDatabase db, ScratchTopic engagementTopic) {
        return List.of("--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                "--postgres.database", db.name(), "--postgres.user", db.user(), "--slot.name", "slot_" + run,
                "--publication.name", "pub_" + run, "--kafka.bootstrap", stack.kafkaBootstrap(), "--kafka.topic", engagementTopic.name(),
                "--kafka.transactional-id-prefix", "ingest-" + run, "--checkpoint.interval", "2s");
    }

    /** The process job's settings for one run: its scratch stores, topics and Redis prefix, checkpoints every 2 s. */
    static List<String> processArgs(String run, String prefix, ScratchDatabase db, ScratchTopic activity, ScratchTopic engagementTopic,
                                    ScratchTopic enriched, ScratchTopic lateTopic, ScratchTopic dead, Path lake, String... more) {
        List<String> args = new ArrayList<>(List.of("--kafka.bootstrap", stack.kafkaBootstrap(),
                "--kafka.activity-topic", activity.name(), "--kafka.engagement-topic", engagementTopic.name(),
                "--kafka.enriched-topic", enriched.name(), "--kafka.late-topic", lateTopic.name(),
                "--kafka.dead-letter-topic", dead.name(), "--kafka.group-id", "process-" + run,
                "--kafka.transactional-id-prefix", "process-" + run,
                "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                "--postgres.database", db.name(), "--postgres.user", db.user(),
                "--cassandra.host", stack.cassandraHost(), "--cassandra.port", Integer.toString(stack.cassandraPort()),
                "--cassandra.dc", stack.cassandraDatacenter(), "--redis.host", stack.redisHost(),
                "--redis.port", Integer.toString(stack.redisPort()), "--redis.key-prefix", prefix,
                "--clickhouse.url", stack.clickhouseUrl(), "--mock-external.url", stack.mockExternalUrl(),
                "--lake.dir", lake.toString(), "--checkpoint.interval", "2s"));
        args.addAll(List.of(more));
        return args;
    }

    /** The events in the order they arrive: each up to a minute after its event time (seeded). */
    static List<Event> arrivalOrder(List<Event> events, long seed) {
        Random jitter = new Random(seed);
        Map<String, Long> arrival = new TreeMap<>();
        events.forEach(e -> arrival.put(e.id(), e.time() + jitter.nextInt(60_000)));
        List<Event> order = new ArrayList<>(events);
        order.sort(Comparator.comparingLong(e -> arrival.get(e.id())));
        return order;
    }

    /** {@code n} content rows of a run, id to {title, content_type}, in insertion order. */
    static Map<String, String[]> content(String run, int n) {
        Map<String, String[]> content = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            content.put(UUID.randomUUID().toString(), new String[] {"Title " + i + " " + run, i % 2 == 0 ? "video" : "podcast"});
        }
        return content;
    }

    static List<Event> prefixed(List<Event> events, String run) {
        return events.stream().map(e -> new Event(run + e.id(), run + e.user(), e.type(), e.time(), e.device(), e.page())).toList();
    }

    /** Inserts in event-time order; some rows are updated or deleted right after (inside the watermark bound). */
    static List<EngagementChange> engagement(String run, List<String> contents, String missing, long from, long to, int seed) {
        Random random = new Random(seed);
        String[] types = {"comment", "complete", "like", "share", "view"};
        List<EngagementChange> changes = new ArrayList<>();
        long t = from;
        int n = 0;
        while ((t += 5_000 + random.nextInt(20_000)) < to) {
            String id = UUID.randomUUID().toString();
            String contentId = ++n % 9 == 0 ? missing : contents.get(random.nextInt(contents.size()));
            EngagementChange insert = new EngagementChange(id, contentId, run + "-u" + random.nextInt(5), types[random.nextInt(5)], t, false);
            changes.add(insert);
            int fate = random.nextInt(20);
            if (fate < 2) {
                changes.add(new EngagementChange(id, contentId, insert.user(), insert.type().equals("share") ? "like" : "share", t, false));
            } else if (fate == 2) {
                changes.add(new EngagementChange(id, null, null, null, 0, true));
            }
        }
        return changes;
    }

    static void insertContent(Connection pg, Map<String, String[]> content) throws Exception {
        try (PreparedStatement insert = pg.prepareStatement("INSERT INTO content (content_id, title, content_type, length_seconds) VALUES (?, ?, ?, 60)")) {
            for (Map.Entry<String, String[]> c : content.entrySet()) {
                insert.setObject(1, UUID.fromString(c.getKey()));
                insert.setString(2, c.getValue()[0]);
                insert.setString(3, c.getValue()[1]);
                insert.executeUpdate();
            }
        }
    }

    /** Writes the changes to engagement_events as a user's application would: insert, update, delete. */
    static void applyEngagement(Connection pg, List<EngagementChange> changes) throws Exception {
        try (PreparedStatement upsert = pg.prepareStatement("INSERT INTO engagement_events (event_id, content_id, user_id, event_type, "
                + "duration_ms, device, event_time) VALUES (?, ?, ?, ?, 1000, 'Web', ?) ON CONFLICT (event_id) DO UPDATE SET "
                + "content_id = EXCLUDED.content_id, user_id = EXCLUDED.user_id, event_type = EXCLUDED.event_type, event_time = EXCLUDED.event_time");
             PreparedStatement delete = pg.prepareStatement("DELETE FROM engagement_events WHERE event_id = ?")) {
            for (EngagementChange c : changes) {
                if (c.deleted()) {
                    delete.setObject(1, UUID.fromString(c.id()));
                    delete.executeUpdate();
                } else {
                    upsert.setObject(1, UUID.fromString(c.id()));
                    upsert.setObject(2, UUID.fromString(c.content()));
                    upsert.setString(3, c.user());
                    upsert.setString(4, c.type());
                    upsert.setTimestamp(5, new Timestamp(c.time()));
                    upsert.executeUpdate();
                }
            }
        }
    }

    /** Replays the events from a JSON-lines file with the producer's jar, as a user would ({@code ./pulse replay}). */
    static void replay(String topic, List<Event> events, String name) throws Exception {
        Path file = Files.createTempFile(name, ".jsonl");
        UserEventCodec codec = new UserEventCodec();
        List<String> lines = new ArrayList<>();
        for (Event e : events) {
            lines.add(new String(codec.encodeJson(userEvent(e)), StandardCharsets.UTF_8));
        }
        Files.write(file, lines);
        Process replay = new ProcessBuilder(javaBin(), "-jar", jar("producer", "producer-", "-all.jar").toString(), "replay",
                file.toString(), "--bootstrap", stack.kafkaBootstrap(), "--topic", topic).redirectErrorStream(true).start();
        String output = new String(replay.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(replay.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(replay.exitValue()).as("replay output: " + output).isZero();
        Files.delete(file);
    }

    static UserEvent userEvent(Event e) {
        return UserEvent.newBuilder().setEventId(e.id()).setUserId(e.user()).setEventType(e.type())
                .setEventTime(Instant.ofEpochMilli(e.time())).setDevice(e.device()).setPage(e.page()).build();
    }

    // ------------------------------------------------------------------ the cluster

    /** SIGKILL of the TaskManager process, then a new TaskManager, as an operator would restart it. */
    private static void killAndRestartTaskManager() throws Exception {
        servers.killTaskManager();
        servers.startTaskManager();
    }

    private static void awaitRecovered(String job, int failuresBefore, String what) {
        awaitTrue(what, WAIT, () -> flink.restarts(job) > failuresBefore && flink.allRunning(job),
                () -> "failures seen " + flink.restarts(job) + " (before: " + failuresBefore + "), all running " + flink.allRunning(job));
    }

    /**
     * Cancels {@code job} unless it has ended, and waits until it has: a job left behind restarts for the
     * rest of the suite once its scratch stores are dropped (a job the cluster no longer knows is fine).
     */
    static void cancelQuietly(String job) {
        if (job == null) {
            return;
        }
        if (flink == null) {
            throw new IllegalStateException("EndToEndITCase.flink is not set: the test class must set it before it submits jobs");
        }
        try {
            String state = flink.state(job);
            if (!state.equals("FINISHED") && !state.equals("CANCELED") && !state.equals("FAILED")) {
                flink.cancel(job);
            }
        } catch (IOException | InterruptedException e) {
            return; // unknown to the cluster
        }
        awaitTrue("job " + job + " cancelled", WAIT, () -> terminal(job), () -> "");
    }

    private static boolean terminal(String job) {
        try {
            String state = flink.state(job);
            return state.equals("CANCELED") || state.equals("FINISHED") || state.equals("FAILED");
        } catch (Exception e) {
            return true;
        }
    }

    static void cleanUp(String run, String prefix, List<Event> onTime, CqlSession cassandra, Jedis redis) {
        redis.keys(prefix + "*").forEach(redis::del);
        clickhouse(stack.clickhouseUrl(), "ALTER TABLE pulse.engagement_enriched DELETE WHERE user_id LIKE '" + run + "-%'");
        Set<String> users = new TreeSet<>();
        onTime.forEach(e -> users.add(e.user()));
        users.add(run + "u9"); // the late-only user
        users.add(run + "closer-0");
        users.add(run + "closer-1");
        cassandra.execute("DELETE FROM pulse.user_events WHERE user_id IN ? AND bucket_date = ?", new ArrayList<>(users),
                LocalDate.parse("2025-07-24"));
    }

    static boolean slotActive(Connection pg, String slot) {
        try (PreparedStatement st = pg.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, slot);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (Exception e) {
            return false;
        }
    }

    static long count(Connection pg, String table) {
        try (ResultSet rs = pg.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            return 0;
        }
    }

    static Path jar(String module, String prefix, String suffix) throws IOException {
        try (var files = Files.list(LocalStack.repoRoot().resolve(module).resolve("target"))) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(suffix))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no " + prefix + "*" + suffix + " in " + module
                            + "/target: build it first (./mvnw install -DskipTests)"));
        }
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
