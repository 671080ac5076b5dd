package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real server on a free port, driven over HTTP. */
class MockExternalServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private MockExternalServer server;

    @BeforeEach
    void start() throws Exception {
        server = MockExternalServer.builder().readTimeoutSeconds(LimitsTestSupport.READ_TIMEOUT_S).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void sameEventIdTwiceIsOneUniqueEventAndOneDuplicate() throws Exception {
        assertThat(post("/events", "[{\"event_id\":\"a\",\"score\":1},{\"event_id\":\"b\"}]").statusCode()).isEqualTo(200);
        HttpResponse<String> again = post("/events", "{\"events\":[{\"event_id\":\"a\",\"score\":2}]}");
        assertThat(JSON.readTree(again.body()).get("duplicates").asInt()).isEqualTo(1);

        JsonNode stats = JSON.readTree(get("/stats").body());
        assertThat(stats.get("received").asLong()).isEqualTo(3);
        assertThat(stats.get("unique").asLong()).isEqualTo(2);
        assertThat(stats.get("duplicates").asLong()).isEqualTo(1);
        JsonNode events = JSON.readTree(get("/events").body());
        assertThat(events).hasSize(2);
        assertThat(events.findValues("score")).extracting(JsonNode::asInt).containsExactly(2);
    }

    @Test
    void batchWithoutIdempotencyKeyIsRefusedWhole() throws Exception {
        HttpResponse<String> reply = post("/events", "[{\"event_id\":\"a\"},{\"other\":1}]");
        assertThat(reply.statusCode()).isEqualTo(400);
        assertThat(reply.body()).contains("event 1 has no event_id");
        assertThat(JSON.readTree(get("/stats").body()).get("received").asLong()).isZero();
    }

    @Test
    void notJsonIsA400WithTheReason() throws Exception {
        HttpResponse<String> reply = post("/events", "nope");
        assertThat(reply.statusCode()).isEqualTo(400);
        assertThat(reply.body()).contains("not JSON");
    }

    @Test
    void injectedFailuresAre503AndRetriesEndWithEveryKeyOnce() throws Exception {
        assertThat(post("/faults?failure_rate=0.5", "").statusCode()).isEqualTo(200);
        int failures = 0;
        for (int i = 0; i < 40; i++) {
            String body = "[{\"event_id\":\"k" + i + "\"}]";
            HttpResponse<String> reply;
            while ((reply = post("/events", body)).statusCode() == 503) {
                failures++;
            }
            assertThat(reply.statusCode()).isEqualTo(200);
        }
        JsonNode stats = JSON.readTree(get("/stats").body());
        assertThat(failures).isPositive();
        assertThat(stats.get("unique").asLong()).isEqualTo(40);
        assertThat(stats.get("failed_requests").asLong()).isEqualTo(failures);
        // Failures after storing make the retried batch a duplicate, as with a real system.
        assertThat(stats.get("duplicates").asLong()).isPositive().isLessThanOrEqualTo(failures);
    }

    @Test
    void resetForgetsEverything() throws Exception {
        post("/events", "[{\"event_id\":\"a\"}]");
        post("/reset", "");
        assertThat(JSON.readTree(get("/stats").body()).get("unique").asLong()).isZero();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
