package io.pulse.process.sink.postgres;

import io.pulse.model.settings.PostgresConnection;
import io.pulse.process.sink.Backoff;
import io.pulse.process.sink.SinkDeadLetters;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Sink V2 writing rows as batched upserts ({@code INSERT ... ON CONFLICT DO UPDATE}) into one PostgreSQL
 * table. A batch holds each key once (the last row of a key wins: PostgreSQL refuses a multi-row upsert
 * that touches one row twice) and goes out at its size, after its interval, and before every
 * checkpoint, in one transaction. A batch the database refuses for good (SQLSTATE class 22 data
 * exception, 23 constraint violation, 54 program limit such as an over-long index row) is split until
 * the refused rows are alone; each of those goes to dead_letter ({@link SinkDeadLetters}) and the rest
 * is written. A transient failure (connection, resources, deadlock) is retried with backoff on a new
 * connection and, past the attempts, fails the job, which restarts from the last checkpoint; any other
 * failure (a missing table, a wrong password) fails it at once with the database's message.
 */
public final class PostgresUpsertSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a row is written: its upsert, its key, and its parameters. */
    public interface Binder<T> extends Serializable {
        void bind(PreparedStatement statement, T row) throws SQLException;
    }

    /** Where and how to write. */
    public record Options(String url, String user, String password, int batchSize, Duration batchInterval, int maxAttempts,
                          Duration firstBackoff) implements Serializable {}

    private final String table;
    private final String upsert;
    private final SerializableFunction<T, Object> key;
    private final Binder<T> binder;
    private final Options options;
    private final SinkDeadLetters deadLetters;

    public PostgresUpsertSink(String table, String upsert, SerializableFunction<T, Object> key, Binder<T> binder, Options options,
                              SinkDeadLetters deadLetters) {
        this.table = table;
        this.upsert = upsert;
        this.key = key;
        this.binder = binder;
        this.options = options;
        this.deadLetters = deadLetters;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<T> createWriter(InitContext context) {
        return new Writer<>(this, context.getProcessingTimeService(), context.metricGroup());
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        // The driver this writer registers must not keep the job's class loader once the job is gone.
        context.getUserCodeClassLoader().registerReleaseHookIfAbsent(PostgresConnection.RELEASE_HOOK, PostgresConnection::releaseDrivers);
        return new Writer<>(this, context.getProcessingTimeService(), context.metricGroup());
    }

    /** Why a batch was refused for good: a fault of its rows, not of the database. */
    static boolean refusedForGood(SQLException e) {
        String state = state(e);
        return state != null && (state.startsWith("22") || state.startsWith("23") || state.startsWith("54"));
    }

    /** The SQLSTATE of a failure, or of the first error behind a batch failure. */
    static String state(SQLException e) {
        if (e.getSQLState() != null || e.getNextException() == null) {
            return e.getSQLState();
        }
        return e.getNextException().getSQLState();
    }

    static boolean transientFailure(SQLException e) {
        String state = state(e);
        return e instanceof SQLTransientException || e instanceof SQLRecoverableException || state == null
                || state.startsWith("08") || state.startsWith("40") || state.startsWith("53") || state.startsWith("57")
                || state.startsWith("58") || state.startsWith("XX");
    }

    static final class Writer<T> implements SinkWriter<T> {
        private final PostgresUpsertSink<T> sink;
        private final SinkDeadLetters.Channel deadLetters;
        private final Map<Object, T> batch = new LinkedHashMap<>();
        /** Rows of the batch being sent that went to dead_letter. */
        private final java.util.Set<T> refused = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        private Connection connection;
        private PreparedStatement statement;
        private final io.pulse.process.sink.BatchTimer timer;

        Writer(PostgresUpsertSink<T> sink, ProcessingTimeService time, MetricGroup metrics) {
            this.sink = sink;
            this.timer = new io.pulse.process.sink.BatchTimer(time, sink.options.batchInterval());
            this.deadLetters = sink.deadLetters == null ? null : sink.deadLetters.open("postgres", metrics);
        }

        @Override
        public void write(T row, Context context) throws IOException, InterruptedException {
            batch.put(sink.key.apply(row), row);
            if (batch.size() >= sink.options.batchSize()) {
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

        private void send() throws IOException, InterruptedException {
            if (batch.isEmpty()) {
                return;
            }
            List<T> rows = new ArrayList<>(batch.values());
            batch.clear();
            Backoff backoff = new Backoff(sink.options.firstBackoff(), Backoff.DEFAULT_MAX);
            refused.clear();
            for (int attempt = 1; ; attempt++) {
                try {
                    write(rows);
                    return;
                } catch (SQLException e) {
                    closeConnection();
                    rows.removeIf(refused::contains); // dead-lettered before the failure: not again
                    if (!transientFailure(e)) {
                        throw new IOException("PostgreSQL refused the upsert into " + sink.table + ": " + e.getMessage()
                                + " (SQLSTATE " + e.getSQLState() + ")", e);
                    }
                    if (attempt >= sink.options.maxAttempts()) {
                        throw new IOException("PostgreSQL at " + sink.options.url() + " did not take " + rows.size() + " rows for "
                                + sink.table + " after " + attempt + " attempts: " + e.getMessage(), e);
                    }
                    backoff.pause();
                }
            }
        }

        /** Writes the rows, splitting off and dead-lettering those refused for good. */
        private void write(List<T> rows) throws SQLException {
            try {
                execute(rows);
            } catch (SQLException e) {
                if (!refusedForGood(e) || deadLetters == null) {
                    throw e;
                }
                rollback();
                if (rows.size() == 1) {
                    T row = rows.get(0);
                    deadLetters.send(sink.table, String.valueOf(sink.key.apply(row)), e.getMessage() + " (SQLSTATE " + state(e) + ")",
                            json(row));
                    refused.add(row);
                    return;
                }
                int half = rows.size() / 2;
                write(rows.subList(0, half));
                write(rows.subList(half, rows.size()));
            }
        }

        private void execute(List<T> rows) throws SQLException {
            if (connection == null) {
                Properties p = new Properties();
                if (sink.options.user() != null) {
                    p.setProperty("user", sink.options.user());
                }
                if (sink.options.password() != null) {
                    p.setProperty("password", sink.options.password());
                }
                try {
                    // Registered from the job's class loader, which DriverManager does not search (decision 0030).
                    Class.forName("org.postgresql.Driver");
                } catch (ClassNotFoundException e) {
                    throw new SQLException("the PostgreSQL driver (org.postgresql:postgresql) is not in the job jar", "08001", e);
                }
                connection = DriverManager.getConnection(sink.options.url(), p);
                connection.setAutoCommit(false);
                statement = connection.prepareStatement(sink.upsert);
            }
            for (T row : rows) {
                sink.binder.bind(statement, row);
                statement.addBatch();
            }
            try {
                statement.executeBatch();
                connection.commit();
            } finally {
                statement.clearBatch();
            }
        }

        private void rollback() {
            try {
                if (connection != null) {
                    connection.rollback();
                }
            } catch (SQLException e) {
                closeConnection();
            }
        }

        private static String json(Object row) {
            try {
                return JSON.writeValueAsString(row);
            } catch (IOException e) {
                return String.valueOf(row);
            }
        }

        private void closeConnection() {
            try {
                if (connection != null) {
                    connection.close();
                }
            } catch (SQLException ignored) {
                // the connection is being dropped anyway
            }
            connection = null;
            statement = null;
        }

        @Override
        public void close() {
            closeConnection();
            if (deadLetters != null) {
                deadLetters.close();
            }
        }
    }
}
