package io.pulse.process;

import static io.pulse.process.FanOutITCase.engagementEvent;
import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.leaderboard;
import static io.pulse.process.SinkContents.redisWindows;
import static io.pulse.process.SinkContents.windowDifferences;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.process.ReferenceModel.EngagementChange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.SaveMode;

/**
 * Redis stopped for 20 s in the middle of a run (a private stack: PostgreSQL, Kafka, Redis): the
 * leaderboard sink retries, the job fails over and restarts from its checkpoint with backoff, and
 * once Redis is back every window holds exactly its scores — nothing missing, nothing doubled.
 */
class RedisOutageITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = 60_000;
    private static final Duration OUTAGE = Duration.ofSeconds(20);

    @TempDir Path temp;

    @Test
    void theLeaderboardIsCompleteAfterRedisWasDownFor20Seconds() throws Exception {
        try (LocalStack stack = LocalStack.start(LocalStack.privateHome("redis-outage"), LocalStack.freePortOffset(-40000),
                "postgres", "kafka", "redis")) {
            StackEndpoints endpoints = stack.endpoints();
            List<String> contents = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
            Random random = new Random(3);
            String[] types = {"comment", "complete", "like", "share", "view"};
            List<EngagementChange> first = new ArrayList<>();
            List<EngagementChange> second = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long time = T0 + (i / 5) * 15_000 + random.nextInt(15_000); // 50 minutes of data, in order
                EngagementChange e = new EngagementChange(UUID.randomUUID().toString(), contents.get(random.nextInt(2)), "u" + random.nextInt(5),
                        types[random.nextInt(types.length)], time, false);
                (time < T0 + 20 * MINUTE ? first : second).add(e);
            }
            Map<Long, Map<String, Double>> expected = ReferenceModel.leaderboardWindows(concat(first, second));

            try (ScratchDatabase db = ScratchDatabase.create(endpoints, "outage");
                 ScratchTopic engagement = ScratchTopic.create(endpoints, "engagement-outage", 1);
                 KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(endpoints.kafkaBootstrap());
                 Jedis redis = new Jedis(endpoints.redisHost(), endpoints.redisPort())) {
                try (Connection c = db.connect(); PreparedStatement insert =
                        c.prepareStatement("INSERT INTO content (content_id, title, content_type) VALUES (?, ?, 'video')")) {
                    for (String id : contents) {
                        insert.setObject(1, UUID.fromString(id));
                        insert.setString(2, "title of " + id);
                        insert.executeUpdate();
                    }
                }
                AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
                send(kafka, engagement.name(), avro, first);

                ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", endpoints.kafkaBootstrap(),
                        "--kafka.engagement-topic", engagement.name(), "--kafka.group-id", "outage",
                        "--kafka.transactional-id-prefix", "outage-" + UUID.randomUUID(), "--sinks", "redis",
                        "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                        "--postgres.database", db.name(), "--postgres.user", db.user(),
                        "--redis.host", endpoints.redisHost(), "--redis.port", Integer.toString(endpoints.redisPort()),
                        "--sink.max-attempts", "4", "--sink.first-backoff", "200ms",
                        "--checkpoint.interval", "1s", "--checkpoint.dir", temp.resolve("checkpoints").toUri().toString());
                JobClient job = TestJobs.startProcessJob(settings, null, 0, "redis-outage-it");
                try {
                    awaitTrue("first windows in Redis", Duration.ofSeconds(120), () -> !redisWindows(redis, "", expected.keySet()).isEmpty(),
                            () -> "none yet");

                    // Redis goes away (saving its data, as a restarted production Redis would have it) ...
                    redis.shutdown(SaveMode.SAVE);
                    long down = System.nanoTime();
                    send(kafka, engagement.name(), avro, second);
                    long closer = T0 + 300 * MINUTE;
                    send(kafka, engagement.name(), avro, List.of(new EngagementChange(UUID.randomUUID().toString(), contents.get(0), "u0", "view",
                            closer, false)));
                    // ... for 20 s, during which the job may fail over and restart but never gives up.
                    while (System.nanoTime() - down < OUTAGE.toNanos()) {
                        JobStatus status = job.getJobStatus().get();
                        assertThat(status.isGloballyTerminalState()).as("job status during the outage: " + status).isFalse();
                        pause();
                    }
                    assertThat(stack.launcher(new String[] {"redis"}, "up").exitCode()).isZero();

                    try (Jedis back = new Jedis(endpoints.redisHost(), endpoints.redisPort())) {
                        awaitTrue("every window after the outage", Duration.ofSeconds(180),
                                () -> redisWindows(back, "", expected.keySet()).equals(expected),
                                () -> windowDifferences(redisWindows(back, "", expected.keySet()), expected));
                        long lastEnd = ((TreeMap<Long, Map<String, Double>>) expected).lastKey();
                        assertThat(leaderboard(back, "leaderboard")).isEqualTo(expected.get(lastEnd));
                        for (String id : contents) {
                            assertThat(back.hget("content:" + id, "title")).isEqualTo("title of " + id);
                        }
                    }
                } finally {
                    job.cancel().get();
                }
            }
        }
    }

    private static List<EngagementChange> concat(List<EngagementChange> a, List<EngagementChange> b) {
        List<EngagementChange> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void send(KafkaProducer<byte[], byte[]> kafka, String topic, AvroSingleObjectCodec<EngagementEvent> avro,
                             List<EngagementChange> events) {
        for (EngagementChange e : events) {
            kafka.send(new ProducerRecord<>(topic, e.id().getBytes(StandardCharsets.UTF_8), avro.encode(engagementEvent(e))));
        }
        kafka.flush();
    }

    /** Between two polls of a condition: the condition, not the pause, decides when the wait ends. */
    private static void pause() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
