package io.pulse.process.sink.http;

import io.pulse.process.sink.SinkTestServers;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pulse.model.diagnostics.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP sink against mock-external, which answers 400 for a whole batch when one of its events
 * has no event_id: the batch is split until that event is alone, it goes to dead_letter (the test
 * stack's Kafka, a topic of its own), and every other event is delivered.
 */
class HttpBatchSinkDeadLetterITCase {
    private SinkTestServers servers;

    @BeforeEach
    void start() throws Exception {
        servers = SinkTestServers.start("dead-letter-it");
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    @Test
    void anEventTheReceiverRefusesGoesToDeadLetterAndTheRestOfItsBatchIsDelivered() throws Exception {
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            events.add("{\"event_id\":\"e-" + i + "\",\"score\":" + i + "}");
        }
        String refused = "{\"score\":-1}"; // no event_id: mock-external answers 400 for its batch
        events.add(17, refused);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        HttpBatchSink.Options options = new HttpBatchSink.Options("http://127.0.0.1:" + servers.external.port() + "/events", 25,
                Duration.ofSeconds(5), 3, Duration.ofMillis(5), Duration.ofMillis(100));
        env.fromData(Types.STRING, events.toArray(new String[0])).sinkTo(new HttpBatchSink<String>(options, e -> e,
                servers.deadLetters()));
        env.execute("http-dead-letter-it"); // finishes: the refused event does not fail the job

        List<String> delivered = new ArrayList<>();
        for (JsonNode e : servers.external.ledger().events()) {
            delivered.add(e.get("event_id").asText());
        }
        assertThat(delivered).hasSize(50).doesNotHaveDuplicates().contains("e-0", "e-16", "e-17", "e-49");

        List<ConsumerRecord<byte[], byte[]>> records = servers.deadLetterTopic.awaitRecords(1, Duration.ofSeconds(30));
        assertThat(records).hasSize(1);
        DeadLetter letter = DeadLetter.fromJson(records.get(0).value());
        assertThat(letter.reason()).isEqualTo("SINK_REJECTED");
        assertThat(letter.sink()).isEqualTo("http");
        assertThat(letter.topic()).isEqualTo("http " + options.url());
        assertThat(letter.detail()).startsWith("HTTP 400").contains("event_id");
        assertThat(new String(letter.payload(), StandardCharsets.UTF_8)).isEqualTo(refused);
    }
}
