package io.pulse.e2e.stack;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.mock.MockExternalServer;
import io.pulse.model.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The suite's servers in Docker containers (Testcontainers), on the host network with the local
 * stack's ports moved by a free offset, so the test and the Flink TaskManager reach every server at
 * the same 127.0.0.1 address, exactly as on the local stack. Same images as compose (infra/images.properties), same DDL
 * files; mock-external runs in the test JVM. Needs a Docker engine on Linux (host networking).
 *
 * <p>Not run by its authors: the machine Pulse is built on has no Docker engine. CI runs the local
 * stack ({@link LocalTestStack}).
 */
final class ContainerTestStack implements TestStack {
    private static final Duration READY = Duration.ofMinutes(4);
    private final List<GenericContainer<?>> containers = new ArrayList<>();
    private final int offset;
    private final Path home;
    private MockExternalServer mock;
    private GenericContainer<?> taskManager;
    private String flinkProperties;
    private StackEndpoints endpoints;

    private ContainerTestStack() throws IOException {
        offset = LocalStack.freePortOffset(-50000);
        home = Files.createTempDirectory("pulse-containers");
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    static ContainerTestStack start() {
        try {
            ContainerTestStack stack = new ContainerTestStack();
            stack.startAll();
            return stack;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the Testcontainers stack (is a Docker engine running? "
                    + "without one, run the suite on the local stack: ./pulse test): " + e, e);
        }
    }

    private int port(int base) {
        return base + offset;
    }

    /** The image of {@code server} as infra/images.properties pins it (compose uses the same). */
    static String image(String server) {
        java.util.Properties images = new java.util.Properties();
        try (var in = Files.newBufferedReader(LocalStack.repoRoot().resolve("infra/images.properties"))) {
            images.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String image = images.getProperty(server);
        if (image == null) {
            throw new IllegalStateException("infra/images.properties pins no image for " + server);
        }
        return image;
    }

    private GenericContainer<?> container(String image) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image)).withNetworkMode("host");
        containers.add(c);
        return c;
    }

    private void startAll() throws Exception {
        Path ddl = LocalStack.repoRoot().resolve("infra/ddl");
        int pg = port(55432);
        int redis = port(56379);
        int chHttp = port(58123);
        int chTcp = port(59000);
        int kafka = port(59092);
        int kafkaController = port(59093);
        int cassandra = port(59042);
        int flinkRest = port(58081);
        int flinkRpc = port(56124);
        int mockPort = port(58090);

        container(image("postgres"))
                .withEnv("POSTGRES_DB", "pulse").withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
                .withFileSystemBind(ddl.resolve("postgres.sql").toString(), "/docker-entrypoint-initdb.d/10-pulse.sql", BindMode.READ_ONLY)
                .withCommand("postgres", "-c", "wal_level=logical", "-c", "port=" + pg, "-c", "listen_addresses=127.0.0.1",
                        "-c", "max_replication_slots=20", "-c", "max_wal_senders=20");
        container(image("redis")).withCommand("redis-server", "--port", Integer.toString(redis), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--appendfsync", "everysec");
        Path chConfig = home.resolve("clickhouse-ports.xml");
        Files.writeString(chConfig, "<clickhouse><listen_host>127.0.0.1</listen_host><http_port>" + chHttp + "</http_port><tcp_port>"
                + chTcp + "</tcp_port><interserver_http_port remove=\"1\"/><mysql_port remove=\"1\"/><postgresql_port remove=\"1\"/></clickhouse>");
        container(image("clickhouse"))
                .withFileSystemBind(chConfig.toString(), "/etc/clickhouse-server/config.d/pulse-ports.xml", BindMode.READ_ONLY);
        container(image("kafka"))
                .withEnv("KAFKA_NODE_ID", "1").withEnv("KAFKA_PROCESS_ROLES", "broker,controller")
                .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@127.0.0.1:" + kafkaController)
                .withEnv("KAFKA_LISTENERS", "PLAINTEXT://127.0.0.1:" + kafka + ",CONTROLLER://127.0.0.1:" + kafkaController)
                .withEnv("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://127.0.0.1:" + kafka)
                .withEnv("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT")
                .withEnv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1").withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1").withEnv("KAFKA_TRANSACTION_MAX_TIMEOUT_MS", "3600000")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        container(image("cassandra"))
                .withEnv("MAX_HEAP_SIZE", "768M").withEnv("HEAP_NEWSIZE", "128M")
                .withEnv("CASSANDRA_LISTEN_ADDRESS", "127.0.0.1").withEnv("CASSANDRA_RPC_ADDRESS", "127.0.0.1")
                .withEnv("JVM_EXTRA_OPTS", "-Dcassandra.native_transport_port=" + cassandra + " -Dcassandra.storage_port=" + port(57010)
                        + " -Dcassandra.skip_wait_for_gossip_to_settle=0");
        String flinkCommon = "jobmanager.rpc.address: 127.0.0.1\njobmanager.rpc.port: " + flinkRpc + "\njobmanager.bind-host: 127.0.0.1\n"
                + "rest.address: 127.0.0.1\nrest.bind-address: 127.0.0.1\nrest.port: " + flinkRest + "\n"
                + "state.checkpoints.dir: file://" + home.resolve("flink/checkpoints") + "\n"
                + "state.savepoints.dir: file://" + home.resolve("flink/savepoints") + "\n"
                + "heartbeat.timeout: 20000\nheartbeat.interval: 2000\nrestart-strategy.type: exponential-delay\n";
        container(image("flink")).withCommand("jobmanager").withEnv("FLINK_PROPERTIES", flinkCommon)
                .withFileSystemBind(home.toString(), home.toString(), BindMode.READ_WRITE);
        containers.forEach(GenericContainer::start);

        flinkProperties = flinkCommon;
        taskManager = taskManagerContainer(flinkCommon);
        taskManager.start();
        mock = MockExternalServer.startOn(mockPort);

        awaitPort(pg, "PostgreSQL");
        awaitPort(redis, "Redis");
        awaitPort(chHttp, "ClickHouse");
        awaitPort(kafka, "Kafka");
        awaitPort(cassandra, "Cassandra");
        awaitPort(flinkRest, "Flink REST");
        String env = String.join("\n",
                "PULSE_HOME=" + home,
                "PULSE_POSTGRES_HOST=127.0.0.1", "PULSE_POSTGRES_PORT=" + pg, "PULSE_POSTGRES_DATABASE=pulse",
                "PULSE_POSTGRES_USER=postgres", "PULSE_POSTGRES_JDBC_URL=jdbc:postgresql://127.0.0.1:" + pg + "/pulse",
                "PULSE_REDIS_HOST=127.0.0.1", "PULSE_REDIS_PORT=" + redis,
                "PULSE_CLICKHOUSE_URL=http://127.0.0.1:" + chHttp, "PULSE_KAFKA_BOOTSTRAP=127.0.0.1:" + kafka,
                "PULSE_CASSANDRA_HOST=127.0.0.1", "PULSE_CASSANDRA_PORT=" + cassandra, "PULSE_CASSANDRA_DC=datacenter1",
                "PULSE_FLINK_REST=http://127.0.0.1:" + flinkRest, "PULSE_MOCK_EXTERNAL_URL=http://127.0.0.1:" + mockPort,
                "PULSE_LAKE_DIR=" + home.resolve("lake"), "");
        Path envFile = home.resolve("stack.env");
        Files.writeString(envFile, env);
        endpoints = StackEndpoints.read(envFile);
        applySchema(ddl);
    }

    private GenericContainer<?> taskManagerContainer(String flinkCommon) {
        return new GenericContainer<>(DockerImageName.parse(image("flink"))).withNetworkMode("host").withCommand("taskmanager")
                .withEnv("FLINK_PROPERTIES", flinkCommon + "taskmanager.host: 127.0.0.1\ntaskmanager.bind-host: 127.0.0.1\n"
                        + "taskmanager.numberOfTaskSlots: 4\ntaskmanager.memory.process.size: 3072m\ntaskmanager.memory.managed.size: 1024m\n")
                .withFileSystemBind(home.toString(), home.toString(), BindMode.READ_WRITE);
    }

    /** The same DDL files as the local stack: PostgreSQL through initdb, the others here; Kafka's topics. */
    private void applySchema(Path ddl) throws Exception {
        for (String statement : statements(Files.readString(ddl.resolve("clickhouse.sql")))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoints.clickhouseUrl()
                    + "/?query=" + URLEncoder.encode(statement, StandardCharsets.UTF_8))).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse DDL failed: " + r.body());
            }
        }
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            try (var session = com.datastax.oss.driver.api.core.CqlSession.builder()
                    .addContactPoint(new InetSocketAddress(endpoints.cassandraHost(), endpoints.cassandraPort()))
                    .withLocalDatacenter(endpoints.cassandraDatacenter()).build()) {
                for (String statement : statements(Files.readString(ddl.resolve("cassandra.cql")))) {
                    session.execute(statement);
                }
                break;
            } catch (RuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(2000); // Cassandra takes its time to accept CQL after the port opens
            }
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", endpoints.kafkaBootstrap());
        try (Admin admin = Admin.create(props)) {
            List<NewTopic> topics = new ArrayList<>();
            for (String topic : Topics.ALL) {
                topics.add(new NewTopic(topic, topic.equals(Topics.LATE_EVENTS) || topic.equals(Topics.DEAD_LETTER) ? 1 : 2, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
    }

    private static List<String> statements(String file) {
        List<String> out = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        for (String line : file.split("\n")) {
            if (!line.strip().startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        for (String statement : sql.toString().split(";")) {
            if (!statement.isBlank()) {
                out.add(statement.strip());
            }
        }
        return out;
    }

    private static void awaitPort(int port, String what) throws InterruptedException {
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(500); // between connection attempts
            }
        }
        throw new IllegalStateException(what + " did not open port " + port + " within " + READY);
    }

    @Override
    public StackEndpoints endpoints() {
        return endpoints;
    }

    @Override
    public void killTaskManager() {
        taskManager.getDockerClient().killContainerCmd(taskManager.getContainerId()).withSignal("KILL").exec();
        taskManager.stop();
    }

    @Override
    public void startTaskManager() {
        taskManager = taskManagerContainer(flinkProperties);
        taskManager.start();
    }

    @Override
    public Path sharedDirectory(String name) throws IOException {
        Path dir = Files.createDirectories(home.resolve(name));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    @Override
    public void close() {
        if (taskManager != null) {
            taskManager.stop();
        }
        containers.forEach(GenericContainer::stop);
        if (mock != null) {
            mock.close();
        }
    }
}
