package io.pulse.process.sink;

import io.pulse.process.ProcessSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * Connects once to every store the job's settings turn on, before the job is built: a wrong
 * password, a missing CA file or a plain client on a TLS port fails the submission with the
 * setting to fix, instead of a job that restarts forever.
 */
public final class StoreChecks {
    /** The outputs that read the content dimension from PostgreSQL (the lookup join). */
    private static final List<String> LOOKUP_OUTPUTS = List.of("clickhouse", "http", "redis");

    private StoreChecks() {}

    public static void check(ProcessSettings s) {
        s.kafka.check(Duration.ofSeconds(30));
        if (s.sink("postgres") || LOOKUP_OUTPUTS.stream().anyMatch(s::sink)) {
            try (Connection db = s.postgres.open()) {
                db.isValid(10);
            } catch (SQLException e) {
                throw new IllegalArgumentException(s.postgres.explain(e), e);
            }
        }
        if (s.sink("cassandra")) {
            s.cassandra.check();
        }
        if (s.sink("redis")) {
            s.redis.check();
        }
        if (s.sink("clickhouse")) {
            s.clickhouse.check();
        }
    }
}
