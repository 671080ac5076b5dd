package io.pulse.process.sink;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Sink V2 writing rows to ClickHouse over its HTTP interface as batched
 * {@code INSERT ... FORMAT JSONEachRow} (works from 18.16 to current releases; modern JDBC drivers
 * refuse 18.16). A batch goes out when it reaches its size, when it is older than its interval (on
 * the next row), and at every checkpoint, so a checkpoint never completes with rows still in memory.
 * Failures are retried with exponential backoff, then fail the job; the restarted job writes the
 * rows again and the table's ReplacingMergeTree collapses them by key.
 */
public final class ClickHouseHttpSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    /** Where and how to write. */
    public record Options(String url, String table, int batchSize, Duration batchInterval, int maxAttempts,
                          Duration firstBackoff) implements Serializable {}

    private final Options options;
    private final SerializableFunction<T, String> toJsonRow;

    public ClickHouseHttpSink(Options options, SerializableFunction<T, String> toJsonRow) {
        this.options = options;
        this.toJsonRow = toJsonRow;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(options, toJsonRow);
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(options, toJsonRow);
    }

    static final class Writer<T> implements SinkWriter<T> {
        private final Options options;
        private final SerializableFunction<T, String> toJsonRow;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        private final URI insert;
        private final StringBuilder batch = new StringBuilder();
        private int rows;
        private long batchStartedNanos;

        Writer(Options options, SerializableFunction<T, String> toJsonRow) {
            this.options = options;
            this.toJsonRow = toJsonRow;
            this.insert = URI.create(options.url() + "/?query="
                    + URLEncoder.encode("INSERT INTO " + options.table() + " FORMAT JSONEachRow", StandardCharsets.UTF_8));
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            if (rows == 0) {
                batchStartedNanos = System.nanoTime();
            }
            batch.append(toJsonRow.apply(element)).append('\n');
            rows++;
            if (rows >= options.batchSize() || System.nanoTime() - batchStartedNanos >= options.batchInterval().toNanos()) {
                send();
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            send();
        }

        private void send() throws IOException, InterruptedException {
            if (rows == 0) {
                return;
            }
            HttpRequest request = HttpRequest.newBuilder(insert).timeout(HttpPost.DEFAULT_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(batch.toString(), StandardCharsets.UTF_8)).build();
            HttpPost.Failure failure = HttpPost.send(http, request, options.maxAttempts(), new Backoff(options.firstBackoff(), Backoff.DEFAULT_MAX));
            if (failure == null) {
                batch.setLength(0);
                rows = 0;
                return;
            }
            throw new IOException("ClickHouse at " + options.url() + " did not take " + rows + " rows for " + options.table()
                    + " " + failure);
        }

        @Override
        public void close() {
            // Rows not yet flushed belong to no completed checkpoint: the restarted job writes them again.
        }
    }
}
