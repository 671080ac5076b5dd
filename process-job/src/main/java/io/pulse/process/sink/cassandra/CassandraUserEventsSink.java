package io.pulse.process.sink.cassandra;

import io.pulse.process.sink.Backoff;
import io.pulse.process.sink.SinkDeadLetters;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import com.datastax.oss.driver.api.core.type.codec.TypeCodecs;
import io.pulse.model.Tables;
import io.pulse.process.model.Activity;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.common.operators.ProcessingTimeService;

/**
 * Sink V2 writing every valid activity event to Cassandra {@code pulse.user_events} in its
 * (user_id, UTC date) partition. Rows are buffered up to {@code batchRows} or {@code batchInterval}
 * (checked on the next row) and at every checkpoint, grouped by partition and sent as asynchronous,
 * idempotent UNLOGGED batches of at most {@code rowsPerRequest} rows from at most
 * {@code partitionsPerRequest} partitions (Cassandra warns above 10 by default), with a bound on the requests in
 * flight (backpressure instead of an unbounded buffer). Each checkpoint sends the buffer and waits for
 * every request; a failed request fails the job, and the restarted job writes the rows again onto the
 * same keys, so nothing is duplicated. A batch Cassandra refuses as invalid is written again row by
 * row, and a row it refuses for good (a value over a limit) goes to dead_letter ({@link SinkDeadLetters}).
 */
public final class CassandraUserEventsSink implements Sink<Activity> {
    private static final long serialVersionUID = 1L;

    /** Where and how to write. */
    public record Options(CassandraEndpoint endpoint, String keyspace, int maxInFlight, Duration flushTimeout, int batchRows,
                          Duration batchInterval, int rowsPerRequest, int partitionsPerRequest, int maxAttempts, Duration firstBackoff)
            implements Serializable {
        public static final int DEFAULT_BATCH_ROWS = 2000;
        public static final Duration DEFAULT_BATCH_INTERVAL = Duration.ofMillis(100);
        public static final int DEFAULT_ROWS_PER_REQUEST = 20;
        /** Cassandra logs a warning for an unlogged batch across more than 10 partitions (unlogged_batch_across_partitions_warn_threshold). */
        public static final int DEFAULT_PARTITIONS_PER_REQUEST = 10;

        public Options(CassandraEndpoint endpoint, String keyspace, int maxInFlight, Duration flushTimeout) {
            this(endpoint, keyspace, maxInFlight, flushTimeout, DEFAULT_BATCH_ROWS, DEFAULT_BATCH_INTERVAL, DEFAULT_ROWS_PER_REQUEST,
                    DEFAULT_PARTITIONS_PER_REQUEST);
        }

        /** With the sinks' default retries: 8 attempts, backing off from 200 ms. */
        public Options(CassandraEndpoint endpoint, String keyspace, int maxInFlight, Duration flushTimeout, int batchRows,
                       Duration batchInterval, int rowsPerRequest, int partitionsPerRequest) {
            this(endpoint, keyspace, maxInFlight, flushTimeout, batchRows, batchInterval, rowsPerRequest, partitionsPerRequest, 8,
                    Duration.ofMillis(200));
        }

        /** The local stack's Cassandra: no login, no TLS. */
        public Options(String host, int port, String datacenter, String keyspace, int maxInFlight, Duration flushTimeout) {
            this(CassandraEndpoint.plain(host, port, datacenter), keyspace, maxInFlight, flushTimeout);
        }
    }


    private final Options options;
    private final SinkDeadLetters deadLetters;

    public CassandraUserEventsSink(Options options) {
        this(options, null);
    }

    public CassandraUserEventsSink(Options options, SinkDeadLetters deadLetters) {
        this.options = options;
        this.deadLetters = deadLetters;
    }

    /** The partition bucket of an event: the UTC date of its event time. */
    /**
     * The insert of one event, bound with typed setters and fixed codecs: bind(Object...) looks a
     * codec up per value and, for the metadata map, builds a reflective type token per row (a
     * profile had it among the hot spots). The benchmark's bulk baseline binds the same way.
     */
    public static BoundStatement bind(PreparedStatement insert, Activity a) {
        return insert.boundStatementBuilder()
                .set(0, a.userId, TypeCodecs.TEXT)
                .set(1, bucketDate(a.eventTime), TypeCodecs.DATE)
                .set(2, Instant.ofEpochMilli(a.eventTime), TypeCodecs.TIMESTAMP)
                .set(3, a.eventType, TypeCodecs.TEXT)
                .set(4, a.eventId, TypeCodecs.TEXT)
                .set(5, a.device, TypeCodecs.TEXT)
                .set(6, a.page, TypeCodecs.TEXT)
                .set(7, a.metadata == null ? Map.of() : a.metadata, METADATA)
                .setIdempotence(true)
                .build();
    }

    private static final TypeCodec<Map<String, String>> METADATA = TypeCodecs.mapOf(TypeCodecs.TEXT, TypeCodecs.TEXT);

    public static LocalDate bucketDate(long eventTimeMillis) {
        return LocalDate.ofEpochDay(Math.floorDiv(eventTimeMillis, 86_400_000L)); // the UTC date, without a zone lookup
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<Activity> createWriter(InitContext context) {
        return new Writer(options, deadLetters == null ? null : deadLetters.open("cassandra", context.metricGroup()),
                context.getProcessingTimeService());
    }

    @Override
    public SinkWriter<Activity> createWriter(WriterInitContext context) {
        return new Writer(options, deadLetters == null ? null : deadLetters.open("cassandra", context.metricGroup()),
                context.getProcessingTimeService());
    }

    /** Whether the server refused the statement for its values (a value over a limit), not for its schema or its state. */
    static boolean rowsFault(Throwable error) {
        return error instanceof InvalidQueryException && !schemaProblem(error);
    }

    /** A table or keyspace missing, or a column unknown: a schema change in progress, or one not applied. */
    static boolean schemaProblem(Throwable error) {
        String m = String.valueOf(error.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return error instanceof InvalidQueryException && (m.contains("unconfigured table") || m.contains("does not exist")
                || m.contains("undefined column") || m.contains("unknown identifier") || m.contains("schema"));
    }

    static final class Writer implements SinkWriter<Activity> {
        private volatile boolean closed;
        private final Options options;
        private final CqlSession session;
        private final PreparedStatement insert;
        private final Semaphore inFlight;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final SinkDeadLetters.Channel deadLetters;
        /** Rows refused for good, handed from the driver's threads to the task thread. */
        private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> refused = new java.util.concurrent.ConcurrentLinkedQueue<>();
        /** Batches refused as invalid, handed from the driver's threads to the task thread to be written row by row. */
        private final java.util.concurrent.ConcurrentLinkedQueue<List<Activity>> retryOneByOne = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final List<Activity> buffer = new ArrayList<>();
        private final io.pulse.process.sink.BatchTimer timer;

        Writer(Options options, SinkDeadLetters.Channel deadLetters, ProcessingTimeService time) {
            this.options = options;
            this.timer = new io.pulse.process.sink.BatchTimer(time, options.batchInterval());
            this.deadLetters = deadLetters;
            this.session = options.endpoint().open();
            this.insert = session.prepare("INSERT INTO " + options.keyspace() + "." + Tables.USER_EVENTS
                    + " (user_id, bucket_date, event_time, event_type, event_id, device, page, metadata)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
            this.inFlight = new Semaphore(options.maxInFlight());
        }

        @Override
        public void write(Activity a, Context context) throws IOException, InterruptedException {
            rethrow();
            buffer.add(a);
            if (buffer.size() >= options.batchRows()) {
                send();
            } else {
                timer.arm(() -> {
                    rethrow();
                    send();
                });
            }
        }

        /** The buffer, grouped by partition, as requests of at most rowsPerRequest rows and partitionsPerRequest partitions. */
        private void send() throws InterruptedException {
            if (buffer.isEmpty()) {
                return;
            }
            Map<String, List<Activity>> partitions = new java.util.LinkedHashMap<>();
            for (Activity a : buffer) {
                partitions.computeIfAbsent(a.userId + '\u0000' + Math.floorDiv(a.eventTime, 86_400_000L), k -> new ArrayList<>()).add(a);
            }
            buffer.clear();
            List<Activity> request = new ArrayList<>(options.rowsPerRequest());
            int partitionsInRequest = 0;
            for (List<Activity> rows : partitions.values()) {
                if (partitionsInRequest == options.partitionsPerRequest()) {
                    execute(request);
                    request = new ArrayList<>(options.rowsPerRequest());
                    partitionsInRequest = 0;
                }
                partitionsInRequest++;
                for (Activity a : rows) {
                    request.add(a);
                    if (request.size() == options.rowsPerRequest()) {
                        execute(request);
                        request = new ArrayList<>(options.rowsPerRequest());
                        partitionsInRequest = 1;
                    }
                }
            }
            execute(request);
        }

        private void execute(List<Activity> rows) throws InterruptedException {
            if (rows.isEmpty()) {
                return;
            }
            if (rows.size() == 1) {
                executeOne(rows.get(0));
                return;
            }
            BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.UNLOGGED).setIdempotence(true);
            for (Activity a : rows) {
                batch.addStatement(bind(insert, a));
            }
            inFlight.acquire();
            submit(batch.build(), 1, error -> retryOneByOne.add(rows));
        }

        private void executeOne(Activity a) throws InterruptedException {
            inFlight.acquire();
            submit(bind(insert, a), 1, error -> refused.add(new Object[] {a, error.getMessage()}));
        }

        /**
         * Runs a statement (holding an in-flight permit, released when it is done). A statement the
         * server refuses as invalid for its values goes to {@code refusedForGood}; a failure that can
         * pass (a timeout, an unavailable or overloaded node, a lost connection, a table missing during
         * a schema change) is tried again with backoff up to {@code maxAttempts}; then the job fails.
         */
        private void submit(com.datastax.oss.driver.api.core.cql.Statement<?> statement, int attempt,
                            java.util.function.Consumer<Throwable> refusedForGood) {
            session.executeAsync(statement).whenComplete((result, error) -> {
                if (error == null) {
                    inFlight.release();
                } else if (rowsFault(error) && deadLetters != null) {
                    refusedForGood.accept(error);
                    inFlight.release();
                } else if (!rowsFault(error) && attempt < options.maxAttempts() && !closed) {
                    long delay = Math.min(options.firstBackoff().toMillis() << Math.min(attempt - 1, 20), Backoff.DEFAULT_MAX.toMillis());
                    java.util.concurrent.CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS)
                            .execute(() -> submit(statement, attempt + 1, refusedForGood));
                } else {
                    failure.compareAndSet(null, schemaProblem(error) ? new IOException(error.getMessage() + ": the table "
                            + options.keyspace() + "." + Tables.USER_EVENTS + " is missing or changing; apply infra/ddl/cassandra.cql"
                            + " (./pulse up does)", error) : error);
                    inFlight.release();
                }
            });
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            send();
            awaitInFlight();
            // Rows of a refused batch, written again one by one: the refused ones go to dead_letter.
            for (List<Activity> rows = retryOneByOne.poll(); rows != null; rows = retryOneByOne.poll()) {
                for (Activity a : rows) {
                    executeOne(a);
                }
            }
            awaitInFlight();
            rethrow();
            if (deadLetters != null) {
                deadLetters.flush();
            }
        }

        private void awaitInFlight() throws IOException, InterruptedException {
            if (!inFlight.tryAcquire(options.maxInFlight(), options.flushTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("Cassandra writes still in flight after " + options.flushTimeout());
            }
            inFlight.release(options.maxInFlight());
        }

        private void rethrow() throws IOException {
            for (Object[] r = refused.poll(); r != null; r = refused.poll()) {
                Activity a = (Activity) r[0];
                deadLetters.send(Tables.USER_EVENTS, a.userId, (String) r[1], a.toString());
            }
            Throwable error = failure.get();
            if (error != null) {
                throw new IOException("a write to " + options.endpoint() + " failed: " + error, error);
            }
        }

        @Override
        public void close() {
            closed = true;
            session.close();
            if (deadLetters != null) {
                deadLetters.close();
            }
        }
    }
}
