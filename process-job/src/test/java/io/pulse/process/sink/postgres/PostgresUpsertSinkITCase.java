package io.pulse.process.sink.postgres;

import io.pulse.process.sink.SinkDeadLetters;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.Tables;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.process.model.SessionCount;
import io.pulse.process.model.UserSession;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL upsert sink against the real PostgreSQL and Kafka of the test stack, on a database
 * and a dead_letter topic of its own: a batch holds each key once, and a row the database refuses for
 * good goes to dead_letter while the rest of its batch is written and the job goes on.
 */
class PostgresUpsertSinkITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long NOON = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    /** Larger than every batch here: each job's rows go out as one batch, at the end of the input. */
    private static final int BATCH_SIZE = 1000;

    private StackEndpoints stack;
    private ScratchDatabase db;
    private ScratchTopic deadLetterTopic;

    @BeforeEach
    void scratch() {
        stack = LocalStack.sharedEndpoints();
        db = ScratchDatabase.create(stack, "pg_sink_it");
        deadLetterTopic = ScratchTopic.create(stack, "dead-letter-it", 1);
    }

    @AfterEach
    void drop() {
        deadLetterTopic.close();
        db.close();
    }

    private PostgresUpsertSinks sinks() {
        return new PostgresUpsertSinks(db.jdbcUrl(), db.user(), "", BATCH_SIZE, Duration.ofMinutes(1), 2, Duration.ofMillis(10),
                new SinkDeadLetters(io.pulse.model.settings.KafkaClient.of(stack.kafkaBootstrap()), deadLetterTopic.name(), DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES));
    }

    /** Runs a bounded job writing {@code rows} in this order; returns normally only if the job finished. */
    @SuppressWarnings("unchecked")
    private static <T> void run(Class<T> type, Sink<T> sink, List<T> rows) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(TypeInformation.of(type), (T[]) rows.toArray()).sinkTo(sink);
        env.execute("postgres-sink-it");
    }

    private Map<String, Long> aggregatedCounts() throws Exception {
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT group_key, count_value FROM aggregated_counts ORDER BY group_key")) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getLong(2));
            }
        }
        return rows;
    }

    private List<String> userSessionIds() throws Exception {
        List<String> users = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT user_id FROM user_sessions ORDER BY user_id")) {
            while (rs.next()) {
                users.add(rs.getString(1));
            }
        }
        return users;
    }

    private List<DeadLetter> deadLetters(int expected) {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : deadLetterTopic.awaitRecords(expected, Duration.ofSeconds(30))) {
            letters.add(DeadLetter.fromJson(r.value()));
        }
        return letters;
    }

    /** The user_id of a dead-lettered user_sessions row (its payload is the row as JSON). */
    private static String userIdOf(DeadLetter letter) {
        try {
            return JSON.readTree(letter.payload()).get("userId").asText();
        } catch (java.io.IOException e) {
            throw new AssertionError("the payload of a sink's dead letter is the row's JSON", e);
        }
    }

    private static UserSession session(String user, String endReason) {
        return new UserSession(user, NOON, NOON + 60_000, 60, 3, endReason);
    }

    @Test
    void oneKeyTwiceInOneBatchKeepsTheLastRow() throws Exception {
        run(SessionCount.class, sinks().aggregatedCounts(), List.of(
                new SessionCount("u-1:1000", 1, NOON),
                new SessionCount("u-2:1000", 7, NOON),
                new SessionCount("u-1:1000", 5, NOON + 1000)));

        assertThat(aggregatedCounts()).containsExactly(Map.entry("u-1:1000", 5L), Map.entry("u-2:1000", 7L));
        assertThat(deadLetterTopic.readAll()).isEmpty();
    }

    @Test
    void aRowOverTheColumnsLengthGoesToDeadLetterAndTheRestOfItsBatchIsWritten() throws Exception {
        String tooLong = "u-" + "x".repeat(300) + ":1000"; // group_key is varchar(255)
        List<SessionCount> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(new SessionCount(i == 6 ? tooLong : "u-" + i + ":1000", i + 1, NOON));
        }
        run(SessionCount.class, sinks().aggregatedCounts(), rows); // finishes: the refused row does not fail the job

        Map<String, Long> table = aggregatedCounts();
        assertThat(table).hasSize(9).doesNotContainKey(tooLong).containsEntry("u-0:1000", 1L).containsEntry("u-9:1000", 10L);

        DeadLetter letter = deadLetters(1).get(0);
        assertThat(letter.reason()).isEqualTo("SINK_REJECTED");
        assertThat(letter.sink()).isEqualTo("postgres");
        assertThat(letter.topic()).isEqualTo(Tables.AGGREGATED_COUNTS);
        assertThat(letter.detail()).contains("value too long for type character varying(255)", "SQLSTATE 22001");
        JsonNode row = JSON.readTree(letter.payload());
        assertThat(row.get("groupKey").asText()).isEqualTo(tooLong);
        assertThat(row.get("countValue").asLong()).isEqualTo(7);
        assertThat(deadLetterTopic.readAll()).hasSize(1);
    }

    @Test
    void rowsWithANulCharacterOrAgainstACheckConstraintGoToDeadLetterAndTheOthersAreWritten() throws Exception {
        List<UserSession> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rows.add(session("u-" + i, "timeout"));
        }
        rows.add(3, session("u-nul\u0000", "ended")); // PostgreSQL text cannot hold U+0000
        rows.add(session("u-bogus", "bogus")); // end_reason IN ('ended', 'timeout', 'superseded')
        run(UserSession.class, sinks().userSessions(), rows);

        assertThat(userSessionIds()).containsExactly("u-0", "u-1", "u-2", "u-3", "u-4", "u-5", "u-6", "u-7");

        List<DeadLetter> letters = deadLetters(2);
        assertThat(letters).hasSize(2).allSatisfy(l -> {
            assertThat(l.reason()).isEqualTo("SINK_REJECTED");
            assertThat(l.sink()).isEqualTo("postgres");
            assertThat(l.topic()).isEqualTo(Tables.USER_SESSIONS);
        });
        assertThat(letters).extracting(PostgresUpsertSinkITCase::userIdOf).containsExactlyInAnyOrder("u-nul\u0000", "u-bogus");
        DeadLetter nul = letters.stream().filter(l -> new String(l.payload(), StandardCharsets.UTF_8).contains("u-nul")).findFirst()
                .orElseThrow();
        assertThat(nul.detail()).contains("0x00", "SQLSTATE 22021");
        DeadLetter bogus = letters.stream().filter(l -> new String(l.payload(), StandardCharsets.UTF_8).contains("u-bogus")).findFirst()
                .orElseThrow();
        assertThat(bogus.detail()).contains("violates check constraint", "SQLSTATE 23514");
    }
}
