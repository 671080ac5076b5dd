package io.pulse.process.sink;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Sink V2 POSTing JSON batches ({@code [{...}, ...]}) to an HTTP endpoint such as mock-external's
 * {@code /events}. Each element's JSON carries its own idempotency key (event_id), so a batch sent
 * again after a timeout, a 5xx or a restart is recognised by the receiver. One request in flight per
 * writer; 5xx, 429 and I/O errors are retried with exponential backoff up to a limit, then fail the job
 * with the reason; a checkpoint completes only after its batch was accepted.
 */
public final class HttpBatchSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    /** Where and how to send. */
    public record Options(String url, int batchSize, Duration requestTimeout, int maxAttempts, Duration firstBackoff,
                          Duration maxBackoff) implements Serializable {}

    private final Options options;
    private final SerializableFunction<T, String> toJson;

    public HttpBatchSink(Options options, SerializableFunction<T, String> toJson) {
        this.options = options;
        this.toJson = toJson;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(options, toJson);
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(options, toJson);
    }

    static final class Writer<T> implements SinkWriter<T> {
        private final Options options;
        private final SerializableFunction<T, String> toJson;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        private final StringBuilder batch = new StringBuilder("[");
        private int size;

        Writer(Options options, SerializableFunction<T, String> toJson) {
            this.options = options;
            this.toJson = toJson;
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            if (size > 0) {
                batch.append(',');
            }
            batch.append(toJson.apply(element));
            if (++size >= options.batchSize()) {
                send();
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            send();
        }

        private void send() throws IOException, InterruptedException {
            if (size == 0) {
                return;
            }
            String body = batch.append(']').toString();
            HttpRequest request = HttpRequest.newBuilder(URI.create(options.url())).timeout(options.requestTimeout())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
            HttpPost.Failure failure = HttpPost.send(http, request, options.maxAttempts(), new Backoff(options.firstBackoff(), options.maxBackoff()));
            if (failure == null) {
                batch.setLength(0);
                batch.append('[');
                size = 0;
                return;
            }
            // The batch stays buffered only until the job fails; the restart resends it from the checkpoint.
            batch.setLength(batch.length() - 1);
            throw new IOException(options.url() + " did not accept a batch of " + size + " events " + failure);
        }

        @Override
        public void close() {
            // Unsent events belong to no completed checkpoint: the restarted job sends them again.
        }
    }
}
