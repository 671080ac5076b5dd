package io.pulse.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.ingest.pipeline.IngestPipeline;
import io.pulse.ingest.sink.EngagementKafkaSink;
import io.pulse.ingest.source.PostgresPreflight;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest pipeline on a MiniCluster against the real PostgreSQL and Kafka of the test stack:
 * snapshot, then inserts, updates and deletes, a stop with savepoint, changes while stopped, and a
 * restart; the committed topic must hold each change exactly once, in WAL order.
 */
class IngestJobITCase {
    private static final Instant NOON = Instant.parse("2025-07-24T12:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static StackEndpoints stack;
    private final AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);

    @TempDir Path savepoints;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    private static UUID id(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void snapshotThenChangesArriveExactlyOnceAcrossAStopAndRestartFromSavepoint() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        try (ScratchDatabase db = ScratchDatabase.create(stack, "ingest_it");
             ScratchTopic topic = ScratchTopic.create(stack, "engagement-it", 1);
             Connection sql = db.connect()) {
            for (String e : List.of("e1", "e2", "e3", "e4", "e5")) {
                insert(sql, e, "view");
            }
            IngestSettings settings = settings(db, topic, suffix);

            JobClient job = start(settings, null);
            List<ConsumerRecord<byte[], byte[]>> snapshot = awaitRecords(topic, r -> r.size() >= 5);
            assertThat(ops(snapshot)).containsOnly("r");
            assertThat(keys(snapshot)).containsExactlyInAnyOrder(ids("e1", "e2", "e3", "e4", "e5"));

            insert(sql, "e6", "like");
            insert(sql, "e7", "share");
            update(sql, "e1", "complete", 60_000);
            delete(sql, "e2");
            awaitRecords(topic, r -> r.size() >= 9);

            String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            insert(sql, "e8", "comment");
            update(sql, "e3", "like", null);
            delete(sql, "e4");

            JobClient resumed = start(settings, savepoint);
            try {
                insert(sql, "e9", "view");
                // One partition: once e9 is there, every change before it is final in the log.
                List<ConsumerRecord<byte[], byte[]>> all = awaitRecords(topic,
                        r -> keys(r).contains(id("e9").toString()));
                List<String> afterSnapshot = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : all.subList(5, all.size())) {
                    afterSnapshot.add(describe(r));
                }
                assertThat(afterSnapshot).containsExactly(
                        "c " + id("e6") + " like",
                        "c " + id("e7") + " share",
                        "u " + id("e1") + " complete 60000",
                        "tombstone " + id("e2"),
                        "c " + id("e8") + " comment",
                        "u " + id("e3") + " like",
                        "tombstone " + id("e4"),
                        "c " + id("e9") + " view");
            } finally {
                cancelAndWait(resumed);
            }
        }
    }

    /**
     * A TRUNCATE of engagement_events and a logical decoding message (pg_logical_emit_message, as
     * outbox libraries write) in the WAL: neither is a row change the topic carries, and the job goes
     * on. With Flink CDC 3.5 (Debezium 1.9) neither reaches the row mapper; the mapper skips unknown
     * kinds of change anyway, so a connector that passes them on cannot make the job fail on the same
     * LSN after every restart.
     */
    @Test
    void aTruncateAndALogicalMessageInTheWalAreSkippedAndTheJobGoesOn() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        try (ScratchDatabase db = ScratchDatabase.create(stack, "ingest_skip");
             ScratchTopic topic = ScratchTopic.create(stack, "engagement-skip", 1);
             Connection sql = db.connect()) {
            insert(sql, "s1", "view");
            JobClient job = start(settings(db, topic, suffix), null);
            try {
                awaitRecords(topic, r -> r.size() >= 1);
                try (var st = sql.createStatement()) {
                    st.execute("SELECT pg_logical_emit_message(true, 'outbox', 'not a row')");
                    st.execute("SELECT pg_logical_emit_message(false, 'outbox', 'not a row either')");
                    st.execute("TRUNCATE engagement_events");
                }
                insert(sql, "s2", "like");
                List<ConsumerRecord<byte[], byte[]>> all = awaitRecords(topic, r -> keys(r).contains(id("s2").toString()));
                assertThat(all.stream().map(this::describe).toList()).containsExactly("r " + id("s1") + " view", "c " + id("s2") + " like");
                assertThat(job.getJobStatus().get()).isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
            } finally {
                cancelAndWait(job);
            }
        }
    }

    @Test
    void theJobRunsAsTheRoleOfThePostgresRoleDdl() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String role = "pulse_it_" + suffix;
        try {
            try (ScratchDatabase db = ScratchDatabase.create(stack, "ingest_role");
                 ScratchTopic topic = ScratchTopic.create(stack, "engagement-role", 1);
                 Connection sql = db.connect()) {
                // What psql -v role=... -v password=... -v database=... does with the file's variables.
                String ddl = java.nio.file.Files.readString(io.pulse.infra.LocalStack.repoRoot().resolve("infra/ddl/postgres-role.sql"))
                        .replace(":\"role\"", "\"" + role + "\"").replace(":'password'", "'it-" + suffix + "'")
                        .replace(":\"database\"", "\"" + db.name() + "\"");
                try (var st = sql.createStatement()) {
                    st.execute(ddl);
                }
                insert(sql, "r1", "view");
                JobClient job = start(settings(db, topic, suffix, "--postgres.user", role, "--postgres.password", "it-" + suffix), null);
                try {
                    awaitRecords(topic, r -> keys(r).contains(id("r1").toString()));
                    insert(sql, "r2", "like");
                    List<ConsumerRecord<byte[], byte[]>> all = awaitRecords(topic, r -> keys(r).contains(id("r2").toString()));
                    assertThat(all.stream().map(this::describe).toList()).containsExactly("r " + id("r1") + " view", "c " + id("r2") + " like");
                } finally {
                    cancelAndWait(job);
                }
            }
        } finally {
            try (Connection admin = java.sql.DriverManager.getConnection("jdbc:postgresql://" + stack.get("PULSE_POSTGRES_HOST") + ":"
                    + stack.port("PULSE_POSTGRES_PORT") + "/postgres", stack.postgresUser(), ""); var st = admin.createStatement()) {
                st.execute("DROP ROLE IF EXISTS \"" + role + "\"");
            }
        }
    }

    @Test
    void serverWithoutLogicalWalFailsAtOnceWithTheFix() {
        try (LocalStack replicaOnly = LocalStack.start(LocalStack.privateHome("wal-replica-"), LocalStack.freePortOffset(-30000),
                java.util.Map.of("PULSE_PG_WAL_LEVEL", "replica"), "postgres")) {
            StackEndpoints pg = replicaOnly.endpoints();
            IngestSettings settings = IngestSettings.load("--postgres.host", pg.get("PULSE_POSTGRES_HOST"),
                    "--postgres.port", pg.get("PULSE_POSTGRES_PORT"));
            assertThatThrownBy(() -> PostgresPreflight.check(settings))
                    .hasMessageContaining("wal_level=replica")
                    .hasMessageContaining("ALTER SYSTEM SET wal_level = logical");
        }
    }

    @Test
    void unreachableServerFailsAtOnceWithTheFix() {
        IngestSettings wrong = IngestSettings.load("--postgres.port", "1", "--postgres.host", "127.0.0.1");
        assertThatThrownBy(() -> PostgresPreflight.check(wrong))
                .hasMessageContaining("is not reachable").hasMessageContaining("./pulse up");
    }

    private static void cancelAndWait(JobClient job) throws Exception {
        job.cancel().get();
        // The result future completes (exceptionally, for a cancel) once the job has ended; the local
        // cluster shuts down right after, so its status cannot be polled then.
        try {
            job.getJobExecutionResult().get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException cancelled) {
            // expected: the job was cancelled
        }
    }

    /** The job's settings for a scratch database and topic; {@code overrides} (later flags win) last. */
    private IngestSettings settings(ScratchDatabase db, ScratchTopic topic, String suffix, String... overrides) {
        List<String> args = new ArrayList<>(List.of("--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                "--postgres.database", db.name(), "--postgres.user", db.user(),
                "--slot.name", "it_slot_" + suffix, "--publication.name", "it_pub_" + suffix,
                "--kafka.bootstrap", stack.kafkaBootstrap(), "--kafka.topic", topic.name(),
                "--kafka.transactional-id-prefix", "ingest-it-" + suffix, "--checkpoint.interval", "1s"));
        args.addAll(List.of(overrides));
        return IngestSettings.load(args.toArray(String[]::new));
    }

    private static JobClient start(IngestSettings settings, String savepoint) throws Exception {
        PostgresPreflight.check(settings);
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(SavepointConfigOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, settings);
        new IngestPipeline(IngestJob.source(settings), EngagementKafkaSink.create(settings.kafka, settings.topic,
                settings.transactionalIdPrefix)).build(env);
        return env.executeAsync("ingest-it");
    }

    private List<ConsumerRecord<byte[], byte[]>> awaitRecords(ScratchTopic topic,
                                                            Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<ConsumerRecord<byte[], byte[]>> records = topic.readAll();
        while (!done.test(records)) {
            assertThat(System.nanoTime()).as("records in %s within %s; have %d", topic.name(), WAIT, records.size())
                    .isLessThan(deadline);
            records = topic.readAll();
        }
        return records;
    }

    private String describe(ConsumerRecord<byte[], byte[]> r) {
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
            return "tombstone " + key;
        }
        EngagementEvent e = avro.decode(r.value()).value();
        return e.getOp() + " " + key + " " + e.getEventType() + (e.getOp().equals("u") && e.getDurationMs() != null ? " " + e.getDurationMs() : "");
    }

    private List<String> ops(List<ConsumerRecord<byte[], byte[]>> records) {
        List<String> ops = new ArrayList<>();
        records.forEach(r -> ops.add(avro.decode(r.value()).value().getOp()));
        return ops;
    }

    private static Set<String> keys(List<ConsumerRecord<byte[], byte[]>> records) {
        Set<String> keys = new HashSet<>();
        records.forEach(r -> keys.add(new String(r.key(), StandardCharsets.UTF_8)));
        return keys;
    }

    private static String[] ids(String... names) {
        return java.util.Arrays.stream(names).map(n -> id(n).toString()).toArray(String[]::new);
    }

    private static void insert(Connection sql, String name, String type) throws Exception {
        try (PreparedStatement st = sql.prepareStatement("INSERT INTO engagement_events (event_id, content_id, user_id, "
                + "event_type, duration_ms, device, event_time) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            st.setObject(1, id(name));
            st.setObject(2, id("content-1"));
            st.setString(3, "user_A");
            st.setString(4, type);
            st.setInt(5, 1000);
            st.setString(6, "Web");
            st.setTimestamp(7, Timestamp.from(NOON));
            st.executeUpdate();
        }
    }

    private static void update(Connection sql, String name, String type, Integer duration) throws Exception {
        try (PreparedStatement st = sql.prepareStatement("UPDATE engagement_events SET event_type = ?, duration_ms = ? WHERE event_id = ?")) {
            st.setString(1, type);
            st.setObject(2, duration);
            st.setObject(3, id(name));
            st.executeUpdate();
        }
    }

    private static void delete(Connection sql, String name) throws Exception {
        try (PreparedStatement st = sql.prepareStatement("DELETE FROM engagement_events WHERE event_id = ?")) {
            st.setObject(1, id(name));
            st.executeUpdate();
        }
    }
}
