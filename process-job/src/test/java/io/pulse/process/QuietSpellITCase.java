package io.pulse.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.LateEvent;
import io.pulse.process.ReferenceModel.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.prometheus.ScrapedPrometheusReporter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A quiet spell, then a backlog: the process job on a MiniCluster against the test stack's Kafka and
 * PostgreSQL reads one event per partition, then nothing until every split has gone idle, then
 * three hours of event time from 20 users land in one transaction on several partitions (a
 * device's offline buffer, a producer catching up after an outage). No event of it is late, and
 * every window row equals {@link ReferenceModel}; a partition that got nothing stays idle and does
 * not hold the windows back. Run with both partitions in one source reader, with one per reader, and
 * with partitions added to the topic during the quiet spell (the backlog lands on them too).
 */
class QuietSpellITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Duration IDLENESS = Duration.ofSeconds(3);
    private static StackEndpoints stack;
    private static int restPort;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    @Test
    void aBacklogAfterAQuietSpellIsNotLateWhenOneReaderHasEveryPartition() throws Exception {
        backlogAfterAQuietSpell(1, 3, 3, new int[] {0, 1});
    }

    @Test
    void aBacklogAfterAQuietSpellIsNotLateWhenEachReaderHasItsOwnPartitions() throws Exception {
        backlogAfterAQuietSpell(2, 3, 3, new int[] {0, 1});
    }

    @Test
    void aBacklogAfterAQuietSpellIsNotLateOnPartitionsAddedDuringIt() throws Exception {
        backlogAfterAQuietSpell(2, 2, 4, new int[] {0, 1, 3});
    }

    /**
     * {@code partitions} partitions, grown to {@code grownTo} during the quiet spell; the backlog on
     * {@code backlogPartitions} (each user's events in one partition).
     */
    private void backlogAfterAQuietSpell(int parallelism, int partitions, int grownTo, int[] backlogPartitions) throws Exception {
        try (ScratchDatabase db = ScratchDatabase.create(stack, "quiet_it");
             ScratchTopic activity = ScratchTopic.create(stack, "quiet-activity", partitions);
             ScratchTopic late = ScratchTopic.create(stack, "quiet-late", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "quiet-dead", 1);
             KafkaProducer<byte[], byte[]> kafka = transactional("quiet-" + activity.name())) {
            String run = activity.name().substring(activity.name().lastIndexOf('-') + 1);
            ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", stack.kafkaBootstrap(),
                    "--kafka.activity-topic", activity.name(), "--kafka.late-topic", late.name(),
                    "--kafka.dead-letter-topic", dead.name(), "--kafka.group-id", "quiet-" + run,
                    "--kafka.transactional-id-prefix", "quiet-" + run,
                    "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                    "--postgres.database", db.name(), "--postgres.user", db.user(), "--checkpoint.interval", "1s",
                    "--watermark.idleness", IDLENESS.toSeconds() + "s", "--sinks", "postgres");
            JobClient job = start(settings, parallelism);
            try {
                // Traffic, then a quiet spell: one event per partition, read, then nothing until every split is idle.
                List<Event> events = new ArrayList<>();
                kafka.beginTransaction();
                for (int p = 0; p < partitions; p++) {
                    Event e = new Event(run + "warm-" + p, run + "warm-" + p, "click", T0 + p * 1000L, "Web", "/");
                    events.add(e);
                    send(kafka, activity.name(), p, e);
                }
                kafka.commitTransaction();
                awaitTrue("every split idle after the quiet spell", () -> prometheus("watermarkSplitsIdle") == partitions,
                        () -> "idle splits: " + prometheus("watermarkSplitsIdle") + " of " + prometheus("watermarkSplits"));
                if (grownTo > partitions) {
                    try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrap()))) {
                        admin.createPartitions(Map.of(activity.name(), NewPartitions.increaseTo(grownTo))).all().get();
                    }
                    awaitTrue("the job has seen the added partitions", () -> prometheus("watermarkWaitsForAddedPartitions") > 0,
                            () -> "");
                }

                // The backlog: three hours of 20 users, in arrival order (each up to a minute late), one transaction.
                List<Event> backlog = Datasets.backlog(run, T0 + 10 * ReferenceModel.MINUTE, Duration.ofHours(3), 20, 31);
                events.addAll(backlog);
                kafka.beginTransaction();
                for (Event e : arrivalOrder(backlog)) {
                    int user = Integer.parseInt(e.user().substring(e.user().lastIndexOf('-') + 1));
                    send(kafka, activity.name(), backlogPartitions[user % backlogPartitions.length], e);
                }
                kafka.commitTransaction();
                // An event hours later on each partition with a backlog closes every window.
                kafka.beginTransaction();
                for (int p : backlogPartitions) {
                    send(kafka, activity.name(), p, new Event(run + "closer-" + p, run + "closer-" + p, "click", T0 + 10 * 60 * ReferenceModel.MINUTE,
                            "Web", null));
                }
                kafka.commitTransaction();

                Map<String, Set<String>> expected = ReferenceModel.postgresTables(events);
                Map<String, Integer> partitionOf = new TreeMap<>();
                backlog.forEach(e -> partitionOf.put(e.id(),
                        backlogPartitions[Integer.parseInt(e.user().substring(e.user().lastIndexOf('-') + 1)) % backlogPartitions.length]));
                awaitTrue("every window row as the reference model has it", () -> expected.entrySet().stream()
                                .allMatch(t -> ProcessJobITCase.rows(db, t.getKey()).equals(t.getValue())),
                        () -> differences(db, expected) + "; " + lateSummary(late, partitionOf));
                assertThat(lateEvents(late)).as("late events (%d backlog events; %s)", backlog.size(), lateSummary(late, partitionOf))
                        .isEmpty();
            } finally {
                job.cancel().get();
            }
        }
    }

    /** How many events went to late_events, per partition they were sent to, and the first few. */
    private static String lateSummary(ScratchTopic late, Map<String, Integer> partitionOf) {
        Map<Integer, Long> perPartition = new TreeMap<>();
        List<LateEvent> all = late.readAll().stream().map(r -> LateEvent.fromJson(r.value())).toList();
        all.stream().map(LateEvent::eventId).distinct().forEach(id -> perPartition.merge(partitionOf.getOrDefault(id, -1), 1L, Long::sum));
        return "late events per partition " + perPartition + ", first: "
                + all.stream().limit(5).map(l -> l.operator() + " " + l.eventId() + " at watermark " + l.watermark()).toList();
    }

    private static List<String> lateEvents(ScratchTopic late) {
        return late.readAll().stream().map(r -> LateEvent.fromJson(r.value())).map(l -> l.operator() + " " + l.eventId()).toList();
    }

    private static List<Event> arrivalOrder(List<Event> events) {
        Random jitter = new Random(5);
        Map<String, Long> arrival = new TreeMap<>();
        events.forEach(e -> arrival.put(e.id(), e.time() + jitter.nextInt(60_000)));
        List<Event> order = new ArrayList<>(events);
        order.sort(Comparator.comparingLong(e -> arrival.get(e.id())));
        return order;
    }

    private static KafkaProducer<byte[], byte[]> transactional(String id) {
        return io.pulse.process.TestJobs.transactionalProducer(stack.kafkaBootstrap(), id);
    }

    private static void send(KafkaProducer<byte[], byte[]> kafka, String topic, int partition, Event e) {
        UserEvent event = UserEvent.newBuilder().setEventId(e.id()).setUserId(e.user()).setEventType(e.type())
                .setEventTime(Instant.ofEpochMilli(e.time())).setDevice(e.device()).setPage(e.page()).build();
        kafka.send(new ProducerRecord<>(topic, partition, e.user().getBytes(StandardCharsets.UTF_8), new UserEventCodec().encodeJson(event)));
    }

    private static JobClient start(ProcessSettings settings, int parallelism) throws Exception {
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            restPort = free.getLocalPort();
        }
        return TestJobs.startProcessJob(settings, null, restPort, "quiet-spell-it",
                Map.of("metrics.reporter.scraped.factory.class", ScrapedPrometheusReporter.Factory.class.getName()), parallelism);
    }

    /** The sum over every subtask of an operator metric, as Prometheus reads it. */
    private static long prometheus(String name) {
        double sum = 0;
        for (String line : ScrapedPrometheusReporter.scrape().split("\n")) {
            int brace = line.indexOf('{');
            if (!line.startsWith("flink_taskmanager_job_task_operator_") || brace < 0 || !line.substring(0, brace).endsWith("_" + name)) {
                continue;
            }
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return (long) sum;
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> state) {
        SinkContents.awaitTrue(what, WAIT, condition, state);
    }

    private static String differences(ScratchDatabase db, Map<String, Set<String>> expected) {
        StringBuilder out = new StringBuilder();
        expected.forEach((table, rows) -> out.append(table).append(": ")
                .append(SinkContents.difference(rows, ProcessJobITCase.rows(db, table))).append("; "));
        return out.toString();
    }
}
