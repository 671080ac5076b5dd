package io.pulse.process.sink.clickhouse;

import io.pulse.process.sink.EngagementRows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.model.avro.EnrichedEngagement;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ClickHouse sink against the real ClickHouse of the test stack, on a table of its own. */
class ClickHouseHttpSinkITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOON = Instant.parse("2025-07-24T12:00:00Z");
    private final HttpClient http = HttpClient.newHttpClient();
    private StackEndpoints stack;
    private String table;

    @BeforeEach
    void scratchTable() throws Exception {
        stack = LocalStack.sharedEndpoints();
        table = "pulse.it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        ddl("CREATE TABLE " + table + " AS pulse.engagement_enriched");
    }

    @AfterEach
    void dropTable() throws Exception {
        ddl("DROP TABLE IF EXISTS " + table);
    }

    private static EnrichedEngagement event(int i, String title) {
        return EnrichedEngagement.newBuilder().setEventId("e-" + i).setEventTime(NOON.plusSeconds(i)).setUserId("u-" + i)
                .setEventType("like").setContentId("c-1").setTitle(title).setContentType(title == null ? null : "video")
                .setLengthSeconds(title == null ? null : 120).setDurationMs(null).setDevice("Web").setScore(3.0)
                .setProcessingTime(NOON.plusSeconds(60)).build();
    }

    private void run(List<String> rows, ClickHouseHttpSink.Options options) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(Types.STRING, rows.toArray(new String[0])).sinkTo(new ClickHouseHttpSink<String>(options, row -> row));
        env.execute("clickhouse-sink-it");
    }

    private ClickHouseHttpSink.Options options(String url) {
        return new ClickHouseHttpSink.Options(url, table, 7, Duration.ofSeconds(1), 2, Duration.ofMillis(10));
    }

    @Test
    void rowsArriveInBatchesAndAReplayCollapsesByEventId() throws Exception {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rows.add(EngagementRows.clickhouse(event(i, i % 2 == 0 ? "Title " + i : null)));
        }
        run(rows, options(stack.clickhouseUrl()));
        run(rows, options(stack.clickhouseUrl())); // the same rows again, as after a restart

        assertThat(query("SELECT count() FROM " + table + " FINAL").strip()).isEqualTo("20");
        JsonNode row = JSON.readTree(query("SELECT * FROM " + table + " FINAL WHERE event_id = 'e-2' FORMAT JSONEachRow"));
        assertThat(row.get("title").asText()).isEqualTo("Title 2");
        assertThat(row.get("event_time").asText()).isEqualTo("2025-07-24 12:00:02");
        assertThat(row.get("length_seconds").asInt()).isEqualTo(120);
        assertThat(row.get("score").asDouble()).isEqualTo(3.0);
        JsonNode missingContent = JSON.readTree(query("SELECT * FROM " + table + " FINAL WHERE event_id = 'e-3' FORMAT JSONEachRow"));
        assertThat(missingContent.get("title").isNull()).isTrue();
    }

    @Test
    void aBatchGoesOutWhenItsIntervalHasPassedThoughNoRowAndNoCheckpointFollows() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1); // no checkpointing: only the interval can send the three rows (the batch size is 7)
        List<String> rows = List.of(EngagementRows.clickhouse(event(1, "t")), EngagementRows.clickhouse(event(2, "t")),
                EngagementRows.clickhouse(event(3, "t")));
        env.addSource(new io.pulse.process.sink.ThenQuiet<>(() -> rows), Types.STRING).sinkTo(new ClickHouseHttpSink<String>(options(stack.clickhouseUrl()), row -> row));
        org.apache.flink.core.execution.JobClient job = env.executeAsync("clickhouse-sink-interval-it");
        try {
            io.pulse.process.SinkContents.awaitTrue("the three rows in " + table, Duration.ofSeconds(60),
                    () -> quietly("SELECT count() FROM " + table).equals("3"), () -> "rows: " + quietly("SELECT count() FROM " + table));
        } finally {
            job.cancel().get();
        }
    }

    private String quietly(String sql) {
        try {
            return query(sql).strip();
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void anUnreachableServerFailsTheJobWithTheReason() {
        assertThatThrownBy(() -> run(List.of(EngagementRows.clickhouse(event(1, "t"))), options("http://127.0.0.1:1")))
                .hasStackTraceContaining("ClickHouse at http://127.0.0.1:1 did not take 1 rows")
                .hasStackTraceContaining("after 2 attempts");
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
