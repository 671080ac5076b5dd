package io.pulse.process.sink.http;

import io.pulse.process.sink.HttpPost;
import io.pulse.process.sink.SinkDeadLetters;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Sink V2 POSTing JSON batches ({@code [{...}, ...]}) to an HTTP endpoint such as mock-external's
 * {@code /events}, a batch when it is full, when its interval has passed since its first event (a
 * processing-time timer) and at every checkpoint. Each element's JSON carries its own idempotency key (event_id), so a batch sent
 * again after a timeout, a 5xx or a restart is recognised by the receiver. One request in flight per
 * writer; 5xx, 408, 429 and I/O errors are retried with exponential backoff up to a limit, then fail the
 * job with the reason; a checkpoint completes only after its batch was accepted. Another 4xx is a
 * refusal retrying cannot fix: the batch is split until the refused events are alone, and those go to
 * dead_letter ({@link SinkDeadLetters}) while the rest is delivered.
 */
public final class HttpBatchSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    /** Where and how to send. */
    public record Options(String url, int batchSize, Duration requestTimeout, int maxAttempts, Duration firstBackoff,
                          Duration maxBackoff, Duration batchInterval) implements Serializable {
        /** The default interval: a batch goes out at most a second after its first event. */
        public static final Duration DEFAULT_BATCH_INTERVAL = Duration.ofSeconds(1);

        public Options(String url, int batchSize, Duration requestTimeout, int maxAttempts, Duration firstBackoff, Duration maxBackoff) {
            this(url, batchSize, requestTimeout, maxAttempts, firstBackoff, maxBackoff, DEFAULT_BATCH_INTERVAL);
        }
    }

    private final Options options;
    private final SerializableFunction<T, String> toJson;
    private final SinkDeadLetters deadLetters;

    public HttpBatchSink(Options options, SerializableFunction<T, String> toJson) {
        this(options, toJson, null);
    }

    public HttpBatchSink(Options options, SerializableFunction<T, String> toJson, SinkDeadLetters deadLetters) {
        this.options = options;
        this.toJson = toJson;
        this.deadLetters = deadLetters;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(options, toJson, deadLetters, context.metricGroup(), context.getProcessingTimeService());
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(options, toJson, deadLetters, context.metricGroup(), context.getProcessingTimeService());
    }

    static final class Writer<T> implements SinkWriter<T> {
        private final Options options;
        private final SerializableFunction<T, String> toJson;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        private final URI uri;
        private final SinkDeadLetters.Channel deadLetters;
        private final List<String> batch = new ArrayList<>();
        private final io.pulse.process.sink.BatchTimer timer;

        Writer(Options options, SerializableFunction<T, String> toJson, SinkDeadLetters deadLetters, MetricGroup metrics,
               ProcessingTimeService time) {
            this.options = options;
            this.timer = new io.pulse.process.sink.BatchTimer(time, options.batchInterval());
            this.toJson = toJson;
            this.uri = URI.create(options.url());
            this.deadLetters = deadLetters == null ? null : deadLetters.open("http", metrics);
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            batch.add(toJson.apply(element));
            if (batch.size() >= options.batchSize()) {
                send();
            } else {
                timer.arm(this::send);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            send();
            if (deadLetters != null) {
                deadLetters.flush();
            }
        }

        private HttpRequest request(List<String> rows) {
            String body = "[" + String.join(",", rows) + "]";
            return HttpRequest.newBuilder(uri).timeout(options.requestTimeout()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        }

        private void send() throws IOException, InterruptedException {
            if (batch.isEmpty()) {
                return;
            }
            HttpPost.Failure failure = HttpPost.sendIsolating(http, batch, this::request, options.maxAttempts(), options.firstBackoff(),
                    options.maxBackoff(), HttpPost.CLIENT_ERROR, deadLetters, "http " + io.pulse.model.settings.SettingsLoader.maskUrlPassword(options.url()));
            if (failure == null) {
                batch.clear();
                return;
            }
            // The batch stays buffered only until the job fails; the restart resends it from the checkpoint.
            throw new IOException(io.pulse.model.settings.SettingsLoader.maskUrlPassword(options.url()) + " did not accept a batch of " + batch.size() + " events " + failure);
        }

        @Override
        public void close() {
            // Unsent events belong to no completed checkpoint: the restarted job sends them again.
            if (deadLetters != null) {
                deadLetters.close();
            }
        }
    }
}
