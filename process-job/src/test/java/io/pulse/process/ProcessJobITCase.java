package io.pulse.process;

import static io.pulse.process.ReferenceModel.MINUTE;
import static io.pulse.process.ReferenceModel.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.codec.WireFormat;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.model.diagnostics.LateEvent;
import io.pulse.process.ReferenceModel.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.prometheus.ScrapedPrometheusReporter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole process job on a MiniCluster against the real Kafka and PostgreSQL of the test stack:
 * a fixed, locally shuffled data set with malformed records, a stop with savepoint and a resume in
 * the middle, late records sent once the watermark has passed them, and every row of the five
 * tables, late_events and dead_letter compared with {@link ReferenceModel}.
 */
class ProcessJobITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static StackEndpoints stack;

    @TempDir Path savepoints;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    static List<Event> onTimeEvents() {
        return Datasets.onTimeEvents(T0);
    }

    static List<Event> lateEvents() {
        return Datasets.lateEvents(T0);
    }

    static Map<byte[], RejectReason> malformed() {
        return Datasets.malformed();
    }

    @Test
    void everyRowOfEveryOutputMatchesTheReferenceAcrossAStopAndResume() throws Exception {
        List<Event> onTime = onTimeEvents();
        try (ScratchDatabase db = ScratchDatabase.create(stack, "process_it");
             ScratchTopic activity = ScratchTopic.create(stack, "activity-it", 2);
             ScratchTopic late = ScratchTopic.create(stack, "late-it", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "dead-it", 1);
             KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(stack.kafkaBootstrap())) {
            String suffix = activity.name().substring(activity.name().lastIndexOf('-') + 1);
            ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", stack.kafkaBootstrap(),
                    "--kafka.activity-topic", activity.name(), "--kafka.late-topic", late.name(),
                    "--kafka.dead-letter-topic", dead.name(), "--kafka.group-id", "process-it-" + suffix,
                    "--kafka.transactional-id-prefix", "process-it-" + suffix,
                    "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                    "--postgres.database", db.name(), "--postgres.user", db.user(), "--checkpoint.interval", "1s",
                    // The five tables and the diagnostics topics are what this test checks (FanOutITCase
                    // checks the other sinks); the defaults of the others point at no server of the test stack.
                    "--sinks", "postgres",
                    "--checkpoint.dir", savepoints.resolve("checkpoints").toUri().toString());

            // Phase 1: on-time events, shuffled by up to a minute (inside the 2-minute bound), and malformed records.
            Random jitter = new Random(11);
            List<Event> sendOrder = new ArrayList<>(onTime);
            Map<String, Long> arrival = new TreeMap<>();
            sendOrder.forEach(e -> arrival.put(e.id(), e.time() + jitter.nextInt(60_000)));
            sendOrder.sort(Comparator.comparingLong(e -> arrival.get(e.id())));
            int n = 0;
            for (Event e : sendOrder) {
                send(kafka, activity.name(), e, n++ % 2 == 0 ? WireFormat.AVRO : WireFormat.JSON);
            }
            for (byte[] bad : malformed().keySet()) {
                kafka.send(new ProducerRecord<>(activity.name(), "bad".getBytes(StandardCharsets.UTF_8), bad));
            }
            kafka.flush();

            JobClient job = start(settings, null);
            awaitTrue("first session_kpis rows", () -> count(db, "session_kpis") > 0);
            // The dead-letter counters, as Prometheus would scrape them, before the stop resets them.
            // One condition for all of them: the router counts the total before the reason and the row.
            awaitTrue("deadLetters metrics", () -> prometheus("deadLetters", "") == malformed().size()
                    && prometheus("rowsOut", "output=\"dead_letter\"") == malformed().size()
                    && Set.copyOf(malformed().values()).stream().allMatch(reason -> prometheus("deadLetters_" + reason.name(), "")
                            == malformed().values().stream().filter(reason::equals).count()), ScrapedPrometheusReporter::scrape);
            String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            JobClient resumed = start(settings, savepoint);
            try {
                // Phase 2, once the watermark has passed minute 15 (the active_users window [10, 15) is out):
                // events at minutes 2 to 10 are late for every window they belong to. The watermark is the
                // slowest partition's, so it stops near minute 20 until phase 3.
                awaitTrue("watermark past minute 15", () -> maxActiveUsersWindow(db) >= T0 + 10 * MINUTE,
                        () -> "latest active_users window: " + str(maxActiveUsersWindow(db)) + ", session_kpis rows: " + count(db, "session_kpis"));
                // Right after a restore, a keyed operator's watermark is the minimum over all its inputs,
                // and stays at nothing until every upstream subtask has re-emitted the restored one: wait
                // for that in the resumed job itself, or a record sent now could still be counted.
                awaitTrue("restored watermark at every window operator", () -> minWindowWatermark(resumed) >= T0 + 15 * MINUTE,
                        () -> "lowest input watermark of the window operators: " + minWindowWatermark(resumed));
                for (Event e : lateEvents()) {
                    send(kafka, activity.name(), e, WireFormat.JSON);
                }
                // Phase 3: one event hours later in each partition moves the watermark past everything.
                for (int partition = 0; partition < 2; partition++) {
                    Event closer = new Event("closer-" + partition, "closer-" + partition, "click", T0 + 180 * MINUTE, "Web", null);
                    kafka.send(new ProducerRecord<>(activity.name(), partition, closer.user().getBytes(StandardCharsets.UTF_8),
                            new UserEventCodec().encodeJson(toUserEvent(closer))));
                }
                kafka.flush();

                Map<String, Set<String>> expected = ReferenceModel.postgresTables(onTime);
                awaitTrue("all five tables as expected", () -> expected.entrySet().stream()
                        .allMatch(t -> t.getValue().equals(rows(db, t.getKey()))), () -> differences(db, expected));
                for (Map.Entry<String, Set<String>> table : expected.entrySet()) {
                    assertThat(rows(db, table.getKey())).as(table.getKey()).isEqualTo(table.getValue());
                }

                List<String> expectedLate = new ArrayList<>();
                for (Event e : lateEvents()) {
                    ReferenceModel.operatorsOf(e).forEach(op -> expectedLate.add(op + " " + e.id()));
                }
                awaitTrue("late_events", () -> late.readAll().size() >= expectedLate.size());
                List<String> lateSeen = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : late.readAll()) {
                    LateEvent l = LateEvent.fromJson(r.value());
                    lateSeen.add(l.operator() + " " + l.eventId());
                    assertThat(l.watermark()).isGreaterThanOrEqualTo(l.eventTime());
                }
                assertThat(lateSeen).containsExactlyInAnyOrderElementsOf(expectedLate);
                // Every late record was sent to the resumed job: its late counters hold all of them.
                List<String> outputs = List.of("session_kpis", "page_view_counts", "active_users", "user_sessions", "aggregated_counts");
                java.util.function.ToLongFunction<String> lateFor = op -> expectedLate.stream().filter(l -> l.startsWith(op + " ")).count();
                assertThat(outputs).allMatch(op -> lateFor.applyAsLong(op) > 0);
                awaitTrue("lateEvents metrics", () -> outputs.stream()
                        .allMatch(op -> prometheus("lateEvents", "operator=\"" + op + "\"") == lateFor.applyAsLong(op)), ScrapedPrometheusReporter::scrape);
                for (String operator : outputs) {
                    assertThat(prometheus("rowsOut", "output=\"" + operator + "\"")).as("rowsOut of " + operator).isPositive();
                }

                List<String> deadSeen = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : dead.awaitRecords(malformed().size(), WAIT)) {
                    DeadLetter d = DeadLetter.fromJson(r.value());
                    deadSeen.add(d.reason());
                    assertThat(d.topic()).isEqualTo(activity.name());
                }
                assertThat(deadSeen).containsExactlyInAnyOrderElementsOf(
                        malformed().values().stream().map(RejectReason::name).toList());
            } finally {
                resumed.cancel().get();
            }
        }
    }

    private static int restPort;

    private static JobClient start(ProcessSettings settings, String savepoint) throws Exception {
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            restPort = free.getLocalPort();
        }
        return TestJobs.startProcessJob(settings, savepoint, restPort, "process-it",
                Map.of("metrics.reporter.scraped.factory.class", ScrapedPrometheusReporter.Factory.class.getName()));
    }

    /**
     * The sum over every subtask of a metric of the running job as Prometheus reads it (Flink's
     * Prometheus naming: {@code flink_taskmanager_job_task_operator_<scope>_<name>}), over the
     * samples whose labels contain {@code label} ("" for all).
     */
    private static long prometheus(String name, String label) {
        double sum = 0;
        for (String line : ScrapedPrometheusReporter.scrape().split("\n")) {
            int brace = line.indexOf('{');
            if (line.startsWith("#") || brace < 0 || !line.substring(0, brace).endsWith("_" + name)) {
                continue;
            }
            if (line.startsWith("flink_taskmanager_job_task_operator_") && line.substring(brace).contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    private static void send(KafkaProducer<byte[], byte[]> kafka, String topic, Event e, WireFormat format) {
        kafka.send(new ProducerRecord<>(topic, e.user().getBytes(StandardCharsets.UTF_8),
                new UserEventCodec().encode(toUserEvent(e), format)));
    }

    private static UserEvent toUserEvent(Event e) {
        return UserEvent.newBuilder().setEventId(e.id()).setUserId(e.user()).setEventType(e.type())
                .setEventTime(Instant.ofEpochMilli(e.time())).setDevice(e.device()).setPage(e.page()).build();
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        awaitTrue(what, condition, () -> "");
    }

    private static void awaitTrue(String what, BooleanSupplier condition, java.util.function.Supplier<String> state) {
        SinkContents.awaitTrue(what, WAIT, condition, state);
    }

    /** The lowest currentInputWatermark of the job's keyed window operators, from the MiniCluster's REST API. */
    private static long minWindowWatermark(JobClient job) {
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + restPort + "/jobs/" + job.getJobID();
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.JsonNode vertices = json.readTree(http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body()).get("vertices");
            long min = Long.MAX_VALUE;
            for (com.fasterxml.jackson.databind.JsonNode v : vertices) {
                String name = v.get("name").asText();
                if (TestJobs.WINDOW_VERTICES.stream().noneMatch(name::startsWith)) {
                    continue;
                }
                com.fasterxml.jackson.databind.JsonNode marks = json.readTree(http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(base + "/vertices/" + v.get("id").asText() + "/watermarks")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body());
                if (marks.isEmpty()) {
                    return Long.MIN_VALUE; // not reported yet
                }
                for (com.fasterxml.jackson.databind.JsonNode m : marks) {
                    min = Math.min(min, m.get("value").asLong());
                }
            }
            return min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
        } catch (Exception e) {
            return Long.MIN_VALUE; // the REST API is not up yet
        }
    }

    private static long count(ScratchDatabase db, String table) {
        return rows(db, table).size();
    }

    private static long maxActiveUsersWindow(ScratchDatabase db) {
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT max(window_start) FROM active_users")) {
            rs.next();
            return rs.getTimestamp(1) == null ? 0 : rs.getTimestamp(1).getTime();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String differences(ScratchDatabase db, Map<String, Set<String>> expected) {
        StringBuilder out = new StringBuilder();
        expected.forEach((table, rows) -> {
            Set<String> actual = rows(db, table);
            Set<String> missing = new TreeSet<>(rows);
            missing.removeAll(actual);
            Set<String> extra = new TreeSet<>(actual);
            extra.removeAll(rows);
            if (!missing.isEmpty() || !extra.isEmpty()) {
                out.append(table).append(": missing ").append(missing.stream().limit(5).toList())
                        .append(" (").append(missing.size()).append("), unexpected ").append(extra.stream().limit(5).toList())
                        .append(" (").append(extra.size()).append("); ");
            }
        });
        return out.toString();
    }

    /** A table's rows in ReferenceModel's rendering. */
    static Set<String> rows(ScratchDatabase db, String table) {
        try (Connection c = db.connect()) {
            return SinkContents.postgresRows(c, table);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read " + table, e);
        }
    }
}
