package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.mock.LimitsTestSupport.RawClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A client that sends its request slowly or never is cut off after the read timeout and frees its worker. */
class ReadTimeoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STALLED_POST = "POST /events HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + "Content-Length: 1000\r\n\r\n[{\"event_id\":";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private MockExternalServer server;
    private long timeoutMillis;
    private Duration deadline;

    @BeforeEach
    void start() throws Exception {
        server = MockExternalServer.builder().readTimeoutSeconds(LimitsTestSupport.READ_TIMEOUT_S).workerThreads(1).start();
        // The JDK reads the timeout once per JVM; whatever is in effect, it must be on.
        assertThat(server.readTimeoutSeconds()).as("read timeout in effect").isPositive();
        timeoutMillis = server.readTimeoutSeconds() * 1000L;
        // The JDK checks each second (REQUEST state) / each clock tick (new connections, set to 1 s).
        deadline = Duration.ofMillis(timeoutMillis + 5_000);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void readTimeoutDefaultsToTenSecondsOnTheCommandLine() {
        assertThat(new MockExternalServer().readTimeoutSeconds).isEqualTo(10);
    }

    @Test
    void stalledBodyIsCutOffAfterTheReadTimeout() throws Exception {
        long started = System.nanoTime();
        try (RawClient client = new RawClient(server.port(), deadline)) {
            client.send(STALLED_POST);
            assertThat(client.readUntilClosedByServer()).as("no response, only a close").isEmpty();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started).toMillis()).isGreaterThanOrEqualTo(timeoutMillis - 100);
        assertThat(LimitsTestSupport.awaitTrue(deadline, () -> server.ledger().stats().abortedRequests() == 1))
                .as("the handler saw its read fail and counted it").isTrue();
    }

    @Test
    void stalledBodyDoesNotHoldTheOnlyWorkerForever() throws Exception {
        try (RawClient stalled = new RawClient(server.port(), deadline)) {
            // 100-continue comes from the worker thread just before it calls the handler: the worker is now taken.
            stalled.send(STALLED_POST.replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n"));
            assertThat(stalled.readResponse().status()).isEqualTo(100);

            HttpResponse<String> stats = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/stats"))
                    .timeout(deadline).GET().build(), HttpResponse.BodyHandlers.ofString());

            assertThat(stats.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(stats.body());
            assertThat(body.get("aborted_requests").asLong()).as("served after the stalled request was cut off").isEqualTo(1);
        }
    }

    @Test
    void tricklingBodyIsCutOffAfterTheReadTimeoutFromItsFirstByte() throws Exception {
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        long started = System.nanoTime();
        try (RawClient client = new RawClient(server.port(), deadline)) {
            client.send(STALLED_POST);
            // One more byte every 100 ms: never idle, never done. The timeout counts the whole request.
            ScheduledFuture<?> bytes = trickle.scheduleAtFixedRate(() -> {
                try {
                    client.send(" ");
                } catch (IOException closed) {
                    throw new IllegalStateException("closed", closed); // stops the schedule
                }
            }, 100, 100, TimeUnit.MILLISECONDS);

            assertThat(client.readUntilClosedByServer()).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started).toMillis()).isGreaterThanOrEqualTo(timeoutMillis - 100);
            bytes.cancel(false);
        } finally {
            trickle.shutdownNow();
        }
    }

    @Test
    void stalledHeadersAreCutOffAfterTheReadTimeout() throws Exception {
        long started = System.nanoTime();
        try (RawClient client = new RawClient(server.port(), deadline)) {
            client.send("POST /events HTTP/1.1\r\nHost: test\r\nContent-Le");
            assertThat(client.readUntilClosedByServer()).isEmpty();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started).toMillis()).isGreaterThanOrEqualTo(timeoutMillis - 100);
    }

    @Test
    void connectionThatNeverSendsIsClosedAfterTheReadTimeout() throws Exception {
        long started = System.nanoTime();
        try (RawClient client = new RawClient(server.port(), deadline)) {
            assertThat(client.readUntilClosedByServer()).isEmpty();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started).toMillis()).isGreaterThanOrEqualTo(timeoutMillis - 100);
    }

    @Test
    void answerSlowerThanTheReadTimeoutIsNotCutOff() throws Exception {
        // The timeout covers receiving the request only: injected latency after the body arrived is not cut.
        server.faultsFor(0, timeoutMillis + 500);
        HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/events"))
                .timeout(deadline).POST(HttpRequest.BodyPublishers.ofString("[{\"event_id\":\"a\"}]")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).isEqualTo(200);
        assertThat(server.ledger().stats().abortedRequests()).isZero();
    }
}
