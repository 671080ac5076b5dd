package io.pulse.bench.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.window;
import static org.apache.spark.sql.functions.window_time;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;

/**
 * The Spark Structured Streaming peer of {@code ./pulse bench process}: the same Kafka topic,
 * decoded with the same codec, into the same window definitions as the process job (and its Flink
 * SQL peer): 1-minute page views per page, 5-minute/1-minute sliding exact distinct users, 5-minute
 * per user/device KPIs; 2-minute watermark, append mode, RocksDB state store, no-op sinks, local[2].
 * Each query reads the topic to its end (Trigger.AvailableNow) in micro-batches of at most
 * MAX_OFFSETS records. Prints one JSON line: events/s and the JVM's CPU seconds.
 * Arguments: BOOTSTRAP TOPIC EVENTS [MAX_OFFSETS_PER_TRIGGER].
 */
public final class SparkPeer {
    private SparkPeer() {}

    /** The fields the three queries read. */
    public static final class Event implements Serializable {
        private Timestamp eventTime;
        private String userId;
        private String device;
        private String page;
        private String eventType;

        public Timestamp getEventTime() { return eventTime; }
        public void setEventTime(Timestamp eventTime) { this.eventTime = eventTime; }
        public String getUserId() { return userId; }
        public void setUserId(String userId) { this.userId = userId; }
        public String getDevice() { return device; }
        public void setDevice(String device) { this.device = device; }
        public String getPage() { return page; }
        public void setPage(String page) { this.page = page; }
        public String getEventType() { return eventType; }
        public void setEventType(String eventType) { this.eventType = eventType; }
    }

    /** Decodes a partition of Kafka values; records the codec rejects are left out (the job routes them to dead_letter). */
    static final class Decode implements MapPartitionsFunction<Row, Event> {
        @Override
        public Iterator<Event> call(Iterator<Row> rows) {
            UserEventCodec codec = new UserEventCodec();
            return new Iterator<>() {
                private Event next = advance();

                private Event advance() {
                    while (rows.hasNext()) {
                        if (codec.decode((byte[]) rows.next().get(0)) instanceof DecodeResult.Decoded d) {
                            UserEvent u = d.event();
                            Event e = new Event();
                            e.setEventTime(Timestamp.from(u.getEventTime()));
                            e.setUserId(u.getUserId());
                            e.setDevice(u.getDevice());
                            e.setPage(u.getPage());
                            e.setEventType(u.getEventType());
                            return e;
                        }
                    }
                    return null;
                }

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public Event next() {
                    Event e = next;
                    next = advance();
                    return e;
                }
            };
        }
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long events = Long.parseLong(args[2]);
        long maxOffsets = args.length > 3 ? Long.parseLong(args[3]) : 100_000;
        Path work = Files.createTempDirectory("pulse-spark-peer");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("pulse-spark-peer")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.streaming.stateStore.providerClass",
                        "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
                .config("spark.sql.streaming.checkpointLocation", work.resolve("checkpoints").toString())
                .config("spark.local.dir", work.resolve("local").toString())
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            double cpuBefore = cpuSeconds();
            long start = System.nanoTime();
            List<StreamingQuery> queries = new ArrayList<>();
            queries.add(start(pageViews(events(spark, bootstrap, topic, maxOffsets)), "page_view_counts", work));
            queries.add(start(activeUsers(events(spark, bootstrap, topic, maxOffsets)), "active_users", work));
            queries.add(start(sessionKpis(events(spark, bootstrap, topic, maxOffsets)), "session_kpis", work));
            for (StreamingQuery q : queries) {
                q.awaitTermination();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = cpuSeconds() - cpuBefore;
            for (StreamingQuery q : queries) {
                long read = 0;
                for (StreamingQueryProgress p : q.recentProgress()) {
                    read += p.numInputRows();
                }
                if (read < events) {
                    throw new IllegalStateException("query " + q.name() + " read " + read + " records of " + events
                            + " (recent progress only keeps the last 100 micro-batches: raise MAX_OFFSETS)");
                }
            }
            System.out.printf(Locale.ROOT, "{\"events\": %d, \"seconds\": %.2f, \"events_per_s\": %.0f, \"jvm_cpu_s\": %.2f, "
                    + "\"max_offsets_per_trigger\": %d}%n", events, seconds, events / seconds, cpu, maxOffsets);
        } finally {
            spark.stop();
            try (var paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Dataset<Event> events(SparkSession spark, String bootstrap, String topic, long maxOffsets) {
        return spark.readStream().format("kafka")
                .option("kafka.bootstrap.servers", bootstrap)
                .option("subscribe", topic)
                .option("startingOffsets", "earliest")
                .option("kafka.isolation.level", "read_committed")
                .option("maxOffsetsPerTrigger", maxOffsets)
                .load()
                .select(col("value"))
                .mapPartitions(new Decode(), Encoders.bean(Event.class))
                .withWatermark("eventTime", "2 minutes");
    }

    /** page_view_counts: 1-minute tumbling windows per page over page_view events. */
    static Dataset<Row> pageViews(Dataset<Event> events) {
        return events.filter(col("eventType").equalTo("page_view").and(col("page").isNotNull()))
                .groupBy(window(col("eventTime"), "1 minute"), col("page")).count();
    }

    /** active_users: exact distinct users per 5-minute window sliding by 1 minute (user per window, then windows). */
    static Dataset<Row> activeUsers(Dataset<Event> events) {
        Dataset<Row> perUser = events.groupBy(window(col("eventTime"), "5 minutes", "1 minute").as("w"), col("userId")).count();
        // window_time(w) = end - 1 microsecond: one 1-minute window per 5-minute window, as Spark's chained windows need.
        return perUser.groupBy(window(window_time(col("w")), "1 minute").as("window_last_minute")).agg(count(lit(1)).as("active_users"));
    }

    /** session_kpis: 5-minute tumbling windows per (user, device). */
    static Dataset<Row> sessionKpis(Dataset<Event> events) {
        return events.groupBy(window(col("eventTime"), "5 minutes"), col("userId"), col("device"))
                .agg(count(lit(1)).as("total_actions"), min(col("eventTime")).as("first_event_time"),
                        max(col("eventTime")).as("last_event_time"),
                        max(when(col("eventType").equalTo("login"), 1).otherwise(0)).as("did_login"),
                        max(when(col("eventType").equalTo("purchase"), 1).otherwise(0)).as("did_purchase"));
    }

    private static StreamingQuery start(Dataset<Row> rows, String name, Path work) throws Exception {
        return rows.writeStream().queryName(name).format("noop").outputMode("append")
                .option("checkpointLocation", work.resolve("checkpoints-" + name).toString())
                .trigger(Trigger.AvailableNow()).start();
    }

    private static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }
}
