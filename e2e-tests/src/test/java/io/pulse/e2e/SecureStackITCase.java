package io.pulse.e2e;

import static io.pulse.e2e.EndToEndITCase.WAIT;
import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.cassandraRows;
import static io.pulse.process.SinkContents.difference;
import static io.pulse.process.SinkContents.postgresRows;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.settings.Login;
import io.pulse.model.settings.PostgresConnection;
import io.pulse.model.settings.Tls;
import io.pulse.process.Datasets;
import io.pulse.process.ReferenceModel;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import io.pulse.process.SinkContents;
import io.pulse.process.sink.cassandra.CassandraEndpoint;
import io.pulse.process.sink.clickhouse.ClickHouseEndpoint;
import io.pulse.process.sink.redis.RedisEndpoint;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Both jobs against stores that ask for a login and speak TLS only: a private secure stack
 * ({@code PULSE_SECURE=1 ./pulse up}: Kafka SASL_SSL with PLAIN, PostgreSQL scram-sha-256 over
 * hostssl, Cassandra PasswordAuthenticator with client encryption, Redis ACL user on a TLS port,
 * ClickHouse users with passwords over HTTPS), the jobs on the test stack's Flink cluster submitted
 * with {@code ./pulse submit} and the secure stack's settings file. With the right logins every
 * store gets its rows; with a wrong one, or a plain client on a TLS port, the submission fails at
 * once with the setting to fix and no job is left running.
 */
class SecureStackITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;
    private static final Pattern JOB_ID = Pattern.compile("running as job ([0-9a-f]{32})");
    private static final String[] STORES = {"postgres", "redis", "clickhouse", "kafka", "cassandra"};
    private static LocalStack launcher;
    private static LocalStack secure;
    private static StackEndpoints ends;
    private static Path secrets;
    private static String password;

    @BeforeAll
    static void stacks() throws Exception {
        launcher = EndToEndITCase.launcherOnTheTestStack();
        secure = LocalStack.start(LocalStack.privateHome("secure"), LocalStack.freePortOffset(-25000), Map.of("PULSE_SECURE", "1"), STORES);
        ends = secure.endpoints();
        secrets = secure.home().resolve("secrets");
        password = Files.readString(secrets.resolve("password")).strip();
    }

    @AfterAll
    static void close() {
        if (secure != null) {
            secure.close();
        }
        if (EndToEndITCase.servers != null) {
            EndToEndITCase.servers.close();
        }
    }

    /** The secure stack's endpoints and the job's settings file there (logins, CA), as flags of ./pulse submit. */
    private static List<String> secureSettings(String job, String... more) {
        List<String> args = new ArrayList<>(List.of("--settings", secrets.resolve(job + ".settings").toString(),
                "--kafka.bootstrap", ends.kafkaBootstrap(), "--postgres.port", ends.get("PULSE_POSTGRES_PORT"), "--checkpoint.interval", "2s"));
        if (job.equals("process-job")) {
            args.addAll(List.of("--cassandra.port", Integer.toString(ends.cassandraPort()), "--redis.port", Integer.toString(ends.redisPort()),
                    "--clickhouse.url", ends.clickhouseUrl()));
        }
        args.addAll(List.of(more));
        return args;
    }

    private static LocalStack.LauncherResult submit(String job, List<String> settings) {
        List<String> args = new ArrayList<>(List.of("submit", job));
        args.addAll(settings);
        return launcher.launcher(new String[0], args.toArray(String[]::new));
    }

    private static String jobIdIn(LocalStack.LauncherResult result) {
        Matcher m = JOB_ID.matcher(result.output());
        assertThat(m.find()).as("a job id in:\n" + result.output()).isTrue();
        return m.group(1);
    }

    private static Tls tls(String store) {
        return new Tls(store, true, secrets.resolve("ca.pem").toString());
    }

    private static Connection postgres() throws Exception {
        return new PostgresConnection("127.0.0.1", Integer.parseInt(ends.get("PULSE_POSTGRES_PORT")), "pulse", "postgres", password,
                "verify-full", secrets.resolve("ca.pem").toString()).open();
    }

    @Test
    void bothJobsWriteEveryStoreWithItsLoginAndTls() throws Exception {
        String run = "sec" + UUID.randomUUID().toString().substring(0, 6);
        List<Event> onTime = EndToEndITCase.prefixed(Datasets.onTimeEvents(T0), run);
        List<Event> closers = List.of(new Event(run + "closer-0", run + "closer-0", "click", T0 + 180 * MINUTE, "Web", null),
                new Event(run + "closer-1", run + "closer-1", "click", T0 + 180 * MINUTE, "Web", null));
        Map<String, String[]> content = EndToEndITCase.content(run, 2);
        List<EngagementChange> changes = EndToEndITCase.engagement(run, List.copyOf(content.keySet()), UUID.randomUUID().toString(),
                T0, T0 + 15 * MINUTE, 7);
        String ingest = jobIdIn(submit("ingest-job", secureSettings("ingest-job")));
        String process = null;
        try {
            process = jobIdIn(submit("process-job", secureSettings("process-job", "--sinks", "postgres,cassandra,redis,clickhouse,kafka")));
            try (Connection pg = postgres()) {
                EndToEndITCase.insertContent(pg, content);
                EndToEndITCase.applyEngagement(pg, changes);
            }
            replayOnSecureStack(EndToEndITCase.concat(EndToEndITCase.arrivalOrder(onTime, 5), closers), run);

            try (Connection pg = postgres()) {
                ReferenceModel.postgresTables(onTime).forEach((table, expected) -> awaitTrue(table, WAIT,
                        () -> postgresRows(pg, table).equals(expected), () -> difference(expected, postgresRows(pg, table))));
            }
            List<Event> valid = EndToEndITCase.concat(onTime, closers);
            Set<String> raw = new TreeSet<>();
            Set<String> users = new TreeSet<>();
            valid.forEach(e -> {
                raw.add(ReferenceModel.rawRow(e));
                users.add(e.user());
            });
            CassandraEndpoint cassandraEndpoint = new CassandraEndpoint("127.0.0.1", ends.cassandraPort(), ends.cassandraDatacenter(),
                    new Login("pulse", password), tls("cassandra"));
            try (CqlSession cassandra = cassandraEndpoint.open()) {
                List<LocalDate> days = List.of(LocalDate.parse("2025-07-24"));
                awaitTrue("Cassandra", WAIT, () -> cassandraRows(cassandra, users, days).equals(raw),
                        () -> difference(raw, cassandraRows(cassandra, users, days)));
            }
            awaitTrue("enriched_activity", WAIT, () -> enrichedRecords() >= valid.size(), () -> enrichedRecords() + " records");
            assertThat(enrichedRecords()).as("enriched_activity, each event once").isEqualTo(valid.size());

            ClickHouseEndpoint clickhouse = new ClickHouseEndpoint(ends.clickhouseUrl(), new Login("pulse", password), tls("clickhouse"));
            Set<String> expectedClickhouse = ReferenceModel.clickhouseRows(changes, content);
            String where = "user_id LIKE '" + run + "-%'";
            awaitTrue("ClickHouse", WAIT, () -> SinkContents.clickhouseRows(clickhouse, where).equals(expectedClickhouse),
                    () -> difference(expectedClickhouse, SinkContents.clickhouseRows(clickhouse, where)));
            try (Jedis redis = new RedisEndpoint("127.0.0.1", ends.redisPort(), new Login("pulse", password), tls("redis")).open()) {
                for (Map.Entry<String, String[]> c : content.entrySet()) {
                    awaitTrue("Redis content " + c.getKey(), WAIT, () -> !redis.hgetAll("content:" + c.getKey()).isEmpty(), () -> "");
                    assertThat(redis.hgetAll("content:" + c.getKey())).isEqualTo(Map.of("title", c.getValue()[0], "content_type", c.getValue()[1]));
                }
            }
        } finally {
            EndToEndITCase.cancelQuietly(ingest);
            if (process != null) {
                EndToEndITCase.cancelQuietly(process);
            }
        }
    }

    @Test
    void aWrongLoginOrAPlainClientFailsTheSubmissionWithTheSettingToFix() throws Exception {
        String wrongJaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"pulse\" password=\"wrong\";";
        Map<List<String>, String> processCases = Map.of(
                List.of("--postgres.password", "wrong"), "check postgres.user and postgres.password",
                List.of("--postgres.sslmode", "disable"), "postgres.sslmode",
                List.of("--cassandra.password", "wrong"), "check cassandra.username and cassandra.password",
                List.of("--cassandra.tls", "false"), "cassandra.tls",
                List.of("--redis.password", "wrong"), "check redis.user and redis.password",
                List.of("--redis.tls", "false"), "redis.tls",
                List.of("--clickhouse.password", "wrong"), "check clickhouse.user and clickhouse.password",
                List.of("--clickhouse.tls.ca", "/etc/hostname"), "clickhouse.tls.ca",
                List.of("--kafka.properties.sasl.jaas.config", wrongJaas), "refused the connection's security");
        processCases.forEach((flags, fix) -> {
            LocalStack.LauncherResult result = submit("process-job", secureSettings("process-job", flags.toArray(String[]::new)));
            assertThat(result.exitCode()).as("./pulse submit process-job " + flags + ":\n" + result.output()).isNotZero();
            assertThat(result.output()).as("./pulse submit process-job " + flags).contains(fix).doesNotContain(password);
        });
        LocalStack.LauncherResult ingest = submit("ingest-job", secureSettings("ingest-job", "--postgres.password", "wrong"));
        assertThat(ingest.exitCode()).as(ingest.output()).isNotZero();
        assertThat(ingest.output()).contains("check postgres.user and postgres.password");
        assertThat(EndToEndITCase.flink.runningJobNames()).as("no job left running").doesNotContain("pulse-process", "pulse-ingest");
    }

    /** The events replayed with {@code ./pulse replay} on the secure stack: the producer with its Kafka client settings file. */
    private static void replayOnSecureStack(List<Event> events, String name) throws Exception {
        Path file = Files.createTempFile(name, ".jsonl");
        UserEventCodec codec = new UserEventCodec();
        List<String> lines = new ArrayList<>();
        for (Event e : events) {
            lines.add(new String(codec.encodeJson(EndToEndITCase.userEvent(e)), StandardCharsets.UTF_8));
        }
        Files.write(file, lines);
        LocalStack.LauncherResult replay = secure.launcher(new String[0], "replay", file.toString());
        assertThat(replay.exitCode()).as("./pulse replay on the secure stack:\n" + replay.output()).isZero();
        Files.delete(file);
    }

    /** Committed records on the secure stack's enriched_activity, read over SASL_SSL. */
    private static int enrichedRecords() {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(secrets.resolve("kafka-client.properties"))) {
            p.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ends.kafkaBootstrap());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(io.pulse.model.Topics.ENRICHED_ACTIVITY).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            int n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> ignored : consumer.poll(Duration.ofMillis(500))) {
                    n++;
                }
            }
            return n;
        }
    }
}
