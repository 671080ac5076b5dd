package io.pulse.e2e;

import static io.pulse.process.SinkContents.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.process.Datasets;
import io.pulse.process.ReferenceModel;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Every store of the stack killed in turn (SIGKILL, not a shutdown) while both jobs run on the
 * stack's cluster and activity and engagement traffic flows, then started again: every sink ends
 * exactly as the reference model has it, as if no store had failed. Each store is down either for
 * 30 s, around the end of the sinks' retries, or for 60 s, past them, so the job restarts from its
 * checkpoint: Kafka and Redis for 60 s, Cassandra, PostgreSQL, ClickHouse and mock-external for 30 s
 * (RedisCrashITCase also brings Redis back empty). With {@code -Dpulse.store-crash=full} every store
 * is killed for both durations, in two rounds (too long for the suite's budget; run it before a release).
 */
class StoreCrashITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;

    private record Crash(String service, Duration down) {}

    private static final List<Crash> ROUND_ONE = List.of(new Crash("kafka", Duration.ofSeconds(60)), new Crash("cassandra", Duration.ofSeconds(30)),
            new Crash("postgres", Duration.ofSeconds(30)), new Crash("clickhouse", Duration.ofSeconds(30)),
            new Crash("redis", Duration.ofSeconds(60)), new Crash("mock-external", Duration.ofSeconds(30)));
    /** With -Dpulse.store-crash=full: each store again, for the other duration (12 crashes, ~12 min instead of ~7). */
    private static final List<Crash> ROUND_TWO = List.of(new Crash("kafka", Duration.ofSeconds(30)), new Crash("cassandra", Duration.ofSeconds(60)),
            new Crash("postgres", Duration.ofSeconds(60)), new Crash("clickhouse", Duration.ofSeconds(60)),
            new Crash("redis", Duration.ofSeconds(30)), new Crash("mock-external", Duration.ofSeconds(60)));
    private static final List<Crash> CRASHES = "full".equals(System.getProperty("pulse.store-crash"))
            ? java.util.stream.Stream.concat(ROUND_ONE.stream(), ROUND_TWO.stream()).toList() : ROUND_ONE;

    @Test
    void everySinkIsExactAfterEachStoreWasKilledMidStream() throws Exception {
        LocalStack launcher = EndToEndITCase.launcherOnTheTestStack();
        StackEndpoints stack = EndToEndITCase.stack;
        FlinkRest flink = EndToEndITCase.flink;
        String processJar = flink.upload(EndToEndITCase.jar("process-job", "process-job-", "-job.jar"));
        String ingestJar = flink.upload(EndToEndITCase.jar("ingest-job", "ingest-job-", "-job.jar"));
        String run = "sc" + UUID.randomUUID().toString().substring(0, 6);
        String prefix = run + ":";

        // 40 minutes of event time sent over the whole run (about 8x the wall clock, so the 2-minute bound
        // is some 15 s of skew between the sources' subtasks): activity of 20 users, engagement every 5-25 s.
        List<Event> activity = EndToEndITCase.arrivalOrder(Datasets.backlog(run, T0, Duration.ofMinutes(40), 20, 51), 13);
        Map<String, String[]> content = EndToEndITCase.content(run, 3);
        List<String> contentIds = List.copyOf(content.keySet());
        List<EngagementChange> changes = EndToEndITCase.engagement(run, contentIds, UUID.randomUUID().toString(), T0, T0 + 40 * MINUTE, 7);
        List<Event> closers = List.of(new Event(run + "closer-0", run + "closer-0", "click", T0 + 600 * MINUTE, "Web", null),
                new Event(run + "closer-1", run + "closer-1", "click", T0 + 600 * MINUTE, "Web", null));
        EngagementChange engagementCloser = new EngagementChange(UUID.randomUUID().toString(), contentIds.get(0), run + "-closer",
                "view", T0 + 900 * MINUTE, false);

        Path lake = EndToEndITCase.servers.sharedDirectory("lake-" + run);
        try (ScratchDatabase db = ScratchDatabase.create(stack, "crash");
             ScratchTopic activityTopic = ScratchTopic.create(stack, "sc-activity", 2);
             ScratchTopic engagementTopic = ScratchTopic.create(stack, "sc-engagement", 2);
             ScratchTopic enriched = ScratchTopic.create(stack, "sc-enriched", 2);
             ScratchTopic lateTopic = ScratchTopic.create(stack, "sc-late", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "sc-dead", 1);
             KafkaProducer<byte[], byte[]> kafka = patientProducer(stack.kafkaBootstrap())) {
            try (Connection pg = db.connect()) {
                EndToEndITCase.insertContent(pg, content);
            }
            String ingest = flink.run(ingestJar, EndToEndITCase.ingestArgs(run, db, engagementTopic), null);
            String process = flink.run(processJar, EndToEndITCase.processArgs(run, prefix, db, activityTopic, engagementTopic, enriched,
                    lateTopic, dead, lake), null, 2);
            Traffic traffic = new Traffic(kafka, activityTopic.name(), db, activity, changes);
            try {
                awaitTrue("both jobs running", EndToEndITCase.WAIT, () -> flink.allRunning(ingest) && flink.allRunning(process), () -> "");
                awaitTrue("the ingest job's replication slot", EndToEndITCase.WAIT, () -> {
                    try (Connection pg = db.connect()) {
                        return EndToEndITCase.slotActive(pg, "slot_" + run);
                    } catch (SQLException e) {
                        return false;
                    }
                }, () -> "");
                CompletableFuture<Void> sending = CompletableFuture.runAsync(traffic);
                for (int i = 0; i < CRASHES.size(); i++) {
                    int step = i + 1;
                    awaitTrue("traffic before crash " + step, Duration.ofMinutes(5),
                            () -> traffic.progress() >= step * (1.0 / (CRASHES.size() + 1)) || sending.isDone(), () -> "");
                    crash(launcher, CRASHES.get(i));
                }
                sending.get();
                for (Future<RecordMetadata> f : traffic.sent) {
                    f.get(); // every activity record is in Kafka
                }
                for (int p = 0; p < 2; p++) {
                    Event c = closers.get(p);
                    kafka.send(new ProducerRecord<>(activityTopic.name(), p, c.user().getBytes(StandardCharsets.UTF_8),
                            new UserEventCodec().encodeJson(EndToEndITCase.userEvent(c)))).get();
                }
                try (Connection pg = db.connect()) {
                    EndToEndITCase.applyEngagement(pg, List.of(engagementCloser));
                }

                try (Connection pg = db.connect();
                     CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                             .withLocalDatacenter(stack.cassandraDatacenter()).build();
                     Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
                    try {
                        EndToEndITCase.verifyEverySink(run, prefix, activity, List.of(), closers, changes, engagementCloser, content, pg,
                                cassandra, redis, lake, enriched, lateTopic);
                        assertThat(dead.readAll()).as("dead letters").isEmpty();
                    } finally {
                        EndToEndITCase.cleanUp(run, prefix, activity, cassandra, redis);
                    }
                }
            } finally {
                traffic.stop();
                EndToEndITCase.cancelQuietly(ingest);
                EndToEndITCase.cancelQuietly(process);
            }
        }
    }

    /** SIGKILL of the service's process and all it started, down for a while, then started again as a user would. */
    private static void crash(LocalStack launcher, Crash crash) throws Exception {
        System.out.println(Instant.now() + " StoreCrashITCase: killing " + crash.service() + " for " + crash.down().toSeconds() + " s");
        Path pidFile = launcher.home().resolve(crash.service()).resolve("pid");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no " + crash.service() + " process " + pid));
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process);
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : tree) {
            p.onExit().get();
        }
        long since = System.nanoTime();
        while (System.nanoTime() - since < crash.down().toNanos()) {
            Thread.sleep(250); // the outage itself: traffic goes on meanwhile
        }
        assertThat(launcher.launcher(new String[] {crash.service()}, "up").exitCode()).as(crash.service() + " started again").isZero();
        System.out.println(Instant.now() + " StoreCrashITCase: " + crash.service() + " is back");
    }

    /** A producer that rides out a minute of Kafka being down: it retries every record until Kafka takes it. */
    private static KafkaProducer<byte[], byte[]> patientProducer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.idempotence", "true");
        props.put("acks", "all");
        props.put("delivery.timeout.ms", "600000");
        props.put("max.block.ms", "600000");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * The traffic: activity to Kafka and engagement to PostgreSQL, interleaved in event-time order, about
     * 2 per second; a write PostgreSQL does not take (it is down) is tried again until it does.
     */
    private static final class Traffic implements Runnable {
        private final KafkaProducer<byte[], byte[]> kafka;
        private final String topic;
        private final ScratchDatabase db;
        private final List<Event> activity;
        private final List<EngagementChange> changes;
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        private final AtomicInteger done = new AtomicInteger();
        private volatile boolean stopped;

        Traffic(KafkaProducer<byte[], byte[]> kafka, String topic, ScratchDatabase db, List<Event> activity, List<EngagementChange> changes) {
            this.kafka = kafka;
            this.topic = topic;
            this.db = db;
            this.activity = activity;
            this.changes = changes;
        }

        double progress() {
            return done.get() / (double) (activity.size() + changes.size());
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void run() {
            UserEventCodec codec = new UserEventCodec();
            int a = 0;
            int c = 0;
            Connection pg = null;
            try {
                while ((a < activity.size() || c < changes.size()) && !stopped) {
                    boolean nextIsActivity = c >= changes.size() || a < activity.size() && activity.get(a).time() <= changes.get(c).time();
                    if (nextIsActivity) {
                        Event e = activity.get(a++);
                        sent.add(kafka.send(new ProducerRecord<>(topic, e.user().getBytes(StandardCharsets.UTF_8),
                                codec.encodeJson(EndToEndITCase.userEvent(e)))));
                    } else {
                        EngagementChange change = changes.get(c++);
                        while (!stopped) {
                            try {
                                if (pg == null) {
                                    pg = db.connect();
                                }
                                EndToEndITCase.applyEngagement(pg, List.of(change)); // an upsert or a delete: safe to repeat
                                break;
                            } catch (Exception down) {
                                close(pg);
                                pg = null;
                                Thread.sleep(500);
                            }
                        }
                    }
                    done.incrementAndGet();
                    Thread.sleep(CRASHES.size() > 6 ? 1000 : 500); // pace: the traffic spans the crashes
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close(pg);
            }
        }

        private static void close(Connection pg) {
            if (pg != null) {
                try {
                    pg.close();
                } catch (SQLException ignored) {
                    // already gone with the server
                }
            }
        }
    }
}
