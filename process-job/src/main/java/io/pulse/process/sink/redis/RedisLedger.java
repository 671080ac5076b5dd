package io.pulse.process.sink.redis;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * What one Redis sink writer has written that Redis should still hold (until its TTL runs out), and
 * how it finds out that Redis lost some of it.
 *
 * <p>Every write of the writer runs in a script that first checks the writer's fence key: a key of
 * this writer alone that the same script sets to the number of writes so far. A Redis that restarted
 * empty, or lost its last second of writes (AOF {@code everysec} after a SIGKILL), or was flushed,
 * holds another number or none, and the script refuses the write. The writer then writes everything
 * in this ledger again, with what is left of each entry's TTL, under a new fence key, and goes on.
 * The ledger is the writer's checkpointed state: a writer restored after a failure writes it again
 * once, so whatever Redis lost while the job was down is back too.
 */
final class RedisLedger {
    /** The script's answer when the fence does not hold what this writer last wrote. */
    static final long LOST = -1;

    /** One written item: its id (window end, or content id), its values and when its TTL runs out. */
    record Entry(String id, Map<String, String> values, long expiresAt) {}

    private final String fencePrefix;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private String fence;
    private long writes;

    RedisLedger(String keyPrefix, Collection<List<Entry>> restored) {
        this.fencePrefix = keyPrefix + "pulse:writer:";
        newFence();
        for (List<Entry> state : restored) {
            state.forEach(e -> entries.put(e.id(), e));
        }
    }

    /** The fence key, the value it must hold now, and the value this write sets it to. */
    List<String> fenceArgs() {
        return List.of(writes == 0 ? "" : Long.toString(writes), Long.toString(writes + 1));
    }

    String fenceKey() {
        return fence;
    }

    /** A write that went through. */
    void written() {
        writes++;
    }

    /** Redis lost what this writer wrote: go on under a new fence, all entries to be written again. */
    void newFence() {
        fence = fencePrefix + UUID.randomUUID();
        writes = 0;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    Entry get(String id) {
        return entries.get(id);
    }

    void put(Entry entry) {
        entries.put(entry.id(), entry);
    }

    /** Drops the entries Redis has expired by {@code now}; returns the rest, oldest expiry first. */
    List<Entry> live(long now) {
        entries.values().removeIf(e -> e.expiresAt() <= now);
        List<Entry> live = new ArrayList<>(entries.values());
        live.sort(Comparator.comparingLong(Entry::expiresAt));
        return live;
    }

    List<Entry> snapshot(long now) {
        return live(now);
    }

    /** The ledger as checkpointed writer state. */
    static final class Serializer implements SimpleVersionedSerializer<List<Entry>> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(List<Entry> entries) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(entries.size());
                for (Entry e : entries) {
                    out.writeUTF(e.id());
                    out.writeLong(e.expiresAt());
                    out.writeInt(e.values().size());
                    for (Map.Entry<String, String> v : e.values().entrySet()) {
                        out.writeUTF(v.getKey());
                        out.writeUTF(v.getValue());
                    }
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public List<Entry> deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown Redis ledger state version " + version);
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                int n = in.readInt();
                List<Entry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String id = in.readUTF();
                    long expiresAt = in.readLong();
                    int m = in.readInt();
                    Map<String, String> values = new LinkedHashMap<>();
                    for (int j = 0; j < m; j++) {
                        values.put(in.readUTF(), in.readUTF());
                    }
                    entries.add(new Entry(id, values, expiresAt));
                }
                return entries;
            }
        }
    }
}
