package io.pulse.process.sink;

import io.pulse.process.sink.clickhouse.ClickHouseHttpSink;
import io.pulse.process.sink.http.HttpBatchSink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A refusal that says the sink is misconfigured (a wrong path, a missing table) is not the rows'
 * fault: the job fails with the store's answer instead of dead-lettering every row.
 */
class SinkMisconfigurationITCase {
    private SinkTestServers servers;

    @BeforeEach
    void start() throws Exception {
        servers = SinkTestServers.start("misconfigured-it");
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private StreamExecutionEnvironment env() {
        Configuration noRestarts = new Configuration();
        noRestarts.setString("restart-strategy.type", "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
        env.setParallelism(1);
        return env;
    }

    private SinkDeadLetters deadLetters() {
        return servers.deadLetters();
    }

    @Test
    void aWrongHttpPathFailsTheJobAndDeadLettersNothing() {
        StreamExecutionEnvironment env = env();
        HttpBatchSink.Options options = new HttpBatchSink.Options("http://127.0.0.1:" + servers.external.port() + "/no-such-path", 10,
                Duration.ofSeconds(5), 2, Duration.ofMillis(5), Duration.ofMillis(50));
        env.fromData(Types.STRING, "{\"event_id\":\"a\"}", "{\"event_id\":\"b\"}").sinkTo(new HttpBatchSink<String>(options, e -> e, deadLetters()));
        assertThatThrownBy(() -> env.execute("http-misconfigured-it")).hasStackTraceContaining("HTTP 404");
        assertThat(servers.deadLetterTopic.readAll()).isEmpty();
    }

    @Test
    void aMissingClickHouseTableFailsTheJobAndDeadLettersNothing() {
        StreamExecutionEnvironment env = env();
        ClickHouseHttpSink.Options options = new ClickHouseHttpSink.Options(servers.stack.clickhouseUrl(), "pulse.no_such_table", 10,
                Duration.ofSeconds(1), 2, Duration.ofMillis(5));
        env.fromData(Types.STRING, "{\"event_id\":\"a\"}", "{\"event_id\":\"b\"}")
                .sinkTo(new ClickHouseHttpSink<String>(options, e -> e, deadLetters()));
        assertThatThrownBy(() -> env.execute("clickhouse-misconfigured-it")).hasStackTraceContaining("no_such_table");
        assertThat(servers.deadLetterTopic.readAll()).isEmpty();
    }
}
