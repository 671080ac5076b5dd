package io.pulse.tools;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.pulse.model.Tables;
import io.pulse.process.ProcessSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.Util;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

/**
 * What each sink of Pulse holds, as the end of {@code ./pulse demo} prints it (and anyone can run it
 * again: {@code ./pulse report}). With {@code --wait SECONDS} it first waits, with a progress line,
 * until the process job has read both input topics to their end. Settings as the process job's
 * (the stack's PULSE_* environment).
 */
public final class SinkReport {
    private final ProcessSettings s;
    private final StringBuilder out = new StringBuilder();

    private SinkReport(ProcessSettings s) {
        this.s = s;
    }

    public static void main(String[] args) throws Exception {
        long waitSeconds = 0;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--wait")) {
                waitSeconds = Long.parseLong(args[++i]);
            } else {
                rest.add(args[i]);
            }
        }
        SinkReport report = new SinkReport(ProcessSettings.load(rest.toArray(new String[0])));
        if (waitSeconds > 0) {
            report.awaitCaughtUp(Duration.ofSeconds(waitSeconds));
        }
        System.out.print(report.build());
    }

    // ------------------------------------------------------------------ waiting

    /** Waits until the process job's committed offsets reach the end of both input topics, twice in a row. */
    void awaitCaughtUp(Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        int inARow = 0;
        try (Admin admin = Admin.create(kafkaProps())) {
            while (System.nanoTime() < deadline) {
                long lag = lag(admin, s.activityTopic) + lag(admin, s.engagementTopic);
                System.err.printf("\r\033[Kwaiting for the process job to catch up: %d records behind", lag);
                inARow = lag == 0 ? inARow + 1 : 0;
                if (inARow >= 2) {
                    System.err.printf("\r\033[Kthe process job has read everything; waiting one more checkpoint for the sinks ...%n");
                    Thread.sleep(s.checkpointInterval.toMillis() + 2000); // sinks commit on the next checkpoint
                    return;
                }
                Thread.sleep(s.checkpointInterval.toMillis()); // offsets are committed once per checkpoint
            }
        }
        System.err.printf("%nthe process job is still behind after %s; reporting what the sinks hold now%n", limit);
    }

    private long lag(Admin admin, String topic) throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest,
                new org.apache.kafka.clients.admin.ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(s.groupId).partitionsToOffsetAndMetadata().get();
        long lag = 0;
        for (TopicPartition p : partitions) {
            OffsetAndMetadata c = committed.get(p);
            // A transactional writer (the ingest job) ends a partition with a commit marker that takes
            // an offset but is no record: the reader's committed offset stays one short of the end.
            lag += Math.max(0, ends.get(p).offset() - (c == null ? 0 : c.offset()) - (c == null ? 0 : 1));
        }
        return lag;
    }

    // ------------------------------------------------------------------ the report

    String build() {
        section("PostgreSQL " + s.jdbcUrl(), this::postgres);
        section("Redis " + s.redisHost + ":" + s.redisPort, this::redis);
        section("ClickHouse " + s.clickhouseUrl, this::clickhouse);
        section("Cassandra " + s.cassandraHost + ":" + s.cassandraPort, this::cassandra);
        section("Parquet lake " + s.lakeDir, this::lake);
        section("Kafka " + s.kafkaBootstrap + " (committed records)", this::kafka);
        section("mock-external " + s.httpUrl, this::http);
        return out.toString();
    }

    interface Part {
        void run() throws Exception;
    }

    private void section(String title, Part part) {
        out.append('\n').append(title).append('\n');
        try {
            part.run();
        } catch (Exception e) {
            out.append("  (could not read it: ").append(e.getMessage()).append(")\n");
        }
    }

    private void line(String format, Object... args) {
        out.append("  ").append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private void postgres() throws Exception {
        try (Connection c = s.postgres.open();
             Statement st = c.createStatement()) {
            for (String table : List.of(Tables.SESSION_KPIS, Tables.PAGE_VIEW_COUNTS, Tables.ACTIVE_USERS, Tables.USER_SESSIONS,
                    Tables.AGGREGATED_COUNTS, Tables.CONTENT, Tables.ENGAGEMENT_EVENTS)) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                    rs.next();
                    line("%-20s %,d rows", table, rs.getLong(1));
                }
            }
            line("sample session_kpis (busiest windows):");
            try (ResultSet rs = st.executeQuery("SELECT session_id, device, total_actions, session_duration_s, did_login, did_purchase "
                    + "FROM session_kpis ORDER BY total_actions DESC, session_id LIMIT 3")) {
                while (rs.next()) {
                    line("  %s %-8s actions %d, %d s, login %s, purchase %s", rs.getString(1), rs.getString(2), rs.getLong(3),
                            rs.getLong(4), rs.getBoolean(5), rs.getBoolean(6));
                }
            }
        }
    }

    private void redis() {
        try (Jedis redis = new Jedis(s.redisHost, s.redisPort)) {
            String prefix = s.redisKeyPrefix;
            String end = redis.get(prefix + Tables.LEADERBOARD_WINDOW_END);
            line("leaderboard: window ending %s, %d closed windows kept (TTL %s)",
                    end == null ? "none yet" : java.time.Instant.ofEpochMilli(Long.parseLong(end)),
                    redis.keys(prefix + Tables.LEADERBOARD + ":20*").size(), s.leaderboardTtl);
            int rank = 0;
            for (Tuple t : redis.zrevrangeWithScores(prefix + Tables.LEADERBOARD, 0, 9)) {
                String title = redis.hget(prefix + Tables.contentKey(t.getElement()), "title");
                line("  %2d. %6.0f  %s", ++rank, t.getScore(), title == null ? t.getElement() + " (no content row)" : title);
            }
            line("content hashes: %d", redis.keys(prefix + "content:*").size());
        }
    }

    private void clickhouse() throws Exception {
        line("%s: %s rows (%s after collapsing replays by event_id)", s.clickhouseTable,
                clickhouse("SELECT count() FROM " + s.clickhouseTable).strip(),
                clickhouse("SELECT count() FROM " + s.clickhouseTable + " FINAL").strip());
    }

    private String clickhouse(String sql) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.clickhouseUrl + "/?query="
                + URLEncoder.encode(sql, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(r.body().strip());
        }
        return r.body();
    }

    private void cassandra() {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60)).build();
        try (CqlSession session = CqlSession.builder().addContactPoint(new InetSocketAddress(s.cassandraHost, s.cassandraPort))
                .withLocalDatacenter(s.cassandraDatacenter).withConfigLoader(config).build()) {
            long rows = session.execute("SELECT count(*) FROM " + s.cassandraKeyspace + "." + Tables.USER_EVENTS).one().getLong(0);
            line("%s.%s: %,d rows", s.cassandraKeyspace, Tables.USER_EVENTS, rows);
        }
    }

    private void lake() throws IOException {
        Path lake = Path.of(s.lakeDir);
        if (!Files.isDirectory(lake)) {
            line("no lake yet");
            return;
        }
        Map<String, long[]> perDay = new TreeMap<>(); // directory -> {files, rows}
        try (Stream<Path> files = Files.walk(lake)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".parquet")
                    && !p.getFileName().toString().startsWith(".")).toList()) {
                long[] c = perDay.computeIfAbsent(lake.relativize(f.getParent()).toString(), k -> new long[2]);
                c[0]++;
                c[1] += parquetRows(f);
            }
        }
        long files = 0;
        long rows = 0;
        for (Map.Entry<String, long[]> d : perDay.entrySet()) {
            line("%s: %d files, %,d rows", d.getKey(), d.getValue()[0], d.getValue()[1]);
            files += d.getValue()[0];
            rows += d.getValue()[1];
        }
        line("total: %d committed files, %,d rows", files, rows);
    }

    /** The row count in a Parquet file's footer (read without Hadoop). */
    static long parquetRows(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long size = f.length();
            f.seek(size - 8);
            byte[] tail = new byte[8];
            f.readFully(tail);
            int footerLength = (tail[0] & 0xff) | (tail[1] & 0xff) << 8 | (tail[2] & 0xff) << 16 | (tail[3] & 0xff) << 24;
            byte[] footer = new byte[footerLength];
            f.seek(size - 8 - footerLength);
            f.readFully(footer);
            try (InputStream in = new java.io.ByteArrayInputStream(footer)) {
                FileMetaData meta = Util.readFileMetaData(in);
                return meta.getNum_rows();
            }
        }
    }

    private void kafka() {
        Properties props = kafkaProps();
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        props.put("max.poll.records", "5000");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            for (String topic : List.of(s.activityTopic, s.engagementTopic, s.enrichedTopic, s.lateTopic, s.deadLetterTopic)) {
                line("%-18s %,d records", topic, count(consumer, topic));
            }
        }
    }

    private static long count(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic)) {
            partitions.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        long n = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            boolean done = true;
            for (TopicPartition p : partitions) {
                done &= consumer.position(p) >= ends.get(p);
            }
            if (done) {
                break;
            }
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
            n += records.count();
        }
        return n;
    }

    private void http() throws Exception {
        String stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.httpUrl.replaceAll("/events$", "/stats")))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(stats);
        line("received %,d events, %,d unique keys, %,d repeated keys (updated events and retried batches), %,d failed requests",
                n.path("received").asLong(), n.path("unique").asLong(), n.path("duplicates").asLong(), n.path("failed_requests").asLong());
    }

    private Properties kafkaProps() {
        Properties props = new Properties();
        props.put("bootstrap.servers", s.kafkaBootstrap);
        return props;
    }
}
