package io.pulse.model.settings;

import java.io.Serializable;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The PostgreSQL connection settings every job shares: {@code postgres.host|port|database|user|password}
 * and TLS as {@code postgres.sslmode} (PostgreSQL's own modes) with {@code postgres.sslrootcert} (the
 * PEM file of the CA to trust; empty: the driver's default, ~/.postgresql/root.crt).
 */
public record PostgresConnection(String host, int port, String database, String user, String password, String sslmode,
                                 String sslrootcert) implements Serializable {
    /** PostgreSQL's sslmode values. */
    public static final List<String> SSL_MODES = List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /** Defaults: the local stack's PostgreSQL. */
    public static final Map<String, String> DEFAULTS = Map.of(
            "postgres.host", "127.0.0.1",
            "postgres.port", "55432",
            "postgres.database", "pulse",
            "postgres.user", "postgres",
            "postgres.password", "",
            "postgres.sslmode", "prefer",
            "postgres.sslrootcert", "");

    public PostgresConnection {
        if (!SSL_MODES.contains(sslmode)) {
            throw new IllegalArgumentException("setting 'postgres.sslmode' must be one of " + String.join(", ", SSL_MODES)
                    + ", got '" + sslmode + "'");
        }
    }

    /** Without TLS settings: the driver's default mode (prefer). */
    public PostgresConnection(String host, int port, String database, String user, String password) {
        this(host, port, database, user, password, "prefer", "");
    }

    public static PostgresConnection from(Settings s) {
        return new PostgresConnection(s.string("postgres.host"), s.integer("postgres.port"), s.string("postgres.database"),
                s.string("postgres.user"), s.string("postgres.password"), s.string("postgres.sslmode"), s.string("postgres.sslrootcert"));
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

    /** The name under which a job registers {@link #releaseDrivers} as its class loader's release hook. */
    public static final String RELEASE_HOOK = "pulse-release-jdbc-drivers";

    /**
     * Deregisters the JDBC drivers that this class's class loader registered with
     * {@link java.sql.DriverManager}, and returns how many. DriverManager lives in the JVM's own class
     * loader: a driver a job registered keeps the job's class loader, and every class it loaded, for
     * as long as the process runs (a TaskManager runs out of metaspace after enough jobs). Call it from
     * the job's class loader release hook. Does nothing when this class was loaded by the JVM's
     * application class loader (tests on a MiniCluster, jobs in Flink's lib/): that loader lives as long
     * as the process, and the other jobs of the process share its drivers.
     */
    public static int releaseDrivers() {
        if (!jobClassLoader()) {
            return 0;
        }
        ClassLoader mine = PostgresConnection.class.getClassLoader();
        int released = 0;
        for (java.sql.Driver d : java.util.Collections.list(java.sql.DriverManager.getDrivers())) {
            if (d.getClass().getClassLoader() != mine) {
                continue;
            }
            try {
                java.sql.DriverManager.deregisterDriver(d);
                released++;
            } catch (java.sql.SQLException | SecurityException e) {
                // not registered any more: nothing to release
            }
        }
        return released;
    }

    /** Whether this class was loaded by a class loader of its own job, not by the JVM's application class loader. */
    public static boolean jobClassLoader() {
        ClassLoader mine = PostgresConnection.class.getClassLoader();
        for (ClassLoader l = ClassLoader.getSystemClassLoader(); l != null; l = l.getParent()) {
            if (l == mine) {
                return false;
            }
        }
        return mine != null;
    }

    /**
     * What a failed connection means and which setting fixes it: PostgreSQL's error codes for a
     * refused password or host rule, the driver's for TLS and for a server that does not answer.
     */
    public String explain(java.sql.SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = "PostgreSQL at " + host + ":" + port + "/" + database;
        String message = String.valueOf(e.getMessage());
        if (state.equals("28P01")) {
            return where + " refused the password of user '" + user + "' (" + message + "): check postgres.user and postgres.password";
        }
        if (state.equals("28000")) {
            return where + " refused user '" + user + "' from this host (" + message + "): check postgres.user, and postgres.sslmode"
                    + " (a server whose pg_hba.conf asks for hostssl refuses sslmode=disable)";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || String.valueOf(t.getMessage()).contains("SSL")) {
                return where + ": TLS failed with sslmode " + sslmode + " (" + t.getMessage() + "): check postgres.sslmode and"
                        + " postgres.sslrootcert (the PEM file of the CA that signed the server's certificate)";
            }
        }
        return where + " is not reachable as '" + user + "' (" + message + "): start the local stack with ./pulse up,"
                + " or check postgres.host and postgres.port";
    }

    /** The JDBC URL, with the TLS parameters when they differ from the driver's defaults. */
    public String jdbcUrl() {
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(port).append('/').append(database);
        String separator = "?";
        if (!sslmode.equals("prefer")) {
            url.append(separator).append("sslmode=").append(sslmode);
            separator = "&";
        }
        if (!sslrootcert.isEmpty()) {
            url.append(separator).append("sslrootcert=").append(URLEncoder.encode(sslrootcert, StandardCharsets.UTF_8));
        }
        return url.toString();
    }

    /** The same TLS for Debezium (the CDC source): {@code database.sslmode} and {@code database.sslrootcert}. */
    public Map<String, String> debeziumTls() {
        return sslrootcert.isEmpty() ? Map.of("database.sslmode", sslmode)
                : Map.of("database.sslmode", sslmode, "database.sslrootcert", sslrootcert);
    }

    @Override
    public String toString() {
        return "PostgresConnection[" + user + "@" + host + ":" + port + "/" + database + ", sslmode " + sslmode + "]"; // never the password
    }
}
