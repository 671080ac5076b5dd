package io.pulse.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.InputLimits;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.process.ReferenceModel.Event;
import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.sink.ProcessSinks;
import io.pulse.process.source.ActivityRecordDeserializer;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The whole activity topology of the process job on a MiniCluster, with an in-memory source and
 * collecting sinks ({@link ProcessSinks}): out-of-order on-time events, malformed records and a
 * closer, in a fixed order; the source is bounded, so every window closes at its end. Late records
 * are the harness tests' and the ITCases' (there the watermark is known to have passed first). Every output (the five tables as upserted, the raw sinks, late
 * and dead letters) equals {@link ReferenceModel}. The engagement side needs PostgreSQL for its
 * lookup and is covered by the ITCases.
 */
class ProcessTopologyIntegrationTest {
    private static final long T0 = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    private static final long MINUTE = ReferenceModel.MINUTE;
    /** Rows per output, collected by the sinks (the MiniCluster runs in this JVM). */
    static final Map<String, ConcurrentLinkedQueue<Object>> COLLECTED = new ConcurrentHashMap<>();

    @Test
    void everyOutputEqualsTheReferenceModel() throws Exception {
        List<Event> onTime = Datasets.onTimeEvents(T0);
        Random jitter = new Random(5);
        Map<String, Long> arrival = new TreeMap<>();
        onTime.forEach(e -> arrival.put(e.id(), e.time() + jitter.nextInt(60_000)));
        List<Event> sendOrder = new ArrayList<>(onTime);
        sendOrder.sort(Comparator.comparingLong(e -> arrival.get(e.id())));
        Event closer = new Event("closer", "closer", "click", T0 + 180 * MINUTE, "Web", null);

        UserEventCodec codec = new UserEventCodec();
        ArrayList<byte[]> records = new ArrayList<>();
        sendOrder.forEach(e -> records.add(codec.encodeAvro(userEvent(e))));
        records.addAll(Datasets.malformed().keySet());
        records.add(codec.encodeJson(userEvent(closer)));

        COLLECTED.clear();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1); // one source subtask: the order above is the order of arrival
        ProcessSinks sinks = ProcessSinks.builder().sessionKpis(collect("session_kpis")).pageViewCounts(collect("page_view_counts"))
                .activeUsers(collect("active_users")).userSessions(collect("user_sessions")).aggregatedCounts(collect("aggregated_counts"))
                .lateEvents(collect("late_events")).deadLetters(collect("dead_letter")).userEvents(collect("user_events"))
                .lake(collect("lake")).enrichedActivity(collect("enriched_activity")).build();
        new ProcessPipeline(new DataGeneratorSource<>(new Records(records), records.size(), RateLimiterStrategy.noOp(), DecodedRecord.TYPE),
                sinks, ProcessPipeline.Options.defaults(), null).build(env);
        env.execute("process topology");

        // The bounded source ends with the highest watermark: every window closes, the closer's too.
        List<Event> counted = new ArrayList<>(onTime);
        counted.add(closer);
        Map<String, Set<String>> tables = ReferenceModel.postgresTables(counted);
        assertThat(upserted("session_kpis", r -> (io.pulse.process.model.SessionKpi) r, k -> k.sessionId() + "|" + k.device(),
                k -> String.join("|", k.sessionId(), k.device(), k.userId(), str(k.sessionStart()), str(k.sessionEnd()),
                        str(k.firstEventTime()), str(k.lastEventTime()), Long.toString(k.sessionDurationS()), Boolean.toString(k.didLogin()),
                        Boolean.toString(k.didPurchase()), Long.toString(k.totalActions())))).isEqualTo(tables.get("session_kpis"));
        assertThat(upserted("page_view_counts", r -> (io.pulse.process.model.PageViewCount) r, p -> p.windowStart() + "|" + p.page(),
                p -> str(p.windowStart()) + "|" + p.page() + "|" + str(p.windowEnd()) + "|" + p.views()))
                .isEqualTo(tables.get("page_view_counts"));
        assertThat(upserted("active_users", r -> (io.pulse.process.model.ActiveUsers) r, a -> Long.toString(a.windowStart()),
                a -> str(a.windowStart()) + "|" + str(a.windowEnd()) + "|" + a.activeUsers())).isEqualTo(tables.get("active_users"));
        assertThat(upserted("user_sessions", r -> (io.pulse.process.model.UserSession) r, u -> u.userId() + "|" + u.sessionStart(),
                u -> String.join("|", u.userId(), str(u.sessionStart()), str(u.sessionEnd()), Long.toString(u.durationS()),
                        Long.toString(u.eventCount()), u.endReason()))).isEqualTo(tables.get("user_sessions"));
        assertThat(upserted("aggregated_counts", r -> (io.pulse.process.model.SessionCount) r, c -> c.groupKey(),
                c -> c.groupKey() + "|" + c.countValue() + "|" + str(c.windowEndTime()))).isEqualTo(tables.get("aggregated_counts"));

        List<String> valid = new ArrayList<>();
        onTime.forEach(e -> valid.add(e.id()));
        valid.add(closer.id());
        for (String raw : List.of("user_events", "lake", "enriched_activity")) {
            assertThat(COLLECTED.get(raw).stream().map(a -> ((Activity) a).eventId).toList()).as(raw).containsExactlyInAnyOrderElementsOf(valid);
        }
        assertThat(COLLECTED.getOrDefault("late_events", new ConcurrentLinkedQueue<>())).as("nothing on time is late").isEmpty();
        assertThat(COLLECTED.get("dead_letter").stream().map(d -> ((DecodedRecord) d).reason).toList())
                .containsExactlyInAnyOrderElementsOf(Datasets.malformed().values().stream().map(RejectReason::name).toList());
    }

    /** The table a keyed upsert of the collected rows leaves: the last row per key. */
    private static <T> Set<String> upserted(String output, Function<Object, T> cast, Function<T, String> key, Function<T, String> row) {
        Map<String, String> table = new TreeMap<>();
        for (Object r : COLLECTED.getOrDefault(output, new ConcurrentLinkedQueue<>())) {
            T t = cast.apply(r);
            table.put(key.apply(t), row.apply(t));
        }
        return new TreeSet<>(table.values());
    }

    private static String str(long millis) {
        return ReferenceModel.str(millis);
    }

    private static UserEvent userEvent(Event e) {
        return UserEvent.newBuilder().setEventId(e.id()).setUserId(e.user()).setEventType(e.type())
                .setEventTime(Instant.ofEpochMilli(e.time())).setDevice(e.device()).setPage(e.page()).build();
    }

    private static <T> Sink<T> collect(String output) {
        return new CollectingSink<>(output);
    }

    /** The i-th record, decoded at the edge as the Kafka source's deserializer does. */
    private static final class Records implements GeneratorFunction<Long, DecodedRecord> {
        private final ArrayList<byte[]> records;
        private transient ActivityRecordDeserializer edge;

        Records(ArrayList<byte[]> records) {
            this.records = records;
        }

        @Override
        public DecodedRecord map(Long index) {
            if (edge == null) {
                edge = new ActivityRecordDeserializer(InputLimits.defaults(), DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES);
            }
            byte[] value = records.get(index.intValue());
            return edge.decode(new ConsumerRecord<>("user_activity", 0, index, "k".getBytes(StandardCharsets.UTF_8), value),
                    System.currentTimeMillis());
        }
    }

    /** Adds every row to {@link #COLLECTED} under its output. */
    private static final class CollectingSink<T> implements Sink<T>, Serializable {
        private static final long serialVersionUID = 1L;
        private final String output;

        CollectingSink(String output) {
            this.output = output;
        }

        @Override
        @SuppressWarnings("deprecation")
        public SinkWriter<T> createWriter(InitContext context) {
            return writer();
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            return writer();
        }

        private SinkWriter<T> writer() {
            ConcurrentLinkedQueue<Object> rows = COLLECTED.computeIfAbsent(output, k -> new ConcurrentLinkedQueue<>());
            return new SinkWriter<>() {
                @Override
                public void write(T row, Context context) {
                    rows.add(row);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
