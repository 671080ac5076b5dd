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

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "PostgresConnection[" + user + "@" + host + ":" + port + "/" + database + "]"; // never the password
    }
}
