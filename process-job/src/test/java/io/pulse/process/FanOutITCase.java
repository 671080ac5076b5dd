package io.pulse.process;

import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.cassandraRows;
import static io.pulse.process.SinkContents.clickhouse;
import static io.pulse.process.SinkContents.clickhouseRows;
import static io.pulse.process.SinkContents.externalKeys;
import static io.pulse.process.SinkContents.lakeDirectories;
import static io.pulse.process.SinkContents.lakeRows;
import static io.pulse.process.SinkContents.leaderboard;
import static io.pulse.process.SinkContents.redisWindows;
import static io.pulse.process.SinkContents.windowDifferences;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import redis.clients.jedis.Jedis;

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
    private static final Map<String, Double> WEIGHTS = ReferenceModel.WEIGHTS;
    private static final List<java.time.LocalDate> DAYS = List.of(java.time.LocalDate.parse("2025-07-24"), java.time.LocalDate.parse("2025-07-25"));
    private static StackEndpoints stack;

    @TempDir Path temp;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    @Test
    void everySinkHoldsExactlyWhatTheInputImplies() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Random random = new Random(5);
        List<Event> activity = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            activity.add(new Event("a-" + run + "-" + i, "fan-" + run + "-u" + random.nextInt(12), random.nextBoolean() ? "page_view" : "click",
                    T0 + random.nextInt(40) * MINUTE + random.nextInt(60_000), i % 3 == 0 ? "Web" : "iPhone", "/p" + random.nextInt(4)));
        }
        List<String> contents = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString(), UUID.randomUUID().toString());
        String missingContent = UUID.randomUUID().toString(); // no row in content: enriched with nulls
        List<EngagementChange> changes = new ArrayList<>();
        String[] types = WEIGHTS.keySet().toArray(new String[0]);
        java.util.Arrays.sort(types);
        for (int i = 0; i < 120; i++) {
            String content = i % 10 == 9 ? missingContent : contents.get(random.nextInt(contents.size()));
            changes.add(new EngagementChange(UUID.randomUUID().toString(), content, "fan-" + run + "-u" + random.nextInt(12),
                    types[random.nextInt(types.length)], T0 + random.nextInt(30) * MINUTE + random.nextInt(60_000), false));
        }
        EngagementChange updated = changes.get(3);
        changes.add(new EngagementChange(updated.id(), updated.content(), updated.user(), updated.type().equals("share") ? "view" : "share",
                updated.time(), false)); // an update of the row
        EngagementChange deleted = changes.get(7);
        changes.add(new EngagementChange(deleted.id(), null, null, null, 0, true)); // a delete of the row

        Path lake = temp.resolve("lake");
        String prefix = "fan-" + run + ":";
        try (ScratchDatabase db = ScratchDatabase.create(stack, "fanout_it");
             ScratchTopic activityTopic = ScratchTopic.create(stack, "activity-fan", 2);
             ScratchTopic engagementTopic = ScratchTopic.create(stack, "engagement-fan", 1);
             ScratchTopic enriched = ScratchTopic.create(stack, "enriched-fan", 2);
             ScratchTopic late = ScratchTopic.create(stack, "late-fan", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "dead-fan", 1);
             MockExternalServer external = MockExternalServer.startOnFreePort();
             KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(stack.kafkaBootstrap());
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
            for (Event a : activity) {
                kafka.send(new ProducerRecord<>(activityTopic.name(), a.user().getBytes(StandardCharsets.UTF_8),
                        new UserEventCodec().encode(userEvent(a), WireFormat.AVRO)));
            }
            AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
            for (EngagementChange e : changes) {
                kafka.send(new ProducerRecord<>(engagementTopic.name(), e.id().getBytes(StandardCharsets.UTF_8),
                        e.deleted() ? null : avro.encode(engagementEvent(e))));
            }
            // Far later events move both watermarks past every window of the data set.
            long closer = T0 + 300 * MINUTE;
            for (int p = 0; p < 2; p++) {
                kafka.send(new ProducerRecord<>(activityTopic.name(), p, null, new UserEventCodec().encode(
                        userEvent(new Event("closer-" + run + "-" + p, "fan-" + run + "-closer", "click", closer, "Web", null)), WireFormat.JSON)));
            }
            EngagementChange closerEngagement = new EngagementChange(UUID.randomUUID().toString(), missingContent, "fan-" + run + "-closer", "view", closer, false);
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
            JobClient job = TestJobs.startProcessJob(settings, null, 0, "fan-out-it");
            try {
                // --- expectations, computed here ---
                List<Event> allActivity = new ArrayList<>(activity);
                for (int p = 0; p < 2; p++) {
                    allActivity.add(new Event("closer-" + run + "-" + p, "fan-" + run + "-closer", "click", closer, "Web", null));
                }
                Set<String> expectedRaw = new TreeSet<>();
                allActivity.forEach(a -> expectedRaw.add(ReferenceModel.rawRow(a)));
                List<EngagementChange> allChanges = new ArrayList<>(changes);
                allChanges.add(closerEngagement);
                Set<String> expectedClickhouse = ReferenceModel.clickhouseRows(allChanges, contentRows);
                Map<String, EngagementChange> current = ReferenceModel.currentRows(changes);
                Map<String, EngagementChange> lastValue = ReferenceModel.lastValues(allChanges);
                Map<Long, Map<String, Double>> expectedWindows = ReferenceModel.leaderboardWindows(changes);
                long lastClosedEnd = expectedWindows.keySet().stream().max(Long::compare).orElseThrow();

                // --- Cassandra, lake, enriched_activity: every valid event, once ---
                Set<String> users = new TreeSet<>();
                allActivity.forEach(a -> users.add(a.user()));
                awaitTrue("Cassandra rows", WAIT, () -> cassandraRows(cassandra, users, DAYS).size() >= expectedRaw.size(),
                        () -> cassandraRows(cassandra, users, DAYS).size() + " of " + expectedRaw.size());
                assertThat(cassandraRows(cassandra, users, DAYS)).isEqualTo(expectedRaw);

                awaitTrue("lake rows", WAIT, () -> lakeRows(lake).size() >= expectedRaw.size(), () -> lakeRows(lake).size() + " of " + expectedRaw.size());
                assertThat(lakeRows(lake)).containsExactlyInAnyOrderElementsOf(expectedRaw); // a list: a duplicate would show
                assertThat(lakeDirectories(lake)).containsExactlyInAnyOrder("event_date=2025-07-24", "event_date=2025-07-25");

                AvroSingleObjectCodec<io.pulse.model.avro.EnrichedActivity> enrichedAvro =
                        new AvroSingleObjectCodec<>(io.pulse.model.avro.EnrichedActivity.class);
                List<String> enrichedIds = enriched.awaitRecords(expectedRaw.size(), WAIT).stream()
                        .map(r -> enrichedAvro.decode(r.value()).value()).peek(e -> assertThat(e.getEventDate())
                                .isEqualTo(Instant.ofEpochMilli(e.getEvent().getEventTime().toEpochMilli()).atZone(ZoneOffset.UTC)
                                        .toLocalDate().toString()))
                        .map(e -> e.getEvent().getEventId()).toList();
                assertThat(enrichedIds).containsExactlyInAnyOrderElementsOf(allActivity.stream().map(Event::id).toList());

                // --- ClickHouse: the last value of every engagement event, titles from the lookup ---
                awaitTrue("ClickHouse rows", WAIT, () -> clickhouseRows(stack.clickhouseUrl(), "user_id LIKE 'fan-" + run + "-%'").equals(expectedClickhouse),
                        () -> "rows " + clickhouseRows(stack.clickhouseUrl(), "user_id LIKE 'fan-" + run + "-%'").size() + " of " + expectedClickhouse.size());

                // --- HTTP: every event delivered by key ---
                Set<String> expectedKeys = new TreeSet<>(lastValue.keySet());
                awaitTrue("mock-external keys", WAIT, () -> externalKeys("http://127.0.0.1:" + external.port()).equals(expectedKeys),
                        () -> externalKeys("http://127.0.0.1:" + external.port()).size() + " of " + expectedKeys.size() + " keys");

                // --- Redis: every closed window whole, the leaderboard = the latest one, content hashes ---
                awaitTrue("Redis windows", WAIT, () -> redisWindows(redis, prefix, expectedWindows.keySet()).equals(expectedWindows),
                        () -> windowDifferences(redisWindows(redis, prefix, expectedWindows.keySet()), expectedWindows));
                assertThat(leaderboard(redis, prefix + "leaderboard")).isEqualTo(expectedWindows.get(lastClosedEnd));
                for (Map.Entry<String, String[]> c : contentRows.entrySet()) {
                    if (lastValue.values().stream().anyMatch(e -> c.getKey().equals(e.content()))) {
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
                        Stream.concat(activity.stream().map(Event::user), Stream.of("fan-" + run + "-closer")).distinct().toList(),
                        List.of(java.time.LocalDate.parse("2025-07-24"), java.time.LocalDate.parse("2025-07-25")));
                clickhouse(stack.clickhouseUrl(), "ALTER TABLE pulse.engagement_enriched DELETE WHERE user_id LIKE 'fan-" + run + "-%'");
            }
        }
    }

    static UserEvent userEvent(Event a) {
        return UserEvent.newBuilder().setEventId(a.id()).setUserId(a.user()).setEventType(a.type())
                .setEventTime(Instant.ofEpochMilli(a.time())).setDevice(a.device()).setPage(a.page()).build();
    }

    static EngagementEvent engagementEvent(EngagementChange e) {
        return EngagementEvent.newBuilder().setEventId(e.id()).setContentId(e.content()).setUserId(e.user())
                .setEventType(e.type()).setDurationMs(1000).setDevice("Web").setEventTime(Instant.ofEpochMilli(e.time()))
                .setOp("c").build();
    }

}
