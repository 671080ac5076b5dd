package io.pulse.e2e;

import static io.pulse.process.SinkContents.awaitTrue;
import static io.pulse.process.SinkContents.clickhouseRows;
import static io.pulse.process.SinkContents.difference;
import static io.pulse.process.SinkContents.postgresRows;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.pulse.e2e.stack.TestStack;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.process.Datasets;
import io.pulse.process.ReferenceModel;
import io.pulse.process.ReferenceModel.EngagementChange;
import io.pulse.process.ReferenceModel.Event;
import io.pulse.producer.generate.HostileRecords;
import io.pulse.producer.generate.HostileRecords.Hostile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Hostile input against the real stack with both jobs on the cluster (DESIGN.md "Input limits"):
 * more than 40 kinds of hostile activity records (each field's type, length, range and encoding
 * edges, huge, deeply nested, invalid UTF-8, wrong Avro fingerprint, truncated Avro, CSV with extra
 * fields, the records of issue 21), hostile engagement rows written to PostgreSQL and captured by
 * the ingest job, and garbage on the engagement topic, interleaved with on-time traffic. The hostile
 * activity records all go to one partition of user_activity, and keep arriving while the test waits
 * for the windows to close: only if a partition that carries nothing but rejected records goes idle
 * does the watermark move. Then: neither job failed or restarted, each hostile record is in
 * dead_letter exactly once with its reason, and every sink equals {@link ReferenceModel} over the
 * on-time records alone.
 */
class HostileInputITCase {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;
    private static final int BIG = 3_000_000;
    private static final UserEventCodec CODEC = new UserEventCodec();

    private static TestStack servers;
    private static String processJar;
    private static String ingestJar;

    @BeforeAll
    static void cluster() throws Exception {
        servers = TestStack.current();
        EndToEndITCase.servers = servers;
        EndToEndITCase.stack = servers.endpoints();
        EndToEndITCase.flink = new FlinkRest(EndToEndITCase.stack.flinkRest());
        processJar = EndToEndITCase.flink.upload(EndToEndITCase.jar("process-job", "process-job-", "-job.jar"));
        ingestJar = EndToEndITCase.flink.upload(EndToEndITCase.jar("ingest-job", "ingest-job-", "-job.jar"));
    }

    @AfterAll
    static void close() {
        servers.close();
    }

    @Test
    void hostileRecordsAreDeadLetteredOnceAndNeitherStopNorStallThePipeline() throws Exception {
        var stack = EndToEndITCase.stack;
        var flink = EndToEndITCase.flink;
        String run = "hx" + UUID.randomUUID().toString().substring(0, 6);
        List<Event> onTime = new ArrayList<>(EndToEndITCase.prefixed(Datasets.onTimeEvents(T0), run));
        // Issue 21: a logout and a session_end of one user at the same millisecond, with no open session.
        onTime.add(new Event(run + "same-1", run + "same", "logout", T0 + 10 * MINUTE, "Web", null));
        onTime.add(new Event(run + "same-2", run + "same", "session_end", T0 + 10 * MINUTE, "Web", null));
        List<Event> closers = List.of(new Event(run + "closer-0", run + "closer-0", "click", T0 + 180 * MINUTE, "Web", null));
        List<Event> sendOrder = EndToEndITCase.arrivalOrder(onTime, 21);

        Map<String, String[]> content = EndToEndITCase.content(run, 2);
        List<String> contentIds = List.copyOf(content.keySet());
        List<EngagementChange> changes = EndToEndITCase.engagement(run, contentIds, UUID.randomUUID().toString(), T0, T0 + 15 * MINUTE, 3);
        EngagementChange engagementCloser = new EngagementChange(UUID.randomUUID().toString(), contentIds.get(0), run + "-closer",
                "view", T0 + 300 * MINUTE, false);

        List<Hostile> kinds = HostileRecords.activityKinds(run, System.currentTimeMillis());
        assertThat(kinds.stream().map(Hostile::kind).distinct().count()).as("kinds of hostile activity records").isGreaterThanOrEqualTo(40);
        List<Hostile> engagementGarbage = engagementGarbage(run);

        Path lake = servers.sharedDirectory("lake-" + run);
        String prefix = run + ":";
        Map<String, String> big = Map.of("max.message.bytes", Integer.toString(BIG));
        try (ScratchDatabase db = ScratchDatabase.create(stack, "hostile");
             ScratchTopic activity = ScratchTopic.create(stack, "hx-activity", 2, big);
             ScratchTopic engagementTopic = ScratchTopic.create(stack, "hx-engagement", 2, big);
             ScratchTopic enriched = ScratchTopic.create(stack, "hx-enriched", 2);
             ScratchTopic lateTopic = ScratchTopic.create(stack, "hx-late", 1);
             ScratchTopic dead = ScratchTopic.create(stack, "hx-dead", 1);
             KafkaProducer<byte[], byte[]> kafka = producer(stack.kafkaBootstrap());
             Connection pg = db.connect();
             CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                     .withLocalDatacenter(stack.cassandraDatacenter()).build();
             Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            EndToEndITCase.insertContent(pg, content);
            List<String> ingestArgs = EndToEndITCase.ingestArgs(run, db, engagementTopic);
            // The default idleness (30 s): with a short one the engagement splits would be idle before the first
            // changes, and the split read first would carry the watermark past the other's changes (late).
            List<String> processArgs = EndToEndITCase.processArgs(run, prefix, db, activity, engagementTopic, enriched, lateTopic, dead, lake);
            String ingest = flink.run(ingestJar, ingestArgs, null);
            String process = flink.run(processJar, processArgs, null);
            List<Hostile> sent = new ArrayList<>();
            Map<String, RejectReason> engagementRejects = new TreeMap<>();
            try {
                awaitTrue("both jobs running", EndToEndITCase.WAIT, () -> flink.allRunning(ingest) && flink.allRunning(process), () -> "");
                awaitTrue("the ingest job's replication slot", EndToEndITCase.WAIT, () -> EndToEndITCase.slotActive(pg, "slot_" + run),
                        () -> "");

                // On-time activity on partition 0, the hostile records between them on partition 1.
                int every = Math.max(1, sendOrder.size() / kinds.size());
                int next = 0;
                for (int i = 0; i < sendOrder.size(); i++) {
                    Event e = sendOrder.get(i);
                    kafka.send(new ProducerRecord<>(activity.name(), 0, e.user().getBytes(StandardCharsets.UTF_8),
                            CODEC.encodeAvro(EndToEndITCase.userEvent(e))));
                    if (i % every == 0 && next < kinds.size()) {
                        send(kafka, activity.name(), kinds.get(next++), sent);
                    }
                }
                while (next < kinds.size()) {
                    send(kafka, activity.name(), kinds.get(next++), sent);
                }
                for (Event c : closers) {
                    kafka.send(new ProducerRecord<>(activity.name(), 0, c.user().getBytes(StandardCharsets.UTF_8),
                            CODEC.encodeAvro(EndToEndITCase.userEvent(c))));
                }
                // Engagement: the valid changes, hostile rows, garbage on the topic, and a closer.
                EndToEndITCase.applyEngagement(pg, changes);
                engagementRejects.putAll(insertHostileEngagement(pg, run, contentIds.get(0)));
                for (Hostile h : engagementGarbage) {
                    send(kafka, engagementTopic.name(), h, sent);
                }
                kafka.flush();
                // The closer only once the changes are in: written in the same ingest transaction, it could
                // reach its partition's split first and move the watermark past changes of the other one.
                Set<String> changed = ReferenceModel.clickhouseRows(changes, content);
                String where = "user_id LIKE '" + run + "-%'";
                awaitTrue("the engagement changes in ClickHouse", EndToEndITCase.WAIT,
                        () -> clickhouseRows(stack.clickhouseUrl(), where).equals(changed),
                        () -> difference(changed, clickhouseRows(stack.clickhouseUrl(), where)));
                EndToEndITCase.applyEngagement(pg, List.of(engagementCloser));

                // While the windows close, rejected records keep arriving on partition 1 (one per poll).
                Map<String, Set<String>> tables = ReferenceModel.postgresTables(onTime);
                int[] drip = {0};
                awaitTrue("every window row, with only rejected records on partition 1", EndToEndITCase.WAIT, () -> {
                    send(kafka, activity.name(), kinds.get(drip[0]++ % kinds.size()), sent);
                    kafka.flush();
                    return tables.entrySet().stream().allMatch(t -> postgresRows(pg, t.getKey()).equals(t.getValue()));
                }, () -> tables.keySet().stream().map(t -> t + ": " + difference(tables.get(t), postgresRows(pg, t)))
                        .reduce("", String::concat));

                EndToEndITCase.verifyEverySink(run, prefix, onTime, List.of(), closers, changes, engagementCloser, content, pg, cassandra,
                        redis, lake, enriched, lateTopic);
                verifyDeadLetters(dead, activity.name(), engagementTopic.name(), sent, engagementRejects);
                assertThat(flink.restarts(process)).as("process job failures (exception history)").isZero();
                assertThat(flink.restarts(ingest)).as("ingest job failures (exception history)").isZero();
                assertThat(flink.allRunning(process) && flink.allRunning(ingest)).as("both jobs still running").isTrue();
            } finally {
                EndToEndITCase.cancelQuietly(ingest);
                EndToEndITCase.cancelQuietly(process);
                EndToEndITCase.cleanUp(run, prefix, onTime, cassandra, redis);
            }
        }
    }

    private static void verifyDeadLetters(ScratchTopic dead, String activityTopic, String engagementTopic, List<Hostile> sent,
                                          Map<String, RejectReason> engagementRejects) {
        int expected = sent.size() + engagementRejects.size();
        List<ConsumerRecord<byte[], byte[]>> records = dead.awaitRecords(expected, EndToEndITCase.WAIT);
        List<DeadLetter> letters = records.stream().map(r -> DeadLetter.fromJson(r.value())).toList();
        AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
        List<String> seen = new ArrayList<>();
        Map<String, RejectReason> cdcSeen = new TreeMap<>();
        for (DeadLetter d : letters) {
            assertThat(d.sink()).as("a record rejected at the edge names no sink: %s", d.detail()).isNull();
            if (d.topic().equals(engagementTopic) && d.reason().equals(RejectReason.ENGAGEMENT_MALFORMED.name()) == false
                    && avro.decode(d.payload()).failure() == null) {
                String id = avro.decode(d.payload()).value().getEventId();
                assertThat(cdcSeen.put(id, RejectReason.valueOf(d.reason()))).as("engagement row %s dead-lettered once", id).isNull();
            } else {
                seen.add(d.topic() + " " + d.reason() + " " + d.payloadSha256());
            }
            if (d.payloadTruncated()) {
                assertThat(d.payload().length).isLessThan((int) d.payloadSize());
            } else {
                assertThat(DeadLetter.sha256(d.payload())).isEqualTo(d.payloadSha256());
            }
        }
        List<String> expectedSeen = sent.stream().map(h -> (h.kind().startsWith("engagement ") ? engagementTopic : activityTopic) + " "
                + h.reason().name() + " " + h.sha()).toList();
        assertThat(seen).as("each hostile record in dead_letter exactly once, with its reason").containsExactlyInAnyOrderElementsOf(expectedSeen);
        assertThat(cdcSeen).as("each hostile engagement row in dead_letter exactly once, with its reason").isEqualTo(engagementRejects);
        assertThat(letters).as("the 900 KB record's dead letter is cut, with its size kept")
                .anyMatch(d -> d.payloadTruncated() && d.payloadSize() > 900_000);
    }

    private static void send(KafkaProducer<byte[], byte[]> kafka, String topic, Hostile h, List<Hostile> sent) {
        kafka.send(new ProducerRecord<>(topic, 1, h.key(), h.payload()));
        sent.add(h);
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.idempotence", "true");
        props.put("acks", "all");
        props.put("max.request.size", Integer.toString(BIG));
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    // ------------------------------------------------------------------ the hostile records

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Records on the engagement topic that are not the ingest job's: each a dead letter. */
    private static List<Hostile> engagementGarbage(String run) {
        return List.of(
                new Hostile("engagement random bytes", utf8(run + "-g1"), new byte[] {7, 7, 7, 7}, RejectReason.ENGAGEMENT_MALFORMED),
                new Hostile("engagement a UserEvent", utf8(run + "-g2"), CODEC.encodeAvro(EndToEndITCase.userEvent(new Event(run + "-g", run + "-g", "click", T0, "Web", "/"))),
                        RejectReason.ENGAGEMENT_MALFORMED),
                new Hostile("engagement JSON", utf8(run + "-g3"), utf8("{\"event_id\":\"x\"}"), RejectReason.ENGAGEMENT_MALFORMED),
                new Hostile("engagement tombstone without a key", null, null, RejectReason.EMPTY),
                new Hostile("engagement tombstone with a 300-character key", utf8("k".repeat(300)), null, RejectReason.FIELD_TOO_LONG));
    }

    /** Engagement rows the application could write that the pipeline must refuse; event id -> expected reason. */
    private static Map<String, RejectReason> insertHostileEngagement(Connection pg, String run, String contentId) throws Exception {
        Map<String, RejectReason> expected = new TreeMap<>();
        String sql = "INSERT INTO engagement_events (event_id, content_id, user_id, event_type, duration_ms, device, event_time) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?)";
        Object[][] rows = {
                {null, run + "-h1", "view", 1000, "Web", T0 + 5 * MINUTE, RejectReason.MISSING_FIELD},
                {contentId, null, "view", 1000, "Web", T0 + 5 * MINUTE, RejectReason.MISSING_FIELD},
                {contentId, run + "-h3", null, 1000, "Web", T0 + 5 * MINUTE, RejectReason.MISSING_FIELD},
                {contentId, run + "-h4", "like", -5, "Web", T0 + 5 * MINUTE, RejectReason.BAD_DURATION},
                {contentId, run + "-h5", "like", 1000, "Web", Instant.parse("2200-01-01T00:00:00Z").toEpochMilli(),
                        RejectReason.EVENT_TIME_OUT_OF_RANGE},
                {contentId, run + "-h6", "like", 1000, "Web", Instant.parse("1960-01-01T00:00:00Z").toEpochMilli(),
                        RejectReason.EVENT_TIME_OUT_OF_RANGE},
                {contentId, run + "-" + "x".repeat(300), "view", 1000, "Web", T0 + 5 * MINUTE, RejectReason.FIELD_TOO_LONG},
                {contentId, run + "-h8\u0001", "view", 1000, "Web", T0 + 5 * MINUTE, RejectReason.CONTROL_CHARACTER},
                {contentId, run + "-h9", "view", 1000, "d".repeat(100), T0 + 5 * MINUTE, RejectReason.FIELD_TOO_LONG},
        };
        try (PreparedStatement insert = pg.prepareStatement(sql)) {
            for (Object[] r : rows) {
                String id = UUID.randomUUID().toString();
                insert.setObject(1, UUID.fromString(id));
                insert.setObject(2, r[0] == null ? null : UUID.fromString((String) r[0]));
                insert.setString(3, (String) r[1]);
                insert.setString(4, (String) r[2]);
                insert.setInt(5, (Integer) r[3]);
                insert.setString(6, (String) r[4]);
                insert.setTimestamp(7, new Timestamp((Long) r[5]));
                insert.executeUpdate();
                expected.put(id, (RejectReason) r[6]);
            }
        }
        return expected;
    }
}
