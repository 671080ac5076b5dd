package io.pulse.process.sink.clickhouse;

import io.pulse.process.sink.EngagementRows;
import io.pulse.process.sink.SinkDeadLetters;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.avro.EnrichedEngagement;
import io.pulse.model.diagnostics.DeadLetter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ClickHouse sink against the real ClickHouse and Kafka of the test stack, on a table and a
 * dead_letter topic of its own: a row ClickHouse refuses for its data goes to dead_letter, the other
 * rows of its batch reach the table, and the job finishes.
 */
class ClickHouseHttpSinkDeadLetterITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOON = Instant.parse("2025-07-24T12:00:00Z");
    private final HttpClient http = HttpClient.newHttpClient();
    private StackEndpoints stack;
    private String table;
    private ScratchTopic deadLetterTopic;

    @BeforeEach
    void scratch() throws Exception {
        stack = LocalStack.sharedEndpoints();
        table = "pulse.it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        ddl("CREATE TABLE " + table + " AS pulse.engagement_enriched");
        deadLetterTopic = ScratchTopic.create(stack, "dead-letter-it", 1);
    }

    @AfterEach
    void drop() throws Exception {
        deadLetterTopic.close();
        ddl("DROP TABLE IF EXISTS " + table);
    }

    private static String row(int i) {
        return EngagementRows.clickhouse(EnrichedEngagement.newBuilder().setEventId("e-" + i).setEventTime(NOON.plusSeconds(i))
                .setUserId("u-" + i).setEventType("like").setContentId("c-1").setTitle("Title").setContentType("video")
                .setLengthSeconds(120).setDurationMs(null).setDevice("Web").setScore(3.0).setProcessingTime(NOON.plusSeconds(60))
                .build());
    }

    /** Row {@code i} with one field's value replaced by a JSON string ClickHouse cannot read into its column. */
    private static String withText(int i, String field, String text) {
        try {
            var node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(row(i));
            node.put(field, text);
            return node.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void run(List<String> rows) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        // One batch for all rows (size 100, interval 1 min), sent at the end of the input.
        ClickHouseHttpSink.Options options = new ClickHouseHttpSink.Options(stack.clickhouseUrl(), table, 100, Duration.ofMinutes(1), 2,
                Duration.ofMillis(10));
        env.fromData(Types.STRING, rows.toArray(new String[0])).sinkTo(new ClickHouseHttpSink<String>(options, row -> row,
                new SinkDeadLetters(io.pulse.model.settings.KafkaClient.of(stack.kafkaBootstrap()), deadLetterTopic.name(), DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES)));
        env.execute("clickhouse-dead-letter-it");
    }

    @Test
    void rowsClickHouseRefusesForTheirDataGoToDeadLetterAndTheOthersReachTheTable() throws Exception {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(i == 3 ? withText(i, "score", "not a number") : i == 7 ? withText(i, "event_time", "not a time") : row(i));
        }
        run(rows); // finishes: the refused rows do not fail the job

        List<String> ids = new ArrayList<>();
        for (String line : query("SELECT event_id FROM " + table + " FINAL ORDER BY event_id").strip().split("\n")) {
            ids.add(line);
        }
        assertThat(ids).containsExactly("e-0", "e-1", "e-2", "e-4", "e-5", "e-6", "e-8", "e-9");

        List<ConsumerRecord<byte[], byte[]>> records = deadLetterTopic.awaitRecords(2, Duration.ofSeconds(30));
        assertThat(records).hasSize(2);
        List<DeadLetter> letters = records.stream().map(r -> DeadLetter.fromJson(r.value())).toList();
        assertThat(letters).allSatisfy(l -> {
            assertThat(l.reason()).isEqualTo("SINK_REJECTED");
            assertThat(l.sink()).isEqualTo("clickhouse");
            assertThat(l.topic()).isEqualTo("clickhouse " + table);
            assertThat(l.detail()).contains("Code: "); // ClickHouse's own message
        });
        assertThat(letters).extracting(l -> new String(l.payload(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder(rows.get(3), rows.get(7));
    }

    private String query(String sql) throws Exception {
        URI uri = URI.create(stack.clickhouseUrl() + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private void ddl(String sql) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(stack.clickhouseUrl() + "/"))
                .POST(HttpRequest.BodyPublishers.ofString(sql)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }
}
