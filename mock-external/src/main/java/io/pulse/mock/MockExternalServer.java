package io.pulse.mock;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The stand-in third-party HTTP system.
 *
 * <ul>
 *   <li>{@code POST /events}: a JSON array of events (or {"events": [...]}); each event's
 *       {@code event_id} is its idempotency key. 200 with counts, 400 for a bad batch, 413 for a body
 *       over {@code --max-body-bytes}, 503 when a fault is injected.</li>
 *   <li>{@code GET /stats}: received, unique, duplicates, batches, failed_requests, held, evicted,
 *       rejected_requests, aborted_requests and the bounds.</li>
 *   <li>{@code GET /events}: every held event (last version per key), oldest first.</li>
 *   <li>{@code POST /faults?failure_rate=0.3&latency_ms=50}: change fault injection at run time.</li>
 *   <li>{@code POST /reset}: forget everything.</li>
 * </ul>
 *
 * <p>Bad input never takes it down, and its memory is bounded:
 * <ul>
 *   <li>a body over {@code maxBodyBytes} is answered 413 unread when its Content-Length says so,
 *       otherwise (chunked) after at most {@code maxBodyBytes + 1} bytes were read;</li>
 *   <li>the ledger holds at most {@code maxKeys} events, evicting the oldest (see {@link EventLedger});</li>
 *   <li>a client gets {@code readTimeoutSeconds} from the first byte of a request to the last byte of its
 *       body (and a new connection as long to send its first byte); then the JDK server closes the
 *       connection, which frees the worker thread. The JDK reads this setting once per JVM, when the first
 *       HttpServer is created: the first server started wins, {@code -Dsun.net.httpserver.maxReqTime}
 *       takes precedence;</li>
 *   <li>malformed bodies (not JSON, not an array, elements that are not objects or lack a string
 *       event_id, event_id over {@value #MAX_EVENT_ID_CHARS} characters, nesting deeper than
 *       {@value #MAX_NESTING_DEPTH}, trailing content) are answered 400 with the reason.</li>
 * </ul>
 */
@Command(name = "mock-external", mixinStandardHelpOptions = true,
        description = "Stand-in third-party HTTP system for Pulse: dedupes event batches by event_id.")
public final class MockExternalServer implements Callable<Integer>, AutoCloseable {
    public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;
    public static final int DEFAULT_READ_TIMEOUT_SECONDS = 10;
    static final int MAX_EVENT_ID_CHARS = 256;
    static final int MAX_NESTING_DEPTH = 100;
    /** The most of a refused body read (and dropped) so that the client gets its 413, see refuseTooLarge. */
    static final long MAX_DISCARD_BYTES = 64L << 20;
    private static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";
    private static final String CLOCK_TICK = "sun.net.httpserver.clockTick";

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build()).build();

    /** The read timeout the JDK HTTP server uses in this JVM, fixed by the first start (0 = none). */
    private static Integer jvmReadTimeoutSeconds;

    @Spec
    CommandSpec spec;

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

    @Option(names = "--max-body-bytes", description = "Largest POST body; a larger one is answered 413 without being read. Default: ${DEFAULT-VALUE} (4 MiB)")
    int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--max-keys", description = "Most events held (one per event_id); past it the oldest is evicted, counters go on. Default: ${DEFAULT-VALUE}")
    int maxKeys = EventLedger.DEFAULT_MAX_KEYS;

    @Option(names = "--read-timeout-s", description = "Seconds a client has from the first byte of a request to the end of its body; then the connection is closed. JVM-wide; -Dsun.net.httpserver.maxReqTime wins. Default: ${DEFAULT-VALUE}")
    int readTimeoutSeconds = DEFAULT_READ_TIMEOUT_SECONDS;

    @Option(names = "--ledger", description = "Journal file of the ledger: every accepted batch is forced to it before the answer, and a restart"
            + " reloads it, so a restart (even a SIGKILL) neither forgets an event nor hides a duplicate. Default: none (in memory only)")
    java.nio.file.Path ledgerFile;

    int workerThreads = 8;

    private EventLedger ledger;
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
        try {
            start();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        System.out.printf("mock-external listening on http://%s:%d (failure rate %.2f, latency %d ms, max body %d bytes,"
                        + " max keys %d, read timeout %s)%n", bind, port(), failureRate, latencyMillis, maxBodyBytes, maxKeys,
                readTimeoutSeconds() > 0 ? readTimeoutSeconds() + " s" : "none");
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
        Thread.currentThread().join();
        return 0;
    }

    /** A server on 127.0.0.1 and a free port, for tests of the systems that call it. */
    public static MockExternalServer startOnFreePort() throws IOException {
        return builder().port(0).start();
    }

    /** A server on 127.0.0.1 and the given port. */
    public static MockExternalServer startOn(int port) throws IOException {
        return builder().port(port).start();
    }

    /** A server with the given settings; port 0 (a free port) unless set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a server to start; the defaults are those of the command line, except the port. */
    public static final class Builder {
        private final MockExternalServer server = new MockExternalServer();

        private Builder() {
            server.port = 0;
        }

        public Builder port(int port) {
            server.port = port;
            return this;
        }

        public Builder bind(String address) {
            server.bind = address;
            return this;
        }

        public Builder failureRate(double failureRate) {
            server.failureRate = failureRate;
            return this;
        }

        public Builder latencyMillis(long latencyMillis) {
            server.latencyMillis = latencyMillis;
            return this;
        }

        public Builder seed(long seed) {
            server.seed = seed;
            return this;
        }

        public Builder maxBodyBytes(int maxBodyBytes) {
            server.maxBodyBytes = maxBodyBytes;
            return this;
        }

        public Builder maxKeys(int maxKeys) {
            server.maxKeys = maxKeys;
            return this;
        }

        /** JVM-wide: only the first server started in a JVM sets it (see the class comment). */
        public Builder readTimeoutSeconds(int seconds) {
            server.readTimeoutSeconds = seconds;
            return this;
        }

        public Builder workerThreads(int threads) {
            server.workerThreads = threads;
            return this;
        }

        /** A durable ledger in {@code journal}. */
        public Builder ledger(java.nio.file.Path journal) {
            server.ledgerFile = journal;
            return this;
        }

        public MockExternalServer start() throws IOException {
            return server.start();
        }
    }

    public MockExternalServer start() throws IOException {
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("max body bytes must be within 1.." + (Integer.MAX_VALUE - 16) + ", got " + maxBodyBytes);
        }
        if (readTimeoutSeconds < 1) {
            throw new IllegalArgumentException("read timeout must be >= 1 s, got " + readTimeoutSeconds);
        }
        if (workerThreads < 1) {
            throw new IllegalArgumentException("worker threads must be >= 1, got " + workerThreads);
        }
        ledger = ledgerFile == null ? new EventLedger(maxKeys) : new EventLedger(maxKeys, ledgerFile);
        faults = new FaultInjector(failureRate, latencyMillis, seed);
        configureJdkServer(readTimeoutSeconds);
        server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        executor = Executors.newFixedThreadPool(workerThreads);
        server.setExecutor(executor);
        server.createContext("/events", guarded(this::events));
        server.createContext("/stats", guarded(this::stats));
        server.createContext("/faults", guarded(this::faults));
        server.createContext("/reset", guarded(this::reset));
        server.start();
        return this;
    }

    /**
     * Sets what the JDK server reads once per JVM (class ServerConfig, when the first HttpServer is
     * created), unless already set with -D: TCP_NODELAY (without it a response's body waits for the ACK
     * of its headers, which the client delays by 40 ms: every request took ~45 ms), the longest a request
     * may take to arrive (maxReqTime, seconds: the JDK closes the connection, so a blocked body read
     * fails and frees its worker), and a 1 s check of connections that never send a byte (clockTick).
     */
    private static synchronized void configureJdkServer(int readTimeoutSeconds) {
        if (jvmReadTimeoutSeconds == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
            if (System.getProperty(MAX_REQ_TIME) == null) {
                System.setProperty(MAX_REQ_TIME, Integer.toString(readTimeoutSeconds));
            }
            if (System.getProperty(CLOCK_TICK) == null) {
                System.setProperty(CLOCK_TICK, "1000");
            }
            long effective = Long.getLong(MAX_REQ_TIME, -1);
            jvmReadTimeoutSeconds = effective > 0 && effective <= Integer.MAX_VALUE ? (int) effective : 0;
        } else if (jvmReadTimeoutSeconds != readTimeoutSeconds) {
            System.err.printf("mock-external: the read timeout is per JVM and already %d s; %d s not applied%n",
                    jvmReadTimeoutSeconds, readTimeoutSeconds);
        }
    }

    /** The read timeout in effect in this JVM, in seconds (0 = none). */
    public int readTimeoutSeconds() {
        synchronized (MockExternalServer.class) {
            return jvmReadTimeoutSeconds == null ? 0 : jvmReadTimeoutSeconds;
        }
    }

    public int maxBodyBytes() {
        return maxBodyBytes;
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
        if (ledger != null) {
            ledger.close();
        }
    }

    /**
     * A handler whose failures end the exchange, never the worker: a broken connection (client gone,
     * read timeout) is dropped, anything else unexpected is a 500 (a bug: bad input is a 400/413).
     */
    private static HttpHandler guarded(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } catch (IOException e) {
                // the connection is gone: nobody to answer
            } catch (RuntimeException e) {
                System.err.println("mock-external: " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " failed: " + e);
                try {
                    respond(exchange, 500, error("internal error: " + e));
                } catch (IOException | RuntimeException ignored) {
                    // headers were already sent, or the connection is gone
                }
            } finally {
                exchange.close();
            }
        };
    }

    private void events(HttpExchange exchange) throws IOException {
        if ("GET".equals(exchange.getRequestMethod())) {
            listEvents(exchange);
            return;
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, error("use POST to send events, GET to list them"));
            return;
        }
        byte[] body;
        try {
            body = readBody(exchange);
        } catch (IOException e) {
            ledger.countAbortedRequest(); // client gone, or the read timeout closed the connection
            throw e;
        }
        if (body == null) {
            ledger.countRejectedRequest();
            refuseTooLarge(exchange);
            return;
        }
        List<EventLedger.Keyed> batch;
        try {
            batch = parseBatch(body);
        } catch (IllegalArgumentException e) {
            ledger.countRejectedRequest();
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

    /**
     * The body, or null when it is over the limit: refused unread when Content-Length says so,
     * otherwise (chunked) at most {@code maxBodyBytes + 1} bytes are read.
     */
    private byte[] readBody(HttpExchange exchange) throws IOException {
        InputStream in = exchange.getRequestBody();
        long declared = declaredLength(exchange);
        if (declared > maxBodyBytes) {
            return null;
        }
        if (declared >= 0) {
            byte[] body = new byte[(int) declared];
            int read = in.readNBytes(body, 0, body.length);
            if (read < body.length) {
                throw new EOFException("body ended after " + read + " of " + declared + " bytes");
            }
            return body;
        }
        byte[] body = readAtMost(in, maxBodyBytes + 1);
        return body.length > maxBodyBytes ? null : body;
    }

    /**
     * Up to {@code max} bytes, stopping as soon as there are {@code max}. (InputStream.readNBytes asks
     * for 0 more bytes once it has them all, and the JDK's chunked stream then waits for the next chunk.)
     */
    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        byte[] buffer = new byte[Math.min(max, 8192)];
        int length = 0;
        while (length < max) {
            if (length == buffer.length) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(max, 2L * buffer.length));
            }
            int read = in.read(buffer, length, buffer.length - length);
            if (read < 0) {
                break;
            }
            length += read;
        }
        return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
    }

    /**
     * 413, then the rest of the body is read and dropped (8 KiB at a time, up to {@value #MAX_DISCARD_BYTES}
     * bytes): closing a connection with unread bytes resets it, and a client still sending (the JDK client
     * does) would lose the 413 and see only "connection reset". The read timeout bounds the time this takes.
     */
    private void refuseTooLarge(HttpExchange exchange) throws IOException {
        byte[] reply = JSON.writeValueAsBytes(error("body larger than the limit of " + maxBodyBytes + " bytes: send smaller batches")
                .put("max_body_bytes", maxBodyBytes));
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(413, reply.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(reply);
            out.flush();
            if (declaredLength(exchange) <= MAX_DISCARD_BYTES) {
                InputStream in = exchange.getRequestBody();
                byte[] sink = new byte[8192];
                long discarded = 0;
                for (int n = in.read(sink); n >= 0 && discarded < MAX_DISCARD_BYTES; n = in.read(sink)) {
                    discarded += n;
                }
            }
        }
    }

    /** Content-Length, or -1 when absent (chunked). The JDK server already refused invalid ones. */
    private static long declaredLength(HttpExchange exchange) {
        String value = exchange.getRequestHeaders().getFirst("Content-Length");
        if (value == null || exchange.getRequestHeaders().containsKey("Transfer-Encoding")) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A JSON array of events or {"events": [...]}; each event an object with a string event_id. */
    static List<EventLedger.Keyed> parseBatch(byte[] body) {
        if (body.length == 0) {
            throw new IllegalArgumentException("body is empty: expected a JSON array of events or {\"events\": [...]}");
        }
        try (JsonParser parser = JSON.createParser(body)) {
            List<EventLedger.Keyed> batch = null;
            JsonToken first = parser.nextToken();
            if (first == JsonToken.START_ARRAY) {
                batch = readEvents(parser);
            } else if (first == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if ("events".equals(field) && batch == null) {
                        if (value != JsonToken.START_ARRAY) {
                            throw new IllegalArgumentException("\"events\" must be a JSON array of events");
                        }
                        batch = readEvents(parser);
                    } else {
                        parser.skipChildren();
                    }
                }
            }
            if (batch == null) {
                throw new IllegalArgumentException("expected a JSON array of events or {\"events\": [...]}");
            }
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("body goes on after the JSON value: one array or object per request");
            }
            return batch;
        } catch (StreamConstraintsException e) {
            throw new IllegalArgumentException("body is over a JSON limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("body cannot be read: " + e.getMessage());
        }
    }

    /** The elements of the array the parser is at, one tree per element (never one of the whole body). */
    private static List<EventLedger.Keyed> readEvents(JsonParser parser) throws IOException {
        List<EventLedger.Keyed> batch = new ArrayList<>();
        int i = 0;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken(), i++) {
            if (token != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("event " + i + " has no event_id (the idempotency key): it is not a JSON object");
            }
            JsonNode event = parser.readValueAsTree();
            JsonNode key = event.get("event_id");
            if (key == null || !key.isTextual() || key.textValue().isBlank()) {
                throw new IllegalArgumentException("event " + i + " has no event_id (the idempotency key): a non-blank string is required");
            }
            if (key.textValue().length() > MAX_EVENT_ID_CHARS) {
                throw new IllegalArgumentException("event " + i + " has an event_id longer than " + MAX_EVENT_ID_CHARS + " characters");
            }
            batch.add(new EventLedger.Keyed(key.textValue(), JSON.writeValueAsBytes(event)));
        }
        return batch;
    }

    /** The held events as one JSON array, written from their stored bytes (no tree of the whole list). */
    private void listEvents(HttpExchange exchange) throws IOException {
        List<byte[]> events = ledger.heldJson();
        long length = 2 + Math.max(0, events.size() - 1);
        for (byte[] event : events) {
            length += event.length;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, length);
        try (OutputStream out = new BufferedOutputStream(exchange.getResponseBody(), 64 << 10)) {
            out.write('[');
            for (int i = 0; i < events.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                out.write(events.get(i));
            }
            out.write(']');
        }
    }

    private void stats(HttpExchange exchange) throws IOException {
        respond(exchange, 200, statsJson());
    }

    private ObjectNode statsJson() {
        EventLedger.Stats s = ledger.stats();
        ObjectNode reply = JSON.createObjectNode();
        reply.put("received", s.received());
        reply.put("unique", s.unique());
        reply.put("duplicates", s.duplicates());
        reply.put("batches", s.batches());
        reply.put("failed_requests", s.failedRequests());
        reply.put("held", s.held());
        reply.put("evicted", s.evicted());
        reply.put("rejected_requests", s.rejectedRequests());
        reply.put("aborted_requests", s.abortedRequests());
        reply.put("failure_rate", faults.failureRate());
        reply.put("latency_ms", faults.latencyMillis());
        reply.put("max_keys", ledger.maxKeys());
        reply.put("max_body_bytes", maxBodyBytes);
        reply.put("read_timeout_s", readTimeoutSeconds());
        return reply;
    }

    private void faults(HttpExchange exchange) throws IOException {
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

    private void reset(HttpExchange exchange) throws IOException {
        ledger.reset();
        respond(exchange, 200, JSON.createObjectNode().put("reset", true));
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
