package io.pulse.process.sink.clickhouse;

import io.pulse.process.sink.Backoff;
import io.pulse.process.sink.HttpPost;
import io.pulse.process.sink.SinkDeadLetters;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Sink V2 writing rows to ClickHouse over its HTTP interface as batched
 * {@code INSERT ... FORMAT JSONEachRow} (works from 18.16 to current releases; modern JDBC drivers
 * refuse 18.16). A batch goes out when it reaches its size, when its interval has passed since its
 * first row (a processing-time timer: a quiet stream does not wait for the checkpoint), and at every
 * checkpoint, so a checkpoint never completes with rows still in memory.
 * Failures are retried with exponential backoff, then fail the job; the restarted job writes the
 * rows again and the table's ReplacingMergeTree collapses them by key. A batch ClickHouse refuses for
 * its data (an exception whose code is a parse, type or range error) is split until the refused rows
 * are alone; those go to dead_letter ({@link SinkDeadLetters}), the rest is written. Any other refusal
 * (a missing table, a wrong user) fails the job.
 */
public final class ClickHouseHttpSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    /** Where and how to write. */
    public record Options(ClickHouseEndpoint endpoint, String table, int batchSize, Duration batchInterval, int maxAttempts,
                          Duration firstBackoff) implements Serializable {
        /** ClickHouse at {@code url} as its default user. */
        public Options(String url, String table, int batchSize, Duration batchInterval, int maxAttempts, Duration firstBackoff) {
            this(ClickHouseEndpoint.plain(url), table, batchSize, batchInterval, maxAttempts, firstBackoff);
        }

        public String url() {
            return endpoint.url();
        }
    }

    /**
     * ClickHouse exception codes of a row's data (cannot parse, type mismatch, out of range, too large,
     * NULL into a non-Nullable column): writing the same row again cannot succeed. 18.16 answers them
     * with HTTP 500, current releases with 4xx.
     */
    static final Set<Integer> DATA_ERRORS = Set.of(6, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 131, 321, 349);
    private static final Pattern CODE = Pattern.compile("Code: (\\d+)");
    static final BiPredicate<Integer, String> REFUSED = (status, body) -> {
        Matcher code = CODE.matcher(body);
        return code.find() && DATA_ERRORS.contains(Integer.parseInt(code.group(1)));
    };

    private final Options options;
    private final SerializableFunction<T, String> toJsonRow;
    private final SinkDeadLetters deadLetters;

    public ClickHouseHttpSink(Options options, SerializableFunction<T, String> toJsonRow) {
        this(options, toJsonRow, null);
    }

    public ClickHouseHttpSink(Options options, SerializableFunction<T, String> toJsonRow, SinkDeadLetters deadLetters) {
        this.options = options;
        this.toJsonRow = toJsonRow;
        this.deadLetters = deadLetters;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(options, toJsonRow, deadLetters, context.metricGroup(), context.getProcessingTimeService());
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(options, toJsonRow, deadLetters, context.metricGroup(), context.getProcessingTimeService());
    }

    static final class Writer<T> implements SinkWriter<T> {
        private final Options options;
        private final SerializableFunction<T, String> toJsonRow;
        private final HttpClient http;
        private final URI insert;
        private final List<String> batch = new ArrayList<>();
        private final SinkDeadLetters.Channel deadLetters;
        private final io.pulse.process.sink.BatchTimer timer;

        Writer(Options options, SerializableFunction<T, String> toJsonRow, SinkDeadLetters deadLetters, MetricGroup metrics,
               ProcessingTimeService time) {
            this.options = options;
            this.timer = new io.pulse.process.sink.BatchTimer(time, options.batchInterval());
            this.http = options.endpoint().client();
            this.toJsonRow = toJsonRow;
            this.deadLetters = deadLetters == null ? null : deadLetters.open("clickhouse", metrics);
            this.insert = URI.create(options.url() + "/?query="
                    + URLEncoder.encode("INSERT INTO " + options.table() + " FORMAT JSONEachRow", StandardCharsets.UTF_8));
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            batch.add(toJsonRow.apply(element));
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
            StringBuilder body = new StringBuilder();
            for (String row : rows) {
                body.append(row).append('\n');
            }
            return options.endpoint().request(insert).timeout(HttpPost.DEFAULT_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)).build();
        }

        private void send() throws IOException, InterruptedException {
            if (batch.isEmpty()) {
                return;
            }
            HttpPost.Failure failure = HttpPost.sendIsolating(http, batch, this::request, options.maxAttempts(), options.firstBackoff(),
                    Backoff.DEFAULT_MAX, REFUSED, deadLetters, "clickhouse " + options.table());
            if (failure == null) {
                batch.clear();
                return;
            }
            throw new IOException(options.endpoint() + " did not take " + batch.size() + " rows for " + options.table()
                    + " " + failure);
        }

        @Override
        public void close() {
            // Rows not yet flushed belong to no completed checkpoint: the restarted job writes them again.
            if (deadLetters != null) {
                deadLetters.close();
            }
        }
    }
}
