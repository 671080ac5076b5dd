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

/**
 * Redis killed in the middle of a run (a private stack: PostgreSQL, Kafka, Redis): the sinks retry,
 * the job fails over and restarts from its checkpoint with backoff, and once Redis is back every
 * window and content hash holds exactly what it would without the crash — nothing missing, nothing
 * doubled.
 */
class RedisCrashITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = 60_000;

    @TempDir Path temp;

    /**
     * Redis SIGKILLed twice while the job writes (issue 32): once for 10 s, inside the sinks' retries,
     * coming back from its append-only file; once for 40 s, past them (the job restarts from its
     * checkpoint), coming back with its data directory gone, as a Redis without persistence would. Every
     * window still inside its TTL, the leaderboard and every content hash are there in the end, with
     * TTLs, as if Redis had never failed.
     */
    @Test
    void everyWindowAndTitleIsBackAfterRedisIsKilledAndComesBackEmpty() throws Exception {
        try (LocalStack stack = LocalStack.start(LocalStack.privateHome("redis-crash"), LocalStack.freePortOffset(-41000),
                "postgres", "kafka", "redis")) {
            StackEndpoints endpoints = stack.endpoints();
            List<String> contents = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString(), UUID.randomUUID().toString());
            Random random = new Random(5);
            String[] types = {"comment", "complete", "like", "share", "view"};
            List<List<EngagementChange>> parts = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int i = 0; i < 300; i++) {
                long time = T0 + i * 15_000L + random.nextInt(15_000); // 75 minutes of data, in order
                EngagementChange e = new EngagementChange(UUID.randomUUID().toString(), contents.get(i < 100 ? random.nextInt(2) : random.nextInt(3)),
                        "u" + random.nextInt(5), types[random.nextInt(types.length)], time, false);
                parts.get(i / 100).add(e);
            }
            List<EngagementChange> all = concat(concat(parts.get(0), parts.get(1)), parts.get(2));
            Map<Long, Map<String, Double>> expected = ReferenceModel.leaderboardWindows(all);
            try (ScratchDatabase db = ScratchDatabase.create(endpoints, "crash");
                 ScratchTopic engagement = ScratchTopic.create(endpoints, "engagement-crash", 1);
                 KafkaProducer<byte[], byte[]> kafka = TestJobs.kafkaProducer(endpoints.kafkaBootstrap())) {
                try (Connection c = db.connect(); PreparedStatement insert =
                        c.prepareStatement("INSERT INTO content (content_id, title, content_type) VALUES (?, ?, 'video')")) {
                    for (String id : contents) {
                        insert.setObject(1, UUID.fromString(id));
                        insert.setString(2, "title of " + id);
                        insert.executeUpdate();
                    }
                }
                AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
                ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", endpoints.kafkaBootstrap(),
                        "--kafka.engagement-topic", engagement.name(), "--kafka.group-id", "crash",
                        "--kafka.transactional-id-prefix", "crash-" + UUID.randomUUID(), "--sinks", "redis",
                        "--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                        "--postgres.database", db.name(), "--postgres.user", db.user(),
                        "--redis.host", endpoints.redisHost(), "--redis.port", Integer.toString(endpoints.redisPort()),
                        "--checkpoint.interval", "1s", "--checkpoint.dir", temp.resolve("checkpoints").toUri().toString());
                JobClient job = TestJobs.startProcessJob(settings, null, 0, "redis-crash-it");
                try {
                    send(kafka, engagement.name(), avro, parts.get(0));
                    awaitTrue("the first part's windows and titles in Redis", Duration.ofSeconds(120), () -> {
                        try (Jedis redis = new Jedis(endpoints.redisHost(), endpoints.redisPort())) {
                            return redisWindows(redis, "", expected.keySet()).size() >= 10 && redis.exists("content:" + contents.get(0));
                        }
                    }, () -> "");
                    crash(stack, Duration.ofSeconds(10), false, job);
                    send(kafka, engagement.name(), avro, parts.get(1));
                    awaitTrue("the second part's windows in Redis", Duration.ofSeconds(180), () -> {
                        try (Jedis redis = new Jedis(endpoints.redisHost(), endpoints.redisPort())) {
                            return redisWindows(redis, "", expected.keySet()).size() >= 25;
                        } catch (RuntimeException down) {
                            return false;
                        }
                    }, () -> "");
                    crash(stack, Duration.ofSeconds(40), true, job);
                    send(kafka, engagement.name(), avro, parts.get(2));
                    send(kafka, engagement.name(), avro, List.of(new EngagementChange(UUID.randomUUID().toString(), contents.get(0), "u0",
                            "view", T0 + 300 * MINUTE, false)));

                    try (Jedis back = new Jedis(endpoints.redisHost(), endpoints.redisPort())) {
                        awaitTrue("every window after the crashes", Duration.ofSeconds(180),
                                () -> redisWindows(back, "", expected.keySet()).equals(expected),
                                () -> windowDifferences(redisWindows(back, "", expected.keySet()), expected));
                        long lastEnd = ((TreeMap<Long, Map<String, Double>>) expected).lastKey();
                        assertThat(leaderboard(back, "leaderboard")).isEqualTo(expected.get(lastEnd));
                        for (String id : contents) {
                            assertThat(back.hget("content:" + id, "title")).as("title of " + id).isEqualTo("title of " + id);
                            assertThat(back.pttl("content:" + id)).as("TTL of content:" + id).isPositive();
                        }
                        for (long end : expected.keySet()) {
                            String key = io.pulse.model.Tables.leaderboardWindowKey(Instant.ofEpochMilli(end));
                            assertThat(back.pttl(key)).as("TTL of " + key).isPositive();
                        }
                    }
                } finally {
                    job.cancel().get();
                }
            }
        }
    }

    /** SIGKILL of Redis, down for {@code down} while the job keeps running, started again, its data gone if {@code wipe}. */
    private static void crash(LocalStack stack, Duration down, boolean wipe, JobClient job) throws Exception {
        Path dir = stack.home().resolve("redis");
        long pid = Long.parseLong(java.nio.file.Files.readString(dir.resolve("pid")).trim());
        ProcessHandle redis = ProcessHandle.of(pid).orElseThrow();
        redis.destroyForcibly(); // SIGKILL
        redis.onExit().get();
        if (wipe) {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .filter(f -> !f.equals(dir) && !f.getFileName().toString().endsWith(".log"))
                        .forEach(f -> f.toFile().delete());
            }
        }
        long since = System.nanoTime();
        while (System.nanoTime() - since < down.toNanos()) {
            JobStatus status = job.getJobStatus().get();
            assertThat(status.isGloballyTerminalState()).as("job status while Redis is down: " + status).isFalse();
            pause();
        }
        assertThat(stack.launcher(new String[] {"redis"}, "up").exitCode()).isZero();
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
