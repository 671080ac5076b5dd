package io.pulse.process.sink.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Which Cassandra refusals are a row's fault (dead_letter) and which are not: a table missing or
 * changing is the schema's, and must be retried and then fail the job, never dead-letter every row
 * written meanwhile. The messages are Cassandra 5.0's own.
 */
class CassandraRefusalsTest {
    @Test
    void aValueOverALimitIsTheRowsFault() {
        InvalidQueryException tooLong = new InvalidQueryException(null, "Key length of 70000 is longer than maximum of 65535");
        assertThat(CassandraUserEventsSink.rowsFault(tooLong)).isTrue();
    }

    @Test
    void aMissingTableOrKeyspaceOrColumnIsNotTheRowsFault() {
        for (String message : new String[] {"unconfigured table user_events", "Keyspace pulse does not exist",
                "Undefined column name metadata in table pulse.user_events"}) {
            InvalidQueryException schema = new InvalidQueryException(null, message);
            assertThat(CassandraUserEventsSink.rowsFault(schema)).as(message).isFalse();
            assertThat(CassandraUserEventsSink.schemaProblem(schema)).as(message).isTrue();
        }
    }

    @Test
    void aTimeoutIsNotTheRowsFault() {
        assertThat(CassandraUserEventsSink.rowsFault(new WriteTimeoutException(null, null, 0, 1,
                com.datastax.oss.driver.api.core.servererrors.WriteType.UNLOGGED_BATCH))).isFalse();
    }
}
