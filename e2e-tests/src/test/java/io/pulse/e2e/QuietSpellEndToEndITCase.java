package io.pulse.e2e;

import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.difference;
import static io.pulse.process.SinkContents.postgresRows;
import static io.pulse.process.SinkContents.redisWindows;
import static io.pulse.process.SinkContents.windowDifferences;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.pulse.e2e.stack.TestStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.LateEvent;
import io.pulse.process.Datasets;
import io.pulse.process.ReferenceModel;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import io.pulse.process.TestJobs;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A quiet spell, then a backlog, as a user meets it on the real stack: both jobs' jars on the
 * stack's Flink cluster (the process job at parallelism 2 over two TaskManagers), a little traffic,
 * nothing until every source split has gone idle, then three hours of activity replayed with the
 * producer in one transaction and three hours of engagement written to PostgreSQL in one
 * transaction (captured by the ingest job). No event is late, every window row of the five tables
 * and every leaderboard window equals {@link ReferenceModel}.
 */
class QuietSpellEndToEndITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;
    private static final String IDLENESS = "5s";
    private static TestStack servers;
    private static StackEndpoints stack;
    private static FlinkRest flink;
    private static String processJar;
    private static String ingestJar;

    @BeforeAll
    static void cluster() throws Exception {
        servers = TestStack.current();
        stack = servers.endpoints();
        flink = new FlinkRest(stack.flinkRest());
        EndToEndITCase.stack = stack;
        EndToEndITCase.flink = flink; // cancelQuietly cancels through it
        processJar = flink.upload(EndToEndITCase.jar("process-job", "process-job-", "-job.jar"));
        ingestJar = flink.upload(EndToEndITCase.jar("ingest-job", "ingest-job-", "-job.jar"));
    }

    @AfterAll
    static void close() {
        servers.close();
    }

    @Test
    void aBacklogOfActivityAndEngagementAfterAQuietSpellIsNeitherLateNorMiscounted() throws Exception {
        String run = "qs" + UUID.randomUUID().toString().substring(0, 6);
        String prefix = run + ":";
        Map<String, String[]> content = EndToEndITCase.content(run, 3);
        List<String> contentIds = List.copyOf(content.keySet());
        String missing = UUID.randomUUID().toString();
        List<Event> activity = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            activity.add(new Event(run + "warm-" + p, run + "warm-" + p, "click", T0 + p * 1000L, "Web", "/"));
        }
        List<EngagementChange> warmEngagement = EndToEndITCase.engagement(run, contentIds, missing, T0, T0 + 2 * MINUTE, 4);
        List<Event> backlog = Datasets.backlog(run, T0 + 10 * MINUTE, Duration.ofHours(3), 20, 41);
        List<EngagementChange> engagementBacklog = EndToEndITCase.engagement(run, contentIds, missing, T0 + 10 * MINUTE,
                T0 + 190 * MINUTE, 5);
        EngagementChange engagementCloser = new EngagementChange(UUID.randomUUID().toString(), contentIds.get(0), run + "-closer",
                "view", T0 + 600 * MINUTE, false);

        Path lake = servers.sharedDirectory("lake-" + run);
        try (ScratchDatabase db = ScratchDatabase.create(stack, "quiet");
             ScratchTopic activityTopic = ScratchTopic.create(stack, "qs-activity", 2);
             ScratchTopic engagementTopic = ScratchTopic.create(stack, "qs-engagement", 2);
             ScratchTopic enriched = ScratchTopic.create(stack, "qs-enriched", 2);
             ScratchTopic lateTopic = ScratchTopic.create(stack, "qs-late", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "qs-dead", 1);
             KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(stack.kafkaBootstrap());
             Connection pg = db.connect();
             CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                     .withLocalDatacenter(stack.cassandraDatacenter()).build();
             Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            EndToEndITCase.insertContent(pg, content);
            String ingest = flink.run(ingestJar, EndToEndITCase.ingestArgs(run, db, engagementTopic), null);
            String process = flink.run(processJar, EndToEndITCase.processArgs(run, prefix, db, activityTopic, engagementTopic, enriched,
                    lateTopic, dead, lake, "--watermark.idleness", IDLENESS), null, 2);
            try {
                awaitTrue("both jobs running", EndToEndITCase.WAIT, () -> flink.allRunning(ingest) && flink.allRunning(process), () -> "");
                awaitTrue("the ingest job's replication slot", EndToEndITCase.WAIT, () -> EndToEndITCase.slotActive(pg, "slot_" + run),
                        () -> "");

                // A little traffic on every partition, then the quiet spell: until every source split of the job is idle.
                for (int p = 0; p < 2; p++) {
                    Event e = activity.get(p);
                    kafka.send(new ProducerRecord<>(activityTopic.name(), p, e.user().getBytes(StandardCharsets.UTF_8),
                            new UserEventCodec().encodeJson(EndToEndITCase.userEvent(e))));
                }
                kafka.flush();
                EndToEndITCase.applyEngagement(pg, warmEngagement);
                awaitTrue("every source split idle after the quiet spell", EndToEndITCase.WAIT, () -> idle(process, "Source: kafka user_activity", 2)
                        && idle(process, "Source: kafka engagement_events", 1), () -> "idle splits: activity "
                        + flink.metricSum(process, "Source: kafka user_activity", "watermarkSplitsIdle") + ", engagement "
                        + flink.metricSum(process, "Source: kafka engagement_events", "watermarkSplitsIdle") + " of "
                        + flink.metricSum(process, "Source: kafka engagement_events", "watermarkSplits"));

                // The backlog: activity replayed from a file (one transaction), engagement in one PostgreSQL transaction.
                activity.addAll(backlog);
                EndToEndITCase.replay(activityTopic.name(), EndToEndITCase.arrivalOrder(backlog, 9), run + "-backlog");
                pg.setAutoCommit(false);
                EndToEndITCase.applyEngagement(pg, engagementBacklog);
                pg.commit();
                pg.setAutoCommit(true);
                // Events hours later close every window.
                for (int p = 0; p < 2; p++) {
                    Event c = new Event(run + "closer-" + p, run + "closer-" + p, "click", T0 + 600 * MINUTE, "Web", null);
                    kafka.send(new ProducerRecord<>(activityTopic.name(), p, c.user().getBytes(StandardCharsets.UTF_8),
                            new UserEventCodec().encodeJson(EndToEndITCase.userEvent(c))));
                }
                kafka.flush();
                EndToEndITCase.applyEngagement(pg, List.of(engagementCloser));

                Map<String, Set<String>> tables = ReferenceModel.postgresTables(activity);
                tables.forEach((table, expected) -> awaitTrue(table, EndToEndITCase.WAIT, () -> postgresRows(pg, table).equals(expected),
                        () -> difference(expected, postgresRows(pg, table)) + "; " + late(lateTopic)));
                List<EngagementChange> changes = EndToEndITCase.concat(warmEngagement, engagementBacklog);
                Map<Long, Map<String, Double>> windows = ReferenceModel.leaderboardWindows(changes);
                awaitTrue("Redis windows", EndToEndITCase.WAIT, () -> redisWindows(redis, prefix, windows.keySet()).equals(windows),
                        () -> windowDifferences(redisWindows(redis, prefix, windows.keySet()), windows) + "; " + late(lateTopic));
                assertThat(late(lateTopic)).as("late events").isEqualTo("0 late events");
            } finally {
                EndToEndITCase.cancelQuietly(ingest);
                EndToEndITCase.cancelQuietly(process);
                List<Event> all = new ArrayList<>(activity);
                EndToEndITCase.cleanUp(run, prefix, all, cassandra, redis);
            }
        }
    }

    /** Whether every split of the job's vertex that has read a record is idle (and at least {@code splits} have). */
    private static boolean idle(String job, String vertex, int splits) {
        long read = flink.metricSum(job, vertex, "watermarkSplits");
        return read >= splits && flink.metricSum(job, vertex, "watermarkSplitsIdle") == read;
    }

    private static String late(ScratchTopic lateTopic) {
        List<LateEvent> late = lateTopic.readAll().stream().map(r -> LateEvent.fromJson(r.value())).toList();
        return late.size() + " late events" + (late.isEmpty() ? "" : ", first: " + late.stream().limit(5)
                .map(l -> l.operator() + " " + l.eventId() + " at " + Instant.ofEpochMilli(l.eventTime()) + ", watermark "
                        + Instant.ofEpochMilli(l.watermark())).toList());
    }
}
