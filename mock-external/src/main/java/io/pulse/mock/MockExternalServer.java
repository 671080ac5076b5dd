package io.pulse.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The stand-in third-party HTTP system.
 *
 * <ul>
 *   <li>{@code POST /events}: a JSON array of events (or {"events": [...]}); each event's
 *       {@code event_id} is its idempotency key. 200 with counts, 400 for a bad batch, 503 when a
 *       fault is injected.</li>
 *   <li>{@code GET /stats}: received, unique, duplicates, batches, failed_requests.</li>
 *   <li>{@code GET /events}: every unique event (last version per key).</li>
 *   <li>{@code POST /faults?failure_rate=0.3&latency_ms=50}: change fault injection at run time.</li>
 *   <li>{@code POST /reset}: forget everything.</li>
 * </ul>
 */
@Command(name = "mock-external", mixinStandardHelpOptions = true,
        description = "Stand-in third-party HTTP system for Pulse: dedupes event batches by event_id.")
public final class MockExternalServer implements Callable<Integer>, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A batch larger than this is refused: the sink must batch, not stream unbounded bodies. */
    static final int MAX_BODY_BYTES = 16 << 20;

    @Option(names = "--port", description = "Port on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}")
    int port = 58090;

    @Option(names = "--bind", description = "Address to bind. Default: ${DEFAULT-VALUE}")
    String bind = "127.0.0.1";

    @Option(names = "--failure-rate", description = "Share of POST /events requests answered 503 (0..1). Default: ${DEFAULT-VALUE}")
    double failureRate = 0;

    @Option(names = "--latency-ms", description = "Added latency per POST /events request. Default: ${DEFAULT-VALUE}")
    long latencyMillis = 0;

    @Option(names = "--seed", description = "Seed of the fault injector. Default: ${DEFAULT-VALUE}")
    long seed = 42;

    private final EventLedger ledger = new EventLedger();
    private FaultInjector faults;
    private HttpServer server;
    private ExecutorService executor;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new MockExternalServer());
        int exit = cli.execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /** Runs until the process is stopped. */
    @Override
    public Integer call() throws Exception {
        start();
        System.out.printf("mock-external listening on http://%s:%d (failure rate %.2f, latency %d ms)%n",
                bind, port(), failureRate, latencyMillis);
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
        Thread.currentThread().join();
        return 0;
    }

    /** A server on 127.0.0.1 and a free port, for tests of the systems that call it. */
    public static MockExternalServer startOnFreePort() throws IOException {
        MockExternalServer server = new MockExternalServer();
        server.port = 0;
        return server.start();
    }

    /** A server on 127.0.0.1 and the given port. */
    public static MockExternalServer startOn(int port) throws IOException {
        MockExternalServer server = new MockExternalServer();
        server.port = port;
        return server.start();
    }

    public MockExternalServer start() throws IOException {
        faults = new FaultInjector(failureRate, latencyMillis, seed);
        // Without TCP_NODELAY a response's body waits for the ACK of its headers, which the client
        // delays by 40 ms: every request took ~45 ms. Read once, when the first server starts.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        executor = Executors.newFixedThreadPool(8);
        server.setExecutor(executor);
        server.createContext("/events", this::events);
        server.createContext("/stats", this::stats);
        server.createContext("/faults", this::faults);
        server.createContext("/reset", this::reset);
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public EventLedger ledger() {
        return ledger;
    }

    /** Changes fault injection of a running server (what POST /faults does). */
    public void faultsFor(double failureRate, long latencyMillis) {
        faults.configure(failureRate, latencyMillis);
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    private void events(HttpExchange exchange) throws IOException {
        try (exchange) {
            if ("GET".equals(exchange.getRequestMethod())) {
                respond(exchange, 200, JSON.valueToTree(ledger.events()));
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                respond(exchange, 405, error("use POST to send events, GET to list them"));
                return;
            }
            byte[] body = readBody(exchange.getRequestBody());
            if (body == null) {
                respond(exchange, 413, error("batch larger than " + MAX_BODY_BYTES + " bytes"));
                return;
            }
            List<Map.Entry<String, JsonNode>> batch;
            try {
                batch = parseBatch(body);
            } catch (IllegalArgumentException e) {
                respond(exchange, 400, error(e.getMessage()));
                return;
            }
            sleepQuietly(faults.latencyMillis());
            FaultInjector.Outcome outcome = faults.next();
            if (outcome == FaultInjector.Outcome.FAIL_BEFORE_STORE) {
                ledger.countFailedRequest();
                respond(exchange, 503, error("injected failure before storing"));
                return;
            }
            EventLedger.Accepted accepted = ledger.accept(batch);
            if (outcome == FaultInjector.Outcome.FAIL_AFTER_STORE) {
                ledger.countFailedRequest();
                respond(exchange, 503, error("injected failure after storing"));
                return;
            }
            ObjectNode reply = JSON.createObjectNode();
            reply.put("accepted", accepted.events());
            reply.put("duplicates", accepted.duplicates());
            respond(exchange, 200, reply);
        }
    }

    static List<Map.Entry<String, JsonNode>> parseBatch(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("body cannot be read: " + e.getMessage());
        }
        if (root != null && root.isObject() && root.has("events")) {
            root = root.get("events");
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("expected a JSON array of events or {\"events\": [...]}");
        }
        List<Map.Entry<String, JsonNode>> batch = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode event = root.get(i);
            JsonNode key = event == null ? null : event.get("event_id");
            if (key == null || !key.isTextual() || key.textValue().isBlank()) {
                throw new IllegalArgumentException("event " + i + " has no event_id (the idempotency key)");
            }
            batch.add(new AbstractMap.SimpleImmutableEntry<>(key.textValue(), event));
        }
        return batch;
    }

    private void stats(HttpExchange exchange) throws IOException {
        try (exchange) {
            respond(exchange, 200, statsJson());
        }
    }

    private ObjectNode statsJson() {
        EventLedger.Stats s = ledger.stats();
        ObjectNode reply = JSON.createObjectNode();
        reply.put("received", s.received());
        reply.put("unique", s.unique());
        reply.put("duplicates", s.duplicates());
        reply.put("batches", s.batches());
        reply.put("failed_requests", s.failedRequests());
        reply.put("failure_rate", faults.failureRate());
        reply.put("latency_ms", faults.latencyMillis());
        return reply;
    }

    private void faults(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            try {
                double rate = Double.parseDouble(query.getOrDefault("failure_rate", String.valueOf(faults.failureRate())));
                long latency = Long.parseLong(query.getOrDefault("latency_ms", String.valueOf(faults.latencyMillis())));
                faults.configure(rate, latency);
            } catch (IllegalArgumentException e) {
                respond(exchange, 400, error(e.getMessage()));
                return;
            }
            respond(exchange, 200, statsJson());
        }
    }

    private void reset(HttpExchange exchange) throws IOException {
        try (exchange) {
            ledger.reset();
            respond(exchange, 200, JSON.createObjectNode().put("reset", true));
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        return body.length > MAX_BODY_BYTES ? null : body;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleepQuietly(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis); // injected latency is the feature here, not a wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
