package io.pulse.ingest.source;

import io.pulse.ingest.IngestSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Checks, before the job is built, what change data capture needs from PostgreSQL, so a wrong
 * server fails at once with the fix instead of deep inside Debezium after a restart loop.
 */
public final class PostgresPreflight {
    private PostgresPreflight() {}

    public static void check(IngestSettings s) {
        try (Connection db = s.postgres.open()) {
            String walLevel = single(db, "SHOW wal_level");
            if (!"logical".equals(walLevel)) {
                throw new IllegalStateException("PostgreSQL at " + s.jdbcUrl() + " has wal_level=" + walLevel
                        + "; change data capture needs wal_level=logical. Fix: ALTER SYSTEM SET wal_level = logical;"
                        + " then restart PostgreSQL (the local stack, ./pulse up, is already set up this way)");
            }
            String qualified = s.schema + "." + s.table;
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
                st.setString(1, s.schema);
                st.setString(2, s.table);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("table " + qualified + " does not exist in " + s.jdbcUrl()
                                + ": apply infra/ddl/postgres.sql (./pulse up does)");
                    }
                    if (!"f".equals(rs.getString(1))) {
                        throw new IllegalStateException("table " + qualified + " must have REPLICA IDENTITY FULL so deletes carry"
                                + " the whole row. Fix: ALTER TABLE " + qualified + " REPLICA IDENTITY FULL");
                    }
                }
            }
            checkSlot(db, s);
        } catch (SQLException e) {
            throw new IllegalStateException(s.postgres.explain(e), e);
        }
    }

    /**
     * A slot PostgreSQL invalidated (it held more WAL than max_slot_wal_keep_size while the job was
     * stopped) has lost changes: fail with how to start over. A server that lets slots keep WAL without
     * bound is told to set one: a stopped job would otherwise fill its disk.
     */
    static void checkSlot(Connection db, IngestSettings s) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT wal_status FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, s.slotName);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next() && "lost".equals(rs.getString(1))) {
                    throw new IllegalStateException("replication slot '" + s.slotName + "' on " + s.jdbcUrl() + " has lost WAL (it held more"
                            + " than max_slot_wal_keep_size while the job was stopped): changes of that time are missing. Drop it"
                            + " (./pulse ingest-drop-slot) and submit the job again: it takes a new snapshot of the table");
                }
            }
        }
        if ("-1".equals(single(db, "SHOW max_slot_wal_keep_size"))) {
            System.err.println("WARNING: PostgreSQL at " + s.jdbcUrl() + " lets replication slots keep WAL without bound"
                    + " (max_slot_wal_keep_size = -1): while the ingest job is stopped its slot keeps every change, until the disk"
                    + " is full. Set a bound: ALTER SYSTEM SET max_slot_wal_keep_size = '4GB'; SELECT pg_reload_conf();");
        }
    }

    static String single(Connection db, String sql) throws SQLException {
        try (ResultSet rs = db.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
