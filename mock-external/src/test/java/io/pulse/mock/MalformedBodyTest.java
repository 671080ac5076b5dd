package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every malformed body is a 400 with the reason, nothing is stored, and the server goes on serving. */
class MalformedBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
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
    void emptyBodyIs400() throws Exception {
        assertRefused("", "body is empty");
    }

    @Test
    void objectWithoutEventsIs400() throws Exception {
        assertRefused("{\"event_id\":\"a\"}", "expected a JSON array of events");
    }

    @Test
    void scalarBodyIs400() throws Exception {
        assertRefused("42", "expected a JSON array of events");
    }

    @Test
    void eventsThatIsNotAnArrayIs400() throws Exception {
        assertRefused("{\"events\":{\"event_id\":\"a\"}}", "\"events\" must be a JSON array");
    }

    @Test
    void elementThatIsNotAnObjectIs400() throws Exception {
        assertRefused("[{\"event_id\":\"a\"},7]", "event 1 has no event_id");
    }

    @Test
    void eventIdThatIsNotAStringIs400() throws Exception {
        assertRefused("[{\"event_id\":12}]", "event 0 has no event_id");
    }

    @Test
    void blankEventIdIs400() throws Exception {
        assertRefused("[{\"event_id\":\"  \"}]", "event 0 has no event_id");
    }

    @Test
    void eventIdOverTheKeyLengthIs400() throws Exception {
        String key = "k".repeat(MockExternalServer.MAX_EVENT_ID_CHARS + 1);
        assertRefused("[{\"event_id\":\"" + key + "\"}]", "longer than " + MockExternalServer.MAX_EVENT_ID_CHARS + " characters");
    }

    @Test
    void deeplyNestedBodyIs400() throws Exception {
        assertRefused("{\"x\":".repeat(100_000), "nesting depth");
    }

    @Test
    void deeplyNestedValueInsideAnEventIs400() throws Exception {
        int depth = 5_000;
        assertRefused("[{\"event_id\":\"a\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}]", "nesting depth");
    }

    @Test
    void unterminatedHugeStringIs400() throws Exception {
        assertRefused("[{\"event_id\":\"a\",\"text\":\"" + "x".repeat(3 << 20), "not JSON");
    }

    @Test
    void numberWithTenThousandDigitsIs400() throws Exception {
        assertRefused("[{\"event_id\":\"a\",\"n\":" + "9".repeat(10_000) + "}]", "Number value length");
    }

    @Test
    void trailingContentAfterTheArrayIs400() throws Exception {
        assertRefused("[{\"event_id\":\"a\"}] [{\"event_id\":\"b\"}]", "goes on after the JSON value");
    }

    @Test
    void invalidUtf8Is400() throws Exception {
        byte[] body = "[{\"event_id\":\"a\",\"text\":\"?\"}]".getBytes(StandardCharsets.US_ASCII);
        body[body.length - 4] = (byte) 0xC3; // a lead byte followed by '"', not a continuation byte
        assertRefused(HttpRequest.BodyPublishers.ofByteArray(body), "not JSON");
    }

    @Test
    void longStringWithinTheBodyLimitIsStored() throws Exception {
        // Not malformed: strings are bounded by the body limit (over it: 413), not by a limit of their own.
        String text = "x".repeat(3 << 20);
        HttpResponse<String> reply = post(HttpRequest.BodyPublishers.ofString("[{\"event_id\":\"a\",\"text\":\"" + text + "\"}]"));
        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(server.ledger().events().get(0).get("text").asText()).hasSize(text.length());
    }

    private void assertRefused(String body, String reason) throws Exception {
        assertRefused(HttpRequest.BodyPublishers.ofString(body), reason);
    }

    /** 400 with the reason, nothing stored, counted as rejected, and the next good batch is accepted. */
    private void assertRefused(HttpRequest.BodyPublisher body, String reason) throws Exception {
        HttpResponse<String> reply = post(body);
        assertThat(reply.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(reply.body()).get("error").asText()).contains(reason);
        EventLedger.Stats stats = server.ledger().stats();
        assertThat(stats.received()).isZero();
        assertThat(stats.rejectedRequests()).isEqualTo(1);

        assertThat(post(HttpRequest.BodyPublishers.ofString("[{\"event_id\":\"ok\"}]")).statusCode()).isEqualTo(200);
        JsonNode events = JSON.readTree(http.send(HttpRequest.newBuilder(uri("/events")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(events.findValuesAsText("event_id")).containsExactly("ok");
    }

    private HttpResponse<String> post(HttpRequest.BodyPublisher body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/events")).timeout(Duration.ofSeconds(30)).POST(body).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
