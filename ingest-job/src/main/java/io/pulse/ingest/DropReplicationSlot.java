package io.pulse.ingest;

import io.pulse.ingest.source.ReplicationSlots;

/**
 * {@code ./pulse ingest-drop-slot}: drops the ingest job's replication slot and publication when the
 * pipeline is retired (a slot left behind keeps every WAL segment forever). Runs without Flink.
 */
public final class DropReplicationSlot {
    private DropReplicationSlot() {}

    public static void main(String[] args) {
        try {
            IngestSettings settings = IngestSettings.load(args);
            System.out.println(ReplicationSlots.drop(settings));
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
