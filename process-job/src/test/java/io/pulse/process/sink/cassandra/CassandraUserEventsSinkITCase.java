package io.pulse.process.sink.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.process.model.Activity;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** The Cassandra sink against the real Cassandra of the test stack. */
class CassandraUserEventsSinkITCase {
    private static final long NEAR_MIDNIGHT = Instant.parse("2025-07-24T23:59:58Z").toEpochMilli();

    @Test
    void everyEventLandsInItsUserDatePartitionOnceEvenWhenWrittenTwice() throws Exception {
        StackEndpoints stack = LocalStack.sharedEndpoints();
        String user = "cass-it-" + UUID.randomUUID();
        List<Activity> events = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Activity a = Activity.of("e-" + i, user, i % 2 == 0 ? "click" : "page_view", NEAR_MIDNIGHT + i * 100L)
                    .withDevice("Web").withPage("/p/" + i);
            a.metadata = Map.of("i", Integer.toString(i));
            events.add(a);
        }
        CassandraUserEventsSink.Options options = new CassandraUserEventsSink.Options(stack.cassandraHost(),
                stack.cassandraPort(), stack.cassandraDatacenter(), "pulse", 8, Duration.ofSeconds(30));
        for (int run = 0; run < 2; run++) { // the second run is the replay after a restart
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.fromData(Activity.TYPE, events.toArray(new Activity[0])).sinkTo(new CassandraUserEventsSink(options));
            env.execute("cassandra-sink-it");
        }

        try (CqlSession cql = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                .withLocalDatacenter(stack.cassandraDatacenter()).build()) {
            var select = cql.prepare("SELECT event_id, device, page, metadata FROM pulse.user_events WHERE user_id = ? AND bucket_date = ?");
            List<Row> july24 = cql.execute(select.bind(user, LocalDate.of(2025, 7, 24))).all();
            List<Row> july25 = cql.execute(select.bind(user, LocalDate.of(2025, 7, 25))).all();
            assertThat(july24).hasSize(20); // 23:59:58.000 .. 23:59:59.900
            assertThat(july25).hasSize(30);
            Row first = july24.get(july24.size() - 1); // clustering: newest first
            assertThat(first.getString("event_id")).isEqualTo("e-0");
            assertThat(first.getString("page")).isEqualTo("/p/0");
            assertThat(first.getMap("metadata", String.class, String.class)).containsEntry("i", "0");
        }
    }

    @Test
    void aBufferGoesOutWhenItsIntervalHasPassedThoughNoRowAndNoCheckpointFollows() throws Exception {
        StackEndpoints stack = LocalStack.sharedEndpoints();
        String user = "cass-it-quiet-" + UUID.randomUUID();
        CassandraUserEventsSink.Options options = new CassandraUserEventsSink.Options(stack.cassandraHost(),
                stack.cassandraPort(), stack.cassandraDatacenter(), "pulse", 8, Duration.ofSeconds(30));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1); // no checkpointing: only the batch interval can send the three rows
        env.addSource(new io.pulse.process.sink.ThenQuiet<>(() -> List.of(Activity.of("q-1", user, "click", NEAR_MIDNIGHT),
                Activity.of("q-2", user, "click", NEAR_MIDNIGHT + 1), Activity.of("q-3", user, "click", NEAR_MIDNIGHT + 2))), Activity.TYPE)
                .sinkTo(new CassandraUserEventsSink(options));
        org.apache.flink.core.execution.JobClient job = env.executeAsync("cassandra-sink-interval-it");
        try (CqlSession cql = CqlSession.builder().addContactPoint(new InetSocketAddress(stack.cassandraHost(), stack.cassandraPort()))
                .withLocalDatacenter(stack.cassandraDatacenter()).build()) {
            var select = cql.prepare("SELECT event_id FROM pulse.user_events WHERE user_id = ? AND bucket_date = ?");
            io.pulse.process.SinkContents.awaitTrue("the three rows of " + user, Duration.ofSeconds(60),
                    () -> cql.execute(select.bind(user, LocalDate.of(2025, 7, 24))).all().size() == 3,
                    () -> "rows: " + cql.execute(select.bind(user, LocalDate.of(2025, 7, 24))).all().size());
        } finally {
            job.cancel().get();
        }
    }
}
