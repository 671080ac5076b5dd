package io.pulse.infra.testing;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A PostgreSQL database of its own for one test, with the Pulse schema applied from
 * infra/ddl/postgres.sql (the file the stack uses), dropped on close with its replication slots.
 */
public final class ScratchDatabase implements AutoCloseable {
    private final StackEndpoints endpoints;
    private final String name;

    private ScratchDatabase(StackEndpoints endpoints, String name) {
        this.endpoints = endpoints;
        this.name = name;
    }

    public static ScratchDatabase create(StackEndpoints endpoints, String prefix) {
        String name = (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT).replace('-', '_');
        try (Connection admin = DriverManager.getConnection(serverUrl(endpoints, "postgres"), endpoints.postgresUser(), "");
             Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        ScratchDatabase db = new ScratchDatabase(endpoints, name);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(Files.readString(LocalStack.repoRoot().resolve(Path.of("infra", "ddl", "postgres.sql"))));
        } catch (Exception e) {
            throw new IllegalStateException("cannot apply the schema to " + name, e);
        }
        return db;
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return serverUrl(endpoints, name);
    }

    public String user() {
        return endpoints.postgresUser();
    }

    public String host() {
        return endpoints.get("PULSE_POSTGRES_HOST");
    }

    public int port() {
        return endpoints.port("PULSE_POSTGRES_PORT");
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), endpoints.postgresUser(), "");
    }

    @Override
    public void close() {
        try (Connection admin = DriverManager.getConnection(serverUrl(endpoints, "postgres"), endpoints.postgresUser(), "");
             Statement st = admin.createStatement()) {
            // A CDC job that was just cancelled may still hold its slot for a moment: end that session.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (true) {
                st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '" + name + "' AND active");
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + name + "' AND NOT active");
                try (var rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE database = '" + name + "'")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("replication slots of " + name + " stay active after 30 s");
                }
                Thread.onSpinWait();
            }
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop database " + name, e);
        }
    }

    private static String serverUrl(StackEndpoints endpoints, String database) {
        return "jdbc:postgresql://" + endpoints.get("PULSE_POSTGRES_HOST") + ":" + endpoints.get("PULSE_POSTGRES_PORT") + "/" + database;
    }
}
