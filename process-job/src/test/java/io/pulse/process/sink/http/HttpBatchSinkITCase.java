package io.pulse.process.sink.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.mock.MockExternalServer;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP sink against mock-external (the product's stand-in system), on a port the test picks. */
class HttpBatchSinkITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private MockExternalServer external;

    @BeforeEach
    void start() throws Exception {
        external = MockExternalServer.startOnFreePort();
    }

    @AfterEach
    void stop() {
        external.close();
    }

    private void run(int events, HttpBatchSink.Options options) throws Exception {
        String[] rows = new String[events];
        for (int i = 0; i < events; i++) {
            rows[i] = "{\"event_id\":\"e-" + i + "\",\"score\":" + i + "}";
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(Types.STRING, rows).sinkTo(new HttpBatchSink<String>(options, row -> row));
        env.execute("http-sink-it");
    }

    private HttpBatchSink.Options options(int maxAttempts) {
        return new HttpBatchSink.Options("http://127.0.0.1:" + external.port() + "/events", 25, Duration.ofSeconds(5),
                maxAttempts, Duration.ofMillis(5), Duration.ofMillis(100));
    }

    @Test
    void withThirtyPercentFailuresEveryEventArrivesAndDuplicatesAreVisible() throws Exception {
        external.faultsFor(0.3, 0);
        run(1000, options(20));
        var stats = external.ledger().stats();
        assertThat(stats.unique()).isEqualTo(1000);
        assertThat(stats.failedRequests()).isPositive();
        assertThat(stats.duplicates()).isPositive(); // batches stored before their 503 were sent again
        Set<String> keys = new HashSet<>();
        for (JsonNode e : external.ledger().events()) {
            keys.add(e.get("event_id").asText());
        }
        assertThat(keys).hasSize(1000).contains("e-0", "e-999");
    }

    @Test
    void aBatchGoesOutWhenItsIntervalHasPassedThoughNoEventAndNoCheckpointFollows() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1); // no checkpointing: only the interval can send the three events (the batch size is 25)
        env.addSource(new io.pulse.process.sink.ThenQuiet<>(() -> java.util.List.of("{\"event_id\":\"q-1\"}", "{\"event_id\":\"q-2\"}",
                "{\"event_id\":\"q-3\"}")), Types.STRING).sinkTo(new HttpBatchSink<String>(options(3), row -> row));
        org.apache.flink.core.execution.JobClient job = env.executeAsync("http-sink-interval-it");
        try {
            io.pulse.process.SinkContents.awaitTrue("three events at mock-external", Duration.ofSeconds(60),
                    () -> external.ledger().stats().unique() == 3, () -> "unique events: " + external.ledger().stats().unique());
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void aReceiverThatKeepsFailingFailsTheJobWithTheReason() {
        external.faultsFor(1.0, 0);
        assertThatThrownBy(() -> run(10, options(3)))
                .hasStackTraceContaining("did not accept a batch of 10 events after 3 attempts")
                .hasStackTraceContaining("HTTP 503");
    }
}
