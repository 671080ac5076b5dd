package io.pulse.model.settings;

import java.io.Serializable;
import java.util.Map;

/** The PostgreSQL connection settings every job shares: {@code postgres.host|port|database|user|password}. */
public record PostgresConnection(String host, int port, String database, String user, String password) implements Serializable {
    /** Defaults: the local stack's PostgreSQL. */
    public static final Map<String, String> DEFAULTS = Map.of(
            "postgres.host", "127.0.0.1",
            "postgres.port", "55432",
            "postgres.database", "pulse",
            "postgres.user", "postgres",
            "postgres.password", "");

    public static PostgresConnection from(Settings s) {
        return new PostgresConnection(s.string("postgres.host"), s.integer("postgres.port"), s.string("postgres.database"),
                s.string("postgres.user"), s.string("postgres.password"));
    }

    /**
     * Opens a connection. The driver is registered from this class's own class loader first: inside
     * Flink (a job's main() on the JobManager, operators on TaskManagers) the job jar is a child
     * class loader that java.sql.DriverManager does not search, so getConnection alone finds no
     * driver ("No suitable driver").
     */
    public java.sql.Connection open() throws java.sql.SQLException {
        try {
            Class.forName("org.postgresql.Driver");
        } catch (ClassNotFoundException e) {
            throw new java.sql.SQLException("the PostgreSQL driver (org.postgresql:postgresql) is not on the classpath", e);
        }
        return java.sql.DriverManager.getConnection(jdbcUrl(), user, password);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "PostgresConnection[" + user + "@" + host + ":" + port + "/" + database + "]"; // never the password
    }
}
