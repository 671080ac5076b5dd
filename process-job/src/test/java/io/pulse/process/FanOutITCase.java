package io.pulse.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.mock.MockExternalServer;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.codec.WireFormat;
import java.io.IOException;
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
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

/**
 * The whole process job with every sink on, on a MiniCluster against the real servers of the test
 * stack (Kafka, PostgreSQL, Cassandra, Redis, ClickHouse), mock-external and a lake directory: a
 * fixed activity and engagement data set (with an update, a delete and a missing content row), and
 * what each store ends up holding compared with expectations computed here, independently of the
 * pipeline's code.
 */
class FanOutITCase {
    private static final long T0 = Instant.parse("2025-07-24T23:40:00Z").toEpochMilli(); // crosses midnight UTC
    private static final long MINUTE = 60_000;
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Map<String, Double> WEIGHTS = Map.of("view", 1.0, "like", 3.0, "comment", 4.0, "share", 5.0, "complete", 2.0);
    private static StackEndpoints stack;

    @TempDir Path temp;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    record Act(String id, String user, String type, long time, String device, String page) {}

    record Eng(String id, String content, String user, String type, long time, boolean deleted) {}

    @Test
    void everySinkHoldsExactlyWhatTheInputImplies() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Random random = new Random(5);
        List<Act> activity = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            activity.add(new Act("a-" + run + "-" + i, "fan-" + run + "-u" + random.nextInt(12), random.nextBoolean() ? "page_view" : "click",
                    T0 + random.nextInt(40) * MINUTE + random.nextInt(60_000), i % 3 == 0 ? "Web" : "iPhone", "/p" + random.nextInt(4)));
        }
        List<String> contents = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString(), UUID.randomUUID().toString());
        String missingContent = UUID.randomUUID().toString(); // no row in content: enriched with nulls
        List<Eng> changes = new ArrayList<>();
        String[] types = WEIGHTS.keySet().toArray(new String[0]);
        java.util.Arrays.sort(types);
        for (int i = 0; i < 120; i++) {
            String content = i % 10 == 9 ? missingContent : contents.get(random.nextInt(contents.size()));
            changes.add(new Eng(UUID.randomUUID().toString(), content, "fan-" + run + "-u" + random.nextInt(12),
                    types[random.nextInt(types.length)], T0 + random.nextInt(30) * MINUTE + random.nextInt(60_000), false));
        }
        Eng updated = changes.get(3);
        changes.add(new Eng(updated.id(), updated.content(), updated.user(), updated.type().equals("share") ? "view" : "share",
                updated.time(), false)); // an update of the row
        Eng deleted = changes.get(7);
        changes.add(new Eng(deleted.id(), null, null, null, 0, true)); // a delete of the row

        Path lake = temp.resolve("lake");
        String prefix = "fan-" + run + ":";
        try (ScratchDatabase db = ScratchDatabase.create(stack, "fanout_it");
             ScratchTopic activityTopic = ScratchTopic.create(stack, "activity-fan", 2);
             ScratchTopic engagementTopic = ScratchTopic.create(stack, "engagement-fan", 1);
             ScratchTopic enriched = ScratchTopic.create(stack, "enriched-fan", 2);
             ScratchTopic late = ScratchTopic.create(stack, "late-fan", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "dead-fan", 1);
             MockExternalServer external = MockExternalServer.startOnFreePort();
             KafkaProducer<byte[], byte[]> kafka = producer();
             CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                     .withLocalDatacenter(stack.cassandraDatacenter()).build();
             Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            Map<String, String[]> contentRows = new LinkedHashMap<>();
            try (Connection c = db.connect(); PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO content (content_id, title, content_type, length_seconds) VALUES (?, ?, ?, ?)")) {
                int n = 0;
                for (String id : contents) {
                    String[] row = {"Title " + (++n) + " " + run, n % 2 == 0 ? "video" : "article"};
                    contentRows.put(id, row);
                    insert.setObject(1, UUID.fromString(id));
                    insert.setString(2, row[0]);
                    insert.setString(3, row[1]);
                    insert.setInt(4, 60 * n);
                    insert.executeUpdate();
                }
            }
            for (Act a : activity) {
                kafka.send(new ProducerRecord<>(activityTopic.name(), a.user().getBytes(StandardCharsets.UTF_8),
                        new UserEventCodec().encode(userEvent(a), WireFormat.AVRO)));
            }
            AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
            for (Eng e : changes) {
                kafka.send(new ProducerRecord<>(engagementTopic.name(), e.id().getBytes(StandardCharsets.UTF_8),
                        e.deleted() ? null : avro.encode(engagementEvent(e))));
            }
            // Far later events move both watermarks past every window of the data set.
            long closer = T0 + 300 * MINUTE;
            for (int p = 0; p < 2; p++) {
                kafka.send(new ProducerRecord<>(activityTopic.name(), p, null, new UserEventCodec().encode(
                        userEvent(new Act("closer-" + run + "-" + p, "fan-" + run + "-closer", "click", closer, "Web", null)), WireFormat.JSON)));
            }
            Eng closerEngagement = new Eng(UUID.randomUUID().toString(), missingContent, "fan-" + run + "-closer", "view", closer, false);
            kafka.send(new ProducerRecord<>(engagementTopic.name(), closerEngagement.id().getBytes(StandardCharsets.UTF_8),
                    avro.encode(engagementEvent(closerEngagement))));
            kafka.flush();

            ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", stack.kafkaBootstrap(),
                    "--kafka.activity-topic", activityTopic.name(), "--kafka.engagement-topic", engagementTopic.name(),
                    "--kafka.enriched-topic", enriched.name(), "--kafka.late-topic", late.name(),
                    "--kafka.dead-letter-topic", dead.name(), "--kafka.group-id", "fan-" + run,
                    "--kafka.transactional-id-prefix", "fan-" + run,
                    "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                    "--postgres.database", db.name(), "--postgres.user", db.user(),
                    "--cassandra.host", stack.cassandraHost(), "--cassandra.port", Integer.toString(stack.cassandraPort()),
                    "--cassandra.dc", stack.cassandraDatacenter(),
                    "--redis.host", stack.redisHost(), "--redis.port", Integer.toString(stack.redisPort()), "--redis.key-prefix", prefix,
                    "--clickhouse.url", stack.clickhouseUrl(), "--mock-external.url", "http://127.0.0.1:" + external.port(),
                    "--lake.dir", lake.toString(), "--checkpoint.interval", "1s",
                    "--checkpoint.dir", temp.resolve("checkpoints").toUri().toString());
            JobClient job = start(settings);
            try {
                // --- expectations, computed here ---
                List<Act> allActivity = new ArrayList<>(activity);
                for (int p = 0; p < 2; p++) {
                    allActivity.add(new Act("closer-" + run + "-" + p, "fan-" + run + "-closer", "click", closer, "Web", null));
                }
                Set<String> expectedRaw = new TreeSet<>();
                allActivity.forEach(a -> expectedRaw.add(raw(a)));

                Map<String, Eng> current = new LinkedHashMap<>(); // event_id -> latest value
                Map<String, Eng> lastValue = new LinkedHashMap<>(); // event_id -> latest non-deleted value
                for (Eng e : changes) {
                    if (e.deleted()) {
                        current.remove(e.id());
                    } else {
                        current.put(e.id(), e);
                        lastValue.put(e.id(), e);
                    }
                }
                lastValue.put(closerEngagement.id(), closerEngagement);
                Set<String> expectedClickhouse = new TreeSet<>();
                lastValue.values().forEach(e -> expectedClickhouse.add(clickhouseRow(e, contentRows.get(e.content()))));

                Map<Long, Map<String, Double>> expectedWindows = new TreeMap<>(); // window end -> content -> score
                for (Eng e : current.values()) {
                    for (long end = e.time() - Math.floorMod(e.time(), MINUTE) + MINUTE; end <= e.time() + 10 * MINUTE; end += MINUTE) {
                        expectedWindows.computeIfAbsent(end, k -> new TreeMap<>()).merge(e.content(), WEIGHTS.get(e.type()), Double::sum);
                    }
                }
                long lastClosedEnd = expectedWindows.keySet().stream().max(Long::compare).orElseThrow();

                // --- Cassandra, lake, enriched_activity: every valid event, once ---
                Set<String> users = new TreeSet<>();
                allActivity.forEach(a -> users.add(a.user()));
                awaitTrue("Cassandra rows", () -> cassandraRows(cassandra, users).size() >= expectedRaw.size(),
                        () -> cassandraRows(cassandra, users).size() + " of " + expectedRaw.size());
                assertThat(cassandraRows(cassandra, users)).isEqualTo(expectedRaw);

                awaitTrue("lake rows", () -> lakeRows(lake).size() >= expectedRaw.size(), () -> lakeRows(lake).size() + " of " + expectedRaw.size());
                assertThat(lakeRows(lake)).containsExactlyInAnyOrderElementsOf(expectedRaw); // a list: a duplicate would show
                assertThat(lakeDirectories(lake)).containsExactlyInAnyOrder("event_date=2025-07-24", "event_date=2025-07-25");

                AvroSingleObjectCodec<io.pulse.model.avro.EnrichedActivity> enrichedAvro =
                        new AvroSingleObjectCodec<>(io.pulse.model.avro.EnrichedActivity.class);
                List<String> enrichedIds = enriched.awaitRecords(expectedRaw.size(), WAIT).stream()
                        .map(r -> enrichedAvro.decode(r.value()).value()).peek(e -> assertThat(e.getEventDate())
                                .isEqualTo(Instant.ofEpochMilli(e.getEvent().getEventTime().toEpochMilli()).atZone(ZoneOffset.UTC)
                                        .toLocalDate().toString()))
                        .map(e -> e.getEvent().getEventId()).toList();
                assertThat(enrichedIds).containsExactlyInAnyOrderElementsOf(allActivity.stream().map(Act::id).toList());

                // --- ClickHouse: the last value of every engagement event, titles from the lookup ---
                awaitTrue("ClickHouse rows", () -> clickhouseRows(run).equals(expectedClickhouse),
                        () -> "rows " + clickhouseRows(run).size() + " of " + expectedClickhouse.size());

                // --- HTTP: every event delivered by key ---
                Set<String> expectedKeys = new TreeSet<>(lastValue.keySet());
                awaitTrue("mock-external keys", () -> externalKeys(external).equals(expectedKeys),
                        () -> externalKeys(external).size() + " of " + expectedKeys.size() + " keys");

                // --- Redis: every closed window whole, the leaderboard = the latest one, content hashes ---
                awaitTrue("Redis windows", () -> redisWindows(redis, prefix, expectedWindows.keySet()).equals(expectedWindows),
                        () -> windowDifferences(redisWindows(redis, prefix, expectedWindows.keySet()), expectedWindows));
                assertThat(leaderboard(redis, prefix + "leaderboard")).isEqualTo(expectedWindows.get(lastClosedEnd));
                for (Map.Entry<String, String[]> c : contentRows.entrySet()) {
                    if (current.values().stream().anyMatch(e -> e.content().equals(c.getKey()))
                            || lastValue.values().stream().anyMatch(e -> c.getKey().equals(e.content()))) {
                        assertThat(redis.hgetAll(prefix + "content:" + c.getKey()))
                                .isEqualTo(Map.of("title", c.getValue()[0], "content_type", c.getValue()[1]));
                    }
                }
                assertThat(redis.exists(prefix + "content:" + missingContent)).isFalse();
                assertThat(dead.readAll()).isEmpty();
            } finally {
                job.cancel().get();
                redis.keys(prefix + "*").forEach(redis::del);
                cassandra.execute("DELETE FROM pulse.user_events WHERE user_id IN ? AND bucket_date IN ?",
                        Stream.concat(activity.stream().map(Act::user), Stream.of("fan-" + run + "-closer")).distinct().toList(),
                        List.of(java.time.LocalDate.parse("2025-07-24"), java.time.LocalDate.parse("2025-07-25")));
                clickhouse("ALTER TABLE pulse.engagement_enriched DELETE WHERE user_id LIKE 'fan-" + run + "-%'");
            }
        }
    }

    private static JobClient start(ProcessSettings settings) throws Exception {
        Configuration conf = new Configuration();
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.port", "0");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        ProcessJob.configure(env, settings);
        ProcessJob.pipeline(settings).build(env);
        return env.executeAsync("fan-out-it");
    }

    static UserEvent userEvent(Act a) {
        return UserEvent.newBuilder().setEventId(a.id()).setUserId(a.user()).setEventType(a.type())
                .setEventTime(Instant.ofEpochMilli(a.time())).setDevice(a.device()).setPage(a.page()).build();
    }

    static EngagementEvent engagementEvent(Eng e) {
        return EngagementEvent.newBuilder().setEventId(e.id()).setContentId(e.content()).setUserId(e.user())
                .setEventType(e.type()).setDurationMs(1000).setDevice("Web").setEventTime(Instant.ofEpochMilli(e.time()))
                .setOp("c").build();
    }

    static String raw(Act a) {
        return String.join("|", a.user(), Instant.ofEpochMilli(a.time()).atZone(ZoneOffset.UTC).toLocalDate().toString(),
                Instant.ofEpochMilli(a.time()).toString(), a.type(), a.id(), String.valueOf(a.device()), String.valueOf(a.page()));
    }

    static String clickhouseRow(Eng e, String[] content) {
        return String.join("|", e.id(), Long.toString(e.time() / 1000), e.user(), e.type(), e.content(),
                content == null ? "null" : content[0], content == null ? "null" : content[1], String.valueOf(WEIGHTS.get(e.type())));
    }

    static Set<String> cassandraRows(CqlSession cassandra, Set<String> users) {
        Set<String> rows = new TreeSet<>();
        for (String user : users) {
            for (String day : List.of("2025-07-24", "2025-07-25")) {
                for (Row r : cassandra.execute("SELECT user_id, bucket_date, event_time, event_type, event_id, device, page "
                        + "FROM pulse.user_events WHERE user_id = ? AND bucket_date = ?", user, java.time.LocalDate.parse(day))) {
                    rows.add(String.join("|", r.getString(0), r.getLocalDate(1).toString(), r.getInstant(2).toString(),
                            r.getString(3), r.getString(4), String.valueOf(r.getString(5)), String.valueOf(r.getString(6))));
                }
            }
        }
        return rows;
    }

    static List<String> lakeRows(Path lake) {
        List<String> rows = new ArrayList<>();
        if (!Files.isDirectory(lake)) {
            return rows;
        }
        try (Stream<Path> files = Files.walk(lake)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".parquet")
                    && !f.getFileName().toString().startsWith(".")).toList()) {
                try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file))
                        .withDataModel(GenericData.get()).build()) {
                    for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
                        long time = (Long) r.get("event_time");
                        String date = file.getParent().getFileName().toString().substring("event_date=".length());
                        assertThat(date).isEqualTo(Instant.ofEpochMilli(time).atZone(ZoneOffset.UTC).toLocalDate().toString());
                        rows.add(String.join("|", r.get("user_id").toString(), date, Instant.ofEpochMilli(time).toString(),
                                r.get("event_type").toString(), r.get("event_id").toString(), String.valueOf(r.get("device")),
                                String.valueOf(r.get("page"))));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the lake at " + lake, e);
        }
        return rows;
    }

    static Set<String> lakeDirectories(Path lake) throws IOException {
        try (Stream<Path> dirs = Files.list(lake)) {
            return new TreeSet<>(dirs.map(d -> d.getFileName().toString()).toList());
        }
    }

    static Set<String> clickhouseRows(String run) {
        Set<String> rows = new TreeSet<>();
        String tsv = clickhouse("SELECT event_id, toUnixTimestamp(event_time), user_id, event_type, content_id, title, content_type, score "
                + "FROM pulse.engagement_enriched FINAL WHERE user_id LIKE 'fan-" + run + "-%' FORMAT TabSeparated");
        for (String line : tsv.split("\n")) {
            if (!line.isBlank()) {
                String[] c = line.split("\t", -1);
                for (int i = 0; i < c.length; i++) {
                    c[i] = c[i].equals("\\N") ? "null" : c[i];
                }
                c[c.length - 1] = String.valueOf(Double.parseDouble(c[c.length - 1]));
                rows.add(String.join("|", c));
            }
        }
        return rows;
    }

    static String clickhouse(String sql) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.clickhouseUrl()
                    + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8))).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse: " + response.body());
            }
            return response.body();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static Set<String> externalKeys(MockExternalServer external) {
        Set<String> keys = new TreeSet<>();
        for (JsonNode e : external.ledger().events()) {
            keys.add(e.get("event_id").asText());
        }
        return keys;
    }

    static Map<Long, Map<String, Double>> redisWindows(Jedis redis, String prefix, Set<Long> ends) {
        Map<Long, Map<String, Double>> windows = new TreeMap<>();
        for (long end : ends) {
            Map<String, Double> w = leaderboard(redis, prefix + "leaderboard:" + Instant.ofEpochMilli(end));
            if (!w.isEmpty()) {
                windows.put(end, w);
            }
        }
        return windows;
    }

    static String windowDifferences(Map<Long, Map<String, Double>> actual, Map<Long, Map<String, Double>> expected) {
        StringBuilder out = new StringBuilder("windows " + actual.size() + " of " + expected.size());
        expected.forEach((end, scores) -> {
            if (!scores.equals(actual.get(end)) && out.length() < 600) {
                out.append("; window ending ").append(Instant.ofEpochMilli(end)).append(": expected ").append(scores)
                        .append(", got ").append(actual.get(end));
            }
        });
        return out.toString();
    }

    static Map<String, Double> leaderboard(Jedis redis, String key) {
        Map<String, Double> scores = new TreeMap<>();
        for (Tuple t : redis.zrangeWithScores(key, 0, -1)) {
            scores.put(t.getElement(), t.getScore());
        }
        return scores;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put("bootstrap.servers", stack.kafkaBootstrap());
        props.put("enable.idempotence", "true");
        props.put("acks", "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static void awaitTrue(String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waiting for " + what + " within " + WAIT + " failed; " + state.get());
            }
            try {
                Thread.sleep(250); // between polls; the condition decides when the wait ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
