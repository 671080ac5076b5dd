package io.pulse.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.pulse.model.Tables;
import io.pulse.model.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.Jedis;

/**
 * Brings a private stack up through the launcher, on its own ports and state dir, checks every
 * server with a real write-and-read-back, checks that a second {@code up} changes nothing, and
 * that {@code down} leaves no port behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalStackITCase {
    private static final int[] DEFAULT_PORTS = LocalStack.DEFAULT_PORTS;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Path home;
    private static int offset;
    private static LocalStack stack;
    private static StackEndpoints endpoints;

    @BeforeAll
    static void up() throws IOException {
        home = LocalStack.privateHome("stack-it-");
        // Below the test stack's block (-30000 and down) and, like it, outside the ephemeral port range.
        offset = LocalStack.freePortOffset(-36000);
        stack = LocalStack.start(home, offset);
        endpoints = stack.endpoints();
    }

    @AfterAll
    static void down() throws IOException {
        if (stack != null) {
            stack.close();
        }
        deleteRecursively(home);
    }

    @Test
    @Order(1)
    void statusShowsEveryServerUp() {
        LocalStack.LauncherResult status = stack.launcher(new String[0], "status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        for (String service : List.of("postgres", "redis", "clickhouse", "kafka", "cassandra",
                "flink-jobmanager", "flink-taskmanager", "mock-external")) {
            assertThat(status.output()).containsPattern("(?m)^" + service + "\\s+up\\s");
        }
    }

    @Test
    @Order(2)
    void postgresIsLogicalHasEveryTableAndRoundTrips() throws Exception {
        try (Connection db = DriverManager.getConnection(endpoints.postgresJdbcUrl(), endpoints.postgresUser(), "")) {
            try (ResultSet rs = db.createStatement().executeQuery("SHOW wal_level")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("logical");
            }
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = db.createStatement().executeQuery(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).containsAll(Tables.POSTGRES_SOURCES).containsAll(Tables.POSTGRES_OUTPUTS);

            UUID id = UUID.randomUUID();
            try (PreparedStatement insert = db.prepareStatement(
                    "INSERT INTO content (content_id, title, content_type, length_seconds) VALUES (?, ?, ?, ?)")) {
                insert.setObject(1, id);
                insert.setString(2, "Round trip");
                insert.setString(3, "video");
                insert.setInt(4, 42);
                assertThat(insert.executeUpdate()).isEqualTo(1);
            }
            try (PreparedStatement select = db.prepareStatement("SELECT title, length_seconds FROM content WHERE content_id = ?")) {
                select.setObject(1, id);
                try (ResultSet rs = select.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("Round trip");
                    assertThat(rs.getInt(2)).isEqualTo(42);
                }
            }
        }
    }

    @Test
    @Order(3)
    void redisRoundTrips() {
        try (Jedis redis = new Jedis(endpoints.redisHost(), endpoints.redisPort())) {
            redis.zadd("it:leaderboard", 3.0, "c-1");
            assertThat(redis.zscore("it:leaderboard", "c-1")).isEqualTo(3.0);
        }
    }

    @Test
    @Order(4)
    void clickhouseHasTheTableAndCollapsesReplaysByEventId() throws Exception {
        String row = "{\"event_id\":\"e-1\",\"event_time\":\"2025-07-24 12:00:00\",\"score\":1,\"processing_time\":\"2025-07-24 12:00:01\"}";
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> insert = clickhouse("INSERT INTO pulse.engagement_enriched FORMAT JSONEachRow", row + "\n");
            assertThat(insert.statusCode()).as(insert.body()).isEqualTo(200);
        }
        HttpResponse<String> count = clickhouse("SELECT count() FROM pulse.engagement_enriched FINAL WHERE event_id = 'e-1'", "");
        assertThat(count.body().strip()).isEqualTo("1");
    }

    @Test
    @Order(5)
    void kafkaHasTheTopicsAndRoundTrips() throws Exception {
        Properties admin = new Properties();
        admin.put("bootstrap.servers", endpoints.kafkaBootstrap());
        try (Admin client = Admin.create(admin)) {
            Set<String> topics = client.listTopics().names().get();
            assertThat(topics).containsAll(Topics.ALL);
        }
        Properties producer = new Properties();
        producer.put("bootstrap.servers", endpoints.kafkaBootstrap());
        producer.put("enable.idempotence", "true");
        producer.put("acks", "all");
        String value = "user_A," + Instant.now().toEpochMilli();
        long offsetWritten;
        int partition;
        try (KafkaProducer<String, String> out = new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer())) {
            var meta = out.send(new ProducerRecord<>(Topics.USER_ACTIVITY, "user_A", value)).get();
            offsetWritten = meta.offset();
            partition = meta.partition();
        }
        Properties consumer = new Properties();
        consumer.put("bootstrap.servers", endpoints.kafkaBootstrap());
        consumer.put("isolation.level", "read_committed");
        try (KafkaConsumer<String, String> in = new KafkaConsumer<>(consumer, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(Topics.USER_ACTIVITY, partition);
            in.assign(List.of(tp));
            in.seek(tp, offsetWritten);
            ConsumerRecord<String, String> read = null;
            long deadline = System.currentTimeMillis() + 30_000;
            while (read == null && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : in.poll(Duration.ofMillis(500))) {
                    read = r;
                }
            }
            assertThat(read).as("record read back").isNotNull();
            assertThat(read.value()).isEqualTo(value);
        }
    }

    @Test
    @Order(6)
    void cassandraHasUserEventsAndRoundTrips() {
        try (CqlSession session = CqlSession.builder()
                .addContactPoint(new InetSocketAddress(endpoints.cassandraHost(), endpoints.cassandraPort()))
                .withLocalDatacenter(endpoints.cassandraDatacenter()).build()) {
            Instant time = Instant.parse("2025-07-24T12:00:00Z");
            session.execute(session.prepare("INSERT INTO pulse.user_events (user_id, bucket_date, event_time, event_type, event_id, device) "
                    + "VALUES (?, ?, ?, ?, ?, ?)").bind("user_A", LocalDate.of(2025, 7, 24), time, "login", "e-1", "Web"));
            Row row = session.execute(session.prepare("SELECT device FROM pulse.user_events WHERE user_id = ? AND bucket_date = ?")
                    .bind("user_A", LocalDate.of(2025, 7, 24))).one();
            assertThat(row).isNotNull();
            assertThat(row.getString("device")).isEqualTo("Web");
        }
    }

    @Test
    @Order(7)
    void flinkHasOneTaskManager() throws Exception {
        HttpResponse<String> overview = HTTP.send(HttpRequest.newBuilder(URI.create(endpoints.flinkRest() + "/overview")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(overview.body()).contains("\"taskmanagers\":1").contains("\"flink-version\":\"1.20.3\"");
    }

    @Test
    @Order(8)
    void mockExternalRoundTrips() throws Exception {
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(endpoints.mockExternalUrl() + "/events"))
                .POST(HttpRequest.BodyPublishers.ofString("[{\"event_id\":\"it-1\"}]")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(200);
        HttpResponse<String> stats = HTTP.send(HttpRequest.newBuilder(URI.create(endpoints.mockExternalUrl() + "/stats")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(stats.body()).contains("\"unique\":1");
    }

    @Test
    @Order(9)
    void secondUpChangesNothing() {
        String before = pids();
        LocalStack.LauncherResult again = stack.launcher(new String[0], "up");
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertThat(again.output()).doesNotContain("starting ");
        assertThat(pids()).isEqualTo(before);
    }

    @Test
    @Order(10)
    void downLeavesNoPortBehind() {
        LocalStack.LauncherResult down = stack.launcher(new String[0], "down");
        assertThat(down.exitCode()).as(down.output()).isZero();
        for (int port : DEFAULT_PORTS) {
            assertThat(listening(port + offset)).as("port %d after down", port + offset).isFalse();
        }
        LocalStack.LauncherResult status = stack.launcher(new String[0], "status");
        assertThat(status.exitCode()).isNotZero();
        assertThat(status.output()).doesNotContainPattern("\\sup\\s");
    }

    // ------------------------------------------------------------------ helpers

    private static HttpResponse<String> clickhouse(String query, String body) throws Exception {
        URI uri = URI.create(endpoints.clickhouseUrl() + "/?query=" + java.net.URLEncoder.encode(query, java.nio.charset.StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String pids() {
        StringBuilder out = new StringBuilder();
        try (var dirs = Files.list(home)) {
            for (Path dir : dirs.sorted().toList()) {
                Path pid = dir.resolve("pid");
                if (Files.isRegularFile(pid)) {
                    out.append(dir.getFileName()).append('=').append(Files.readString(pid).strip()).append(' ');
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
