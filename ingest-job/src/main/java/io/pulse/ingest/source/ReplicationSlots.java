package io.pulse.ingest.source;

import io.pulse.ingest.IngestSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Retires what the job created in PostgreSQL: its replication slot (which otherwise holds WAL
 * forever) and its publication. Refuses while the slot is in use.
 */
public final class ReplicationSlots {
    private ReplicationSlots() {}

    /** Returns a line saying what was dropped. */
    public static String drop(IngestSettings s) {
        try (Connection db = s.postgres.open()) {
            StringBuilder done = new StringBuilder();
            try (PreparedStatement st = db.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                st.setString(1, s.slotName);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        done.append("no replication slot '").append(s.slotName).append("'");
                    } else if (rs.getBoolean(1)) {
                        throw new IllegalStateException("replication slot '" + s.slotName + "' is in use: cancel the ingest job first"
                                + " (Flink UI or flink cancel), then drop the slot");
                    } else {
                        try (PreparedStatement drop = db.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                            drop.setString(1, s.slotName);
                            drop.execute();
                        }
                        done.append("dropped replication slot '").append(s.slotName).append("'");
                    }
                }
            }
            // The incremental snapshot's backfill slots (<slot>_<subtask>): a crash during the snapshot can leave them.
            try (PreparedStatement st = db.prepareStatement("SELECT slot_name, active FROM pg_replication_slots WHERE slot_name ~ ?")) {
                st.setString(1, "^" + s.slotName + "_[0-9]+$");
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getBoolean(2)) {
                            done.append(", left the snapshot slot '").append(rs.getString(1)).append("' (in use)");
                            continue;
                        }
                        try (PreparedStatement drop = db.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                            drop.setString(1, rs.getString(1));
                            drop.execute();
                        }
                        done.append(", dropped the snapshot slot '").append(rs.getString(1)).append("'");
                    }
                }
            }
            // The name was validated as a plain identifier by IngestSettings; DDL cannot take parameters.
            db.createStatement().execute("DROP PUBLICATION IF EXISTS " + s.publicationName);
            done.append(" and publication '").append(s.publicationName).append("'");
            return done.toString();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop the slot on " + s.jdbcUrl() + ": " + e.getMessage(), e);
        }
    }
}
