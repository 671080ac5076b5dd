package io.pulse.e2e;

import static io.pulse.e2e.EndToEndITCase.WAIT;
import static io.pulse.e2e.EndToEndITCase.concat;
import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.cassandraRows;
import static io.pulse.process.SinkContents.difference;
import static io.pulse.process.SinkContents.postgresRows;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.pulse.infra.LocalStack;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.process.Datasets;
import io.pulse.process.ReferenceModel;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import io.pulse.model.codec.UserEventCodec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The jobs operated through the launcher, as a user would: both submitted with {@code ./pulse submit}
 * (the process job at parallelism 4), a TaskManager SIGKILLed mid-stream, the process job rescaled
 * 4 -> 2 -> 4 with {@code ./pulse stop} and {@code ./pulse resume --parallelism}, then every sink
 * compared with the reference model; and the whole stack stopped and started again mid-stream with
 * {@code ./pulse down} and {@code ./pulse up}, after which every window row equals the run without
 * the stop. Local stack only: the launcher drives it.
 */
class OperateJobsITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;
    private static final Pattern JOB_ID = Pattern.compile("running as job ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("stopped; savepoint (\\S+)");
    private static LocalStack launcher;

    @BeforeAll
    static void cluster() {
        launcher = EndToEndITCase.launcherOnTheTestStack();
    }

    @AfterAll
    static void close() {
        if (EndToEndITCase.servers != null) {
            EndToEndITCase.servers.close();
        }
    }

    /** {@code ./pulse ARGS...} on the test's stack; fails with the output unless it exits 0. */
    private static String pulse(String... args) {
        LocalStack.LauncherResult result = launcher.launcher(new String[0], args);
        assertThat(result.exitCode()).as("./pulse " + String.join(" ", args) + " output:\n" + result.output()).isZero();
        return result.output();
    }

    private static String jobIdIn(String output) {
        Matcher m = JOB_ID.matcher(output);
        assertThat(m.find()).as("a job id in:\n" + output).isTrue();
        return m.group(1);
    }

    private static int parallelism(String job) throws Exception {
        int max = 0;
        for (JsonNode vertex : EndToEndITCase.flink.job(job).path("vertices")) {
            max = Math.max(max, vertex.path("parallelism").asInt());
        }
        return max;
    }

    /** One run's data and scratch stores, as in EndToEndITCase: two parts of on-time traffic, engagement, late records, closers. */
    private record Scenario(String run, String prefix, List<Event> onTime, List<Event> late, List<Event> closers, List<Event> part1,
                            List<Event> part2, Map<String, String[]> content, List<EngagementChange> changesA,
                            List<EngagementChange> changesB, EngagementChange engagementCloser) {
        static Scenario create(String name) {
            String run = name + UUID.randomUUID().toString().substring(0, 6);
            List<Event> onTime = EndToEndITCase.prefixed(Datasets.onTimeEvents(T0), run);
            List<Event> late = EndToEndITCase.prefixed(Datasets.lateEvents(T0), run);
            List<Event> closers = List.of(new Event(run + "closer-0", run + "closer-0", "click", T0 + 180 * MINUTE, "Web", null),
                    new Event(run + "closer-1", run + "closer-1", "click", T0 + 180 * MINUTE, "Web", null));
            List<Event> sendOrder = EndToEndITCase.arrivalOrder(onTime, 13);
            Map<String, String[]> content = EndToEndITCase.content(run, 2);
            List<String> contentIds = List.copyOf(content.keySet());
            String missing = UUID.randomUUID().toString();
            return new Scenario(run, run + ":", onTime, late, closers, sendOrder.subList(0, sendOrder.size() * 2 / 5),
                    sendOrder.subList(sendOrder.size() * 2 / 5, sendOrder.size()), content,
                    EndToEndITCase.engagement(run, contentIds, missing, T0, T0 + 15 * MINUTE, 5),
                    EndToEndITCase.engagement(run, contentIds, missing, T0 + 15 * MINUTE, T0 + 30 * MINUTE, 6),
                    new EngagementChange(UUID.randomUUID().toString(), contentIds.get(0), run + "-closer", "view", T0 + 300 * MINUTE, false));
        }
    }

    /** A run's scratch topics (activity, engagement, enriched, late, dead letters), deleted on close. */
    private record RunTopics(ScratchTopic activity, ScratchTopic engagement, ScratchTopic enriched, ScratchTopic late, ScratchTopic dead)
            implements AutoCloseable {
        static RunTopics create(String prefix) {
            var stack = EndToEndITCase.stack;
            return new RunTopics(ScratchTopic.create(stack, prefix + "-activity", 2), ScratchTopic.create(stack, prefix + "-engagement", 2),
                    ScratchTopic.create(stack, prefix + "-enriched", 2), ScratchTopic.create(stack, prefix + "-late", 1),
                    ScratchTopic.create(stack, prefix + "-dead", 1));
        }

        List<String> processArgs(Scenario s, ScratchDatabase db, Path lake) {
            return EndToEndITCase.processArgs(s.run(), s.prefix(), db, activity, engagement, enriched, late, dead, lake);
        }

        @Override
        public void close() {
            for (ScratchTopic topic : List.of(activity, engagement, enriched, late, dead)) {
                topic.close();
            }
        }
    }

    /** The late records once the window operators' watermark is past minute 15, then a far later event per partition. */
    private static void lateAndClosers(Scenario s, KafkaProducer<byte[], byte[]> kafka, ScratchTopic activity, String process) {
        awaitTrue("watermark past minute 15", WAIT,
                () -> EndToEndITCase.flink.minWatermark(process, io.pulse.process.TestJobs.WINDOW_VERTICES) >= T0 + 15 * MINUTE,
                () -> "window watermarks " + EndToEndITCase.flink.watermarks(process, io.pulse.process.TestJobs.WINDOW_VERTICES));
        UserEventCodec codec = new UserEventCodec();
        for (Event e : s.late()) {
            kafka.send(new ProducerRecord<>(activity.name(), e.user().getBytes(StandardCharsets.UTF_8), codec.encodeJson(EndToEndITCase.userEvent(e))));
        }
        for (int p = 0; p < 2; p++) {
            Event c = s.closers().get(p);
            kafka.send(new ProducerRecord<>(activity.name(), p, c.user().getBytes(StandardCharsets.UTF_8), codec.encodeJson(EndToEndITCase.userEvent(c))));
        }
        kafka.flush();
    }

    @Test
    void everySinkIsExactAcrossATaskManagerKillAndARescaleFourTwoFour() throws Exception {
        Scenario s = Scenario.create("ops");
        var stack = EndToEndITCase.stack;
        var flink = EndToEndITCase.flink;
        Path lake = EndToEndITCase.servers.sharedDirectory("lake-" + s.run());
        try (ScratchDatabase db = ScratchDatabase.create(stack, "ops");
             RunTopics topics = RunTopics.create("ops");
             KafkaProducer<byte[], byte[]> kafka = io.pulse.process.TestJobs.kafkaProducer(stack.kafkaBootstrap());
             Connection pg = db.connect();
             CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                     .withLocalDatacenter(stack.cassandraDatacenter()).build();
             Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            EndToEndITCase.insertContent(pg, s.content());
            List<String> submitIngest = new ArrayList<>(List.of("submit", "ingest-job"));
            submitIngest.addAll(EndToEndITCase.ingestArgs(s.run(), db, topics.engagement()));
            List<String> submitProcess = new ArrayList<>(List.of("submit", "process-job", "--parallelism", "4"));
            submitProcess.addAll(topics.processArgs(s, db, lake));
            ScratchTopic activity = topics.activity();
            String ingest = jobIdIn(pulse(submitIngest.toArray(String[]::new)));
            String process = jobIdIn(pulse(submitProcess.toArray(String[]::new)));
            try {
                assertThat(parallelism(process)).isEqualTo(4);
                awaitTrue("the ingest job's replication slot", WAIT, () -> EndToEndITCase.slotActive(pg, "slot_" + s.run()), () -> "");
                EndToEndITCase.applyEngagement(pg, s.changesA());
                EndToEndITCase.replay(activity.name(), s.part1(), s.run() + "-1");
                awaitTrue("first results", WAIT, () -> EndToEndITCase.count(pg, "session_kpis") > 0, () -> "");

                // A TaskManager SIGKILLed while part 2 arrives; an operator restarts it.
                int failures = flink.restarts(process);
                EndToEndITCase.applyEngagement(pg, s.changesB());
                EndToEndITCase.replay(activity.name(), s.part2(), s.run() + "-2");
                Set<String> part2Users = new TreeSet<>();
                s.part2().forEach(e -> part2Users.add(e.user()));
                String part2Id = s.part2().get(s.part2().size() / 2).id();
                awaitTrue("part 2 arriving in Cassandra", WAIT, () -> cassandraRows(cassandra, part2Users,
                        List.of(LocalDate.parse("2025-07-24"))).stream().anyMatch(r -> r.contains("|" + part2Id + "|")), () -> "");
                EndToEndITCase.servers.killOneTaskManager();
                EndToEndITCase.servers.startTaskManager();
                String recovering = process;
                awaitTrue("process job recovered", WAIT, () -> flink.restarts(recovering) > failures && flink.allRunning(recovering),
                        () -> "restarts " + flink.restarts(recovering));

                // Rescale 4 -> 2 -> 4 through the launcher.
                for (int p : new int[] {2, 4}) {
                    String stopped = pulse("stop", "process-job");
                    Matcher savepoint = SAVEPOINT.matcher(stopped);
                    assertThat(savepoint.find()).as("a savepoint in:\n" + stopped).isTrue();
                    assertThat(Path.of(savepoint.group(1))).exists();
                    process = jobIdIn(pulse("resume", "process-job", "--parallelism", Integer.toString(p)));
                    assertThat(parallelism(process)).isEqualTo(p);
                }
                lateAndClosers(s, kafka, activity, process);
                EndToEndITCase.applyEngagement(pg, List.of(s.engagementCloser()));
                EndToEndITCase.verifyEverySink(s.run(), s.prefix(), s.onTime(), s.late(), s.closers(), concat(s.changesA(), s.changesB()),
                        s.engagementCloser(), s.content(), pg, cassandra, redis, lake, topics.enriched(), topics.late());
            } finally {
                EndToEndITCase.cancelQuietly(ingest);
                EndToEndITCase.cancelQuietly(process);
                EndToEndITCase.cleanUp(s.run(), s.prefix(), s.onTime(), cassandra, redis);
            }
        }
    }

    @Test
    void aStackStoppedAndStartedMidStreamLosesNoWindowAndCountsNothingTwice() throws Exception {
        Scenario s = Scenario.create("downup");
        var stack = EndToEndITCase.stack;
        Path lake = EndToEndITCase.servers.sharedDirectory("lake-" + s.run());
        try (ScratchDatabase db = ScratchDatabase.create(stack, "downup");
             RunTopics topics = RunTopics.create("downup")) {
            ScratchTopic activity = topics.activity();
            try (Connection pg = db.connect()) {
                EndToEndITCase.insertContent(pg, s.content());
            }
            List<String> submitProcess = new ArrayList<>(List.of("submit", "process-job", "--sinks", "postgres"));
            submitProcess.addAll(topics.processArgs(s, db, lake));
            String process = jobIdIn(pulse(submitProcess.toArray(String[]::new)));
            try {
                EndToEndITCase.replay(activity.name(), s.part1(), s.run() + "-1");
                try (Connection pg = db.connect()) {
                    awaitTrue("first windows", WAIT, () -> EndToEndITCase.count(pg, "aggregated_counts") > 0, () -> "");
                }
                // Mid-stream: part 2 is being read while the whole stack goes down and comes back.
                EndToEndITCase.replay(activity.name(), s.part2(), s.run() + "-2");
                String down = pulse("down");
                assertThat(down).contains("process-job stopped with savepoint").contains("./pulse up resumes it");
                String up = pulse("up");
                assertThat(up).contains("resuming process-job");
                process = jobIdIn(up);
                try (KafkaProducer<byte[], byte[]> kafka = io.pulse.process.TestJobs.kafkaProducer(stack.kafkaBootstrap())) {
                    lateAndClosers(s, kafka, activity, process);
                }
                Map<String, Set<String>> tables = ReferenceModel.postgresTables(s.onTime());
                try (Connection pg = db.connect()) {
                    tables.forEach((table, expected) -> awaitTrue(table, WAIT, () -> postgresRows(pg, table).equals(expected),
                            () -> difference(expected, postgresRows(pg, table))));
                }
            } finally {
                EndToEndITCase.cancelQuietly(process);
            }
        }
    }
}
