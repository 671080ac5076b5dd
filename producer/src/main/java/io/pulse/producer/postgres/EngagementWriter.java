package io.pulse.producer.postgres;

import io.pulse.model.Tables;
import io.pulse.producer.generate.EngagementOp;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.List;

/**
 * Writes engagement operations to PostgreSQL, one transaction per batch, with prepared statements
 * only. Content and inserts are idempotent (ON CONFLICT DO NOTHING), so a batch retried after an
 * error does not fail on rows that made it.
 */
public final class EngagementWriter implements AutoCloseable {
    private final Connection db;
    private final PreparedStatement content;
    private final PreparedStatement insert;
    private final PreparedStatement update;
    private final PreparedStatement delete;
    private long inserted;
    private long updated;
    private long deleted;
    private long contentRows;

    private EngagementWriter(Connection db) throws SQLException {
        this.db = db;
        db.setAutoCommit(false);
        content = db.prepareStatement("INSERT INTO " + Tables.CONTENT
                + " (content_id, title, content_type, length_seconds) VALUES (?, ?, ?, ?) ON CONFLICT (content_id) DO NOTHING");
        insert = db.prepareStatement("INSERT INTO " + Tables.ENGAGEMENT_EVENTS
                + " (event_id, content_id, user_id, event_type, duration_ms, device, event_time) VALUES (?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (event_id) DO NOTHING");
        update = db.prepareStatement("UPDATE " + Tables.ENGAGEMENT_EVENTS + " SET event_type = ?, duration_ms = ? WHERE event_id = ?");
        delete = db.prepareStatement("DELETE FROM " + Tables.ENGAGEMENT_EVENTS + " WHERE event_id = ?");
    }

    /** Connects and checks that the schema is there; the exception message says how to fix either. */
    public static EngagementWriter open(String jdbcUrl, String user, String password) {
        Connection db;
        try {
            db = DriverManager.getConnection(jdbcUrl, user, password == null ? "" : password);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + jdbcUrl + " is not reachable (" + e.getMessage()
                    + "): start the local stack with ./pulse up, or pass --jdbc-url");
        }
        try (ResultSet rs = db.createStatement().executeQuery(
                "SELECT to_regclass('public." + Tables.ENGAGEMENT_EVENTS + "') IS NOT NULL AND to_regclass('public." + Tables.CONTENT + "') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                db.close();
                throw new IllegalStateException("PostgreSQL at " + jdbcUrl + " has no content/engagement_events tables: "
                        + "apply infra/ddl/postgres.sql (./pulse up does)");
            }
            return new EngagementWriter(db);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare engagement writes on " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }

    /** Applies the operations in one transaction. */
    public void write(List<EngagementOp> batch) throws SQLException {
        try {
            for (EngagementOp op : batch) {
                if (op instanceof EngagementOp.Content c) {
                    content.setObject(1, c.contentId());
                    content.setString(2, c.title());
                    content.setString(3, c.contentType());
                    content.setInt(4, c.lengthSeconds());
                    content.addBatch();
                    contentRows++;
                } else if (op instanceof EngagementOp.Insert i) {
                    insert.setObject(1, i.eventId());
                    insert.setObject(2, i.contentId());
                    insert.setString(3, i.userId());
                    insert.setString(4, i.eventType());
                    setNullableInt(insert, 5, i.durationMs());
                    insert.setString(6, i.device());
                    insert.setTimestamp(7, Timestamp.from(i.eventTime()));
                    insert.addBatch();
                    inserted++;
                } else if (op instanceof EngagementOp.Update u) {
                    update.setString(1, u.eventType());
                    setNullableInt(update, 2, u.durationMs());
                    update.setObject(3, u.eventId());
                    update.addBatch();
                    updated++;
                } else if (op instanceof EngagementOp.Delete d) {
                    delete.setObject(1, d.eventId());
                    delete.addBatch();
                    deleted++;
                }
            }
            // Content before the events that reference it; inserts before the updates of the same batch.
            content.executeBatch();
            insert.executeBatch();
            update.executeBatch();
            delete.executeBatch();
            db.commit();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    private static void setNullableInt(PreparedStatement statement, int index, Integer value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.INTEGER);
        } else {
            statement.setInt(index, value);
        }
    }

    public long inserted() { return inserted; }
    public long updated() { return updated; }
    public long deleted() { return deleted; }
    public long contentRows() { return contentRows; }

    @Override
    public void close() throws SQLException {
        db.close();
    }
}
