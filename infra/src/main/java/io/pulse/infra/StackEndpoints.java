package io.pulse.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The endpoints of a running local stack, read from the {@code stack.env} that {@code ./pulse up}
 * writes. Tests and tools use this instead of hard-coding ports.
 */
public final class StackEndpoints {
    private final Path file;
    private final Map<String, String> values;

    private StackEndpoints(Path file, Map<String, String> values) {
        this.file = file;
        this.values = values;
    }

    public static StackEndpoints read(Path stackEnv) {
        if (!Files.isRegularFile(stackEnv)) {
            throw new IllegalStateException("no stack endpoints at " + stackEnv
                    + ": start the local stack with ./pulse up (or run the suite with ./pulse test)");
        }
        Map<String, String> values = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(stackEnv)) {
                String trimmed = line.strip();
                int eq = trimmed.indexOf('=');
                if (!trimmed.startsWith("#") && eq > 0) {
                    values.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + stackEnv, e);
        }
        return new StackEndpoints(stackEnv, values);
    }

    public String get(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalStateException(key + " is missing from " + file + ": restart the stack with ./pulse up");
        }
        return value;
    }

    public int port(String key) {
        return Integer.parseInt(get(key));
    }

    public String postgresJdbcUrl() { return get("PULSE_POSTGRES_JDBC_URL"); }
    public String postgresUser() { return get("PULSE_POSTGRES_USER"); }
    public String kafkaBootstrap() { return get("PULSE_KAFKA_BOOTSTRAP"); }
    public String redisHost() { return get("PULSE_REDIS_HOST"); }
    public int redisPort() { return port("PULSE_REDIS_PORT"); }
    public String clickhouseUrl() { return get("PULSE_CLICKHOUSE_URL"); }
    public String cassandraHost() { return get("PULSE_CASSANDRA_HOST"); }
    public int cassandraPort() { return port("PULSE_CASSANDRA_PORT"); }
    public String cassandraDatacenter() { return get("PULSE_CASSANDRA_DC"); }
    public String flinkRest() { return get("PULSE_FLINK_REST"); }
    public String mockExternalUrl() { return get("PULSE_MOCK_EXTERNAL_URL"); }
    public Path lakeDir() { return Path.of(get("PULSE_LAKE_DIR")); }
    public Path home() { return Path.of(get("PULSE_HOME")); }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }
}
