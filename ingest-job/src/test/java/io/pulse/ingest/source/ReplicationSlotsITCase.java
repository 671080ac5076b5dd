package io.pulse.ingest.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.ingest.IngestSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Retiring the ingest job against the test stack's PostgreSQL: the drop removes its replication slot,
 * the snapshot backfill slots a crash during the snapshot can leave ({@code <slot>_<subtask>}) and
 * its publication; each of them would otherwise hold WAL.
 */
class ReplicationSlotsITCase {
    private final StackEndpoints stack = LocalStack.sharedEndpoints();

    @Test
    void dropRemovesTheSlotTheSnapshotSlotsACrashLeftAndThePublication() throws Exception {
        String slot = "drop_slot_" + UUID.randomUUID().toString().substring(0, 8);
        try (ScratchDatabase db = ScratchDatabase.create(stack, "drop_slots"); Connection sql = db.connect()) {
            try (var st = sql.createStatement()) {
                for (String name : List.of(slot, slot + "_0", slot + "_1")) {
                    st.execute("SELECT pg_create_logical_replication_slot('" + name + "', 'pgoutput')");
                }
                st.execute("CREATE PUBLICATION " + slot + "_pub FOR TABLE engagement_events");
            }
            IngestSettings settings = IngestSettings.load("--postgres.host", db.host(), "--postgres.port", Integer.toString(db.port()),
                    "--postgres.database", db.name(), "--postgres.user", db.user(), "--slot.name", slot,
                    "--publication.name", slot + "_pub", "--kafka.bootstrap", stack.kafkaBootstrap());

            String said = ReplicationSlots.drop(settings);

            assertThat(said).contains("dropped replication slot '" + slot + "'").contains("dropped the snapshot slot '" + slot + "_0'")
                    .contains("dropped the snapshot slot '" + slot + "_1'").contains("publication '" + slot + "_pub'");
            assertThat(slots(sql, slot)).isEmpty();
            try (ResultSet rs = sql.createStatement().executeQuery("SELECT count(*) FROM pg_publication WHERE pubname = '" + slot + "_pub'")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
        }
    }

    private static List<String> slots(Connection sql, String prefix) throws Exception {
        List<String> names = new ArrayList<>();
        try (ResultSet rs = sql.createStatement().executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '" + prefix + "%'")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
