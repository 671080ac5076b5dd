package io.pulse.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.codec.WireFormat;
import io.pulse.producer.generate.ActivityGenerator;
import io.pulse.producer.generate.ActivityOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The producer against the real Kafka and PostgreSQL of the test stack. */
class ProducerITCase {
    private static final String START = "2025-07-24T12:00:00Z";
    private static StackEndpoints stack;
    private final UserEventCodec codec = new UserEventCodec();

    @TempDir Path dir;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    private record Run(int exit, String out, String err) {}

    private static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            var commandLine = PulseProducerCli.commandLine();
            commandLine.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
            int exit = commandLine.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @Test
    void generatedEventsArriveDecodableKeyedByUserAndExactlyAsTheSeedDefines() {
        try (ScratchTopic topic = ScratchTopic.create(stack, "producer-it", 2)) {
            Run run = cli("produce", "--bootstrap", stack.kafkaBootstrap(), "--topic", topic.name(), "--events", "3000",
                    "--rate", "0", "--users", "40", "--seed", "9", "--start-time", START, "--format", "avro",
                    "--late-share", "0", "--malformed-share", "0");
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.out()).contains("3000 acknowledged, 0 failed");

            List<ConsumerRecord<byte[], byte[]>> records = topic.awaitRecords(3000, Duration.ofSeconds(30));
            assertThat(records).hasSize(3000);
            Set<String> valuesInKafka = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                DecodeResult result = codec.decode(r.value());
                assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(((DecodeResult.Decoded) result).event().getUserId());
                valuesInKafka.add(new String(r.value(), StandardCharsets.ISO_8859_1));
            }
            // The same seed and options give the same events: regenerate them here and compare.
            ActivityGenerator again = new ActivityGenerator(new ActivityOptions(9, 40, Instant.parse(START), 0,
                    Duration.ofMinutes(10), 0, WireFormat.AVRO));
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < 3000; i++) {
                expected.add(new String(again.next().value(), StandardCharsets.ISO_8859_1));
            }
            assertThat(valuesInKafka).isEqualTo(expected);
        }
    }

    @Test
    void lateAndMalformedSharesInTheTopicAreWhatWasAsked() {
        try (ScratchTopic topic = ScratchTopic.create(stack, "producer-shares", 2)) {
            Run run = cli("produce", "--bootstrap", stack.kafkaBootstrap(), "--topic", topic.name(), "--events", "10000",
                    "--rate", "0", "--seed", "1", "--start-time", START, "--format", "json",
                    "--late-share", "0.05", "--malformed-share", "0.03");
            assertThat(run.exit()).as(run.err()).isZero();
            List<ConsumerRecord<byte[], byte[]>> records = topic.awaitRecords(10_000, Duration.ofSeconds(30));
            assertThat(records).hasSize(10_000);
            int malformed = 0;
            int late = 0;
            Map<Integer, Instant> maxByPartition = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                DecodeResult result = codec.decode(r.value());
                if (!(result instanceof DecodeResult.Decoded decoded)) {
                    malformed++;
                    continue;
                }
                // On-time events are in event-time order in each partition; a late one lies 10 minutes back.
                Instant time = decoded.event().getEventTime();
                Instant max = maxByPartition.getOrDefault(r.partition(), Instant.EPOCH);
                if (time.isBefore(max.minus(Duration.ofMinutes(5)))) {
                    late++;
                } else {
                    maxByPartition.put(r.partition(), time.isAfter(max) ? time : max);
                }
            }
            assertThat(late / 10_000.0).isBetween(0.04, 0.06);
            assertThat(malformed / 10_000.0).isBetween(0.02, 0.04);
        }
    }

    @Test
    void replayKeepsFileOrderPerKeyAndReportsBadLinesByNumber() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String user = "user_" + (char) ('A' + i % 3);
            lines.add(String.format("{\"event_id\":\"e-%03d\",\"user_id\":\"%s\",\"event_type\":\"click\",\"event_time\":\"2025-07-24T12:%02d:%02dZ\"}",
                    i, user, (299 - i) / 60, (299 - i) % 60)); // times run backwards: order must follow the file, not time
        }
        lines.add(10, "{\"user_id\": \"user_A\"}");
        lines.add(20, "garbage");
        Path file = dir.resolve("replay.jsonl");
        Files.write(file, lines);
        try (ScratchTopic topic = ScratchTopic.create(stack, "replay-it", 2)) {
            Run run = cli("replay", file.toString(), "--bootstrap", stack.kafkaBootstrap(), "--topic", topic.name());
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.out()).contains("line 11 rejected: MISSING_EVENT_TIME")
                    .contains("line 21 rejected: JSON_NOT_AN_OBJECT")
                    .contains("300 events sent to " + topic.name() + ", 2 lines rejected");

            Map<String, List<String>> idsByKey = new HashMap<>();
            List<ConsumerRecord<byte[], byte[]>> replayed = topic.awaitRecords(300, Duration.ofSeconds(30));
            assertThat(replayed).hasSize(300);
            for (ConsumerRecord<byte[], byte[]> r : replayed) {
                UserEvent e = ((DecodeResult.Decoded) codec.decode(r.value())).event();
                idsByKey.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>()).add(e.getEventId());
            }
            assertThat(idsByKey).hasSize(3);
            for (Map.Entry<String, List<String>> entry : idsByKey.entrySet()) {
                assertThat(entry.getValue()).hasSize(100).isSorted(); // e-000, e-003, ... in file order
            }
        }
    }

    @Test
    void unreachableBrokerIsAClearErrorNotAHang() {
        long began = System.nanoTime();
        Run run = cli("produce", "--bootstrap", "127.0.0.1:1", "--events", "10");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("Kafka at 127.0.0.1:1 is not reachable").contains("./pulse up");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void badOptionsAreUsageErrors() {
        Run run = cli("produce", "--late-share", "2");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("within 0..1");
    }

    @Test
    void engagementTrafficLandsInPostgresWithUpdatesAndDeletes() throws Exception {
        try (ScratchDatabase db = ScratchDatabase.create(stack, "producer_it")) {
            Run run = cli("produce", "--no-activity", "--engagement", "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(),
                    "--engagement-events", "500", "--engagement-rate", "0", "--content", "20", "--seed", "3",
                    "--start-time", START, "--update-share", "0.2", "--delete-share", "0.1");
            assertThat(run.exit()).as(run.err()).isZero();
            var summary = java.util.regex.Pattern.compile("engagement: 20 content rows, (\\d+) inserts, (\\d+) updates, (\\d+) deletes")
                    .matcher(run.out());
            assertThat(summary.find()).as(run.out()).isTrue();
            long inserts = Long.parseLong(summary.group(1));
            long updates = Long.parseLong(summary.group(2));
            long deletes = Long.parseLong(summary.group(3));
            assertThat(inserts + updates + deletes).isEqualTo(500);
            assertThat(updates).isPositive();
            assertThat(deletes).isPositive();
            try (Connection c = db.connect()) {
                assertThat(count(c, "SELECT count(*) FROM content")).isEqualTo(20);
                assertThat(count(c, "SELECT count(*) FROM engagement_events")).isEqualTo(inserts - deletes);
                assertThat(count(c, "SELECT count(*) FROM engagement_events e LEFT JOIN content c USING (content_id) WHERE c.content_id IS NULL")).isZero();
            }
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
