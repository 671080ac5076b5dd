package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The ledger bound as seen over HTTP (/stats, /events) and set from the command line. */
class LedgerBoundTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private MockExternalServer server;

    @BeforeEach
    void start() throws Exception {
        server = MockExternalServer.builder().maxKeys(2).readTimeoutSeconds(LimitsTestSupport.READ_TIMEOUT_S).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void statsReportHeldAndEvictedOnceTheLedgerIsFull() throws Exception {
        assertThat(post("[{\"event_id\":\"a\"},{\"event_id\":\"b\"},{\"event_id\":\"c\"}]").statusCode()).isEqualTo(200);
        assertThat(post("[{\"event_id\":\"c\"}]").statusCode()).isEqualTo(200);

        JsonNode stats = JSON.readTree(get("/stats").body());
        assertThat(stats.get("received").asLong()).isEqualTo(4);
        assertThat(stats.get("unique").asLong()).isEqualTo(3);
        assertThat(stats.get("duplicates").asLong()).isEqualTo(1);
        assertThat(stats.get("held").asLong()).isEqualTo(2);
        assertThat(stats.get("evicted").asLong()).isEqualTo(1);
        assertThat(stats.get("max_keys").asLong()).isEqualTo(2);
    }

    @Test
    void eventsListsWhatIsHeldOldestFirst() throws Exception {
        post("[{\"event_id\":\"a\"},{\"event_id\":\"b\"},{\"event_id\":\"c\",\"v\":1}]");

        HttpResponse<String> reply = get("/events");
        assertThat(reply.statusCode()).isEqualTo(200);
        JsonNode events = JSON.readTree(reply.body());
        assertThat(events.findValuesAsText("event_id")).containsExactly("b", "c");
        assertThat(events.get(1).get("v").asInt()).isEqualTo(1);
    }

    @Test
    void eventsOfAnEmptyLedgerIsAnEmptyArray() throws Exception {
        JsonNode events = JSON.readTree(get("/events").body());
        assertThat(events.isArray()).isTrue();
        assertThat(events).isEmpty();
    }

    @Test
    void commandLineSetsTheBounds() {
        MockExternalServer cli = new MockExternalServer();
        new CommandLine(cli).parseArgs("--max-body-bytes", "2048", "--max-keys", "5", "--read-timeout-s", "3");
        assertThat(cli.maxBodyBytes).isEqualTo(2048);
        assertThat(cli.maxKeys).isEqualTo(5);
        assertThat(cli.readTimeoutSeconds).isEqualTo(3);
    }

    @Test
    void commandLineDefaultsAreFourMiBAndOneMillionKeys() {
        MockExternalServer cli = new MockExternalServer();
        new CommandLine(cli).parseArgs();
        assertThat(cli.maxBodyBytes).isEqualTo(4 << 20);
        assertThat(cli.maxKeys).isEqualTo(1_000_000);
    }

    @Test
    void maxKeysBelowOneIsRefusedAtStart() {
        assertThatThrownBy(() -> MockExternalServer.builder().maxKeys(0).start()).hasMessageContaining("max keys must be >= 1");
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/events")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
