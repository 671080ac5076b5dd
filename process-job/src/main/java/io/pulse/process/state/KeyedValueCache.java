package io.pulse.process.state;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * A write-back cache in front of one keyed {@link ValueState}: a key's value is read from the state
 * backend once, then read and changed on the heap, and written back when the operator prepares a
 * checkpoint ({@link #flush()}) or when the key is evicted to keep at most {@code capacity} keys
 * (least recently used first). With RocksDB this turns a read and a write per record into a read and
 * a write per key and checkpoint. A checkpoint holds exactly the values the records before its
 * barrier produced, so restore and exactly-once are unchanged: after a restore the cache starts
 * empty and reads the restored state.
 *
 * <p>The cache never shares an object with the state backend: it copies what it loads and what it
 * writes. A heap backend keeps objects by reference and snapshots them asynchronously; a cached
 * object changed in place after the barrier would otherwise change the checkpoint being written.
 *
 * <p>Until {@link #bind} is called (an operator that does not cache, such as a test harness around a
 * plain process operator) every call goes straight to the state. Values are mutable: callers change
 * them in place and must still call {@link #update} (or {@link #clear}) so that the change is written.
 */
public final class KeyedValueCache<V> implements KeyedCache {
    private static final class Slot<V> {
        V value;
        boolean dirty;

        Slot(V value) {
            this.value = value;
        }
    }

    private final ValueState<V> state;
    private final TypeSerializer<V> serializer;
    private KeyContext keys;
    private int capacity;
    private final LinkedHashMap<Object, Slot<V>> slots = new LinkedHashMap<>(1024, 0.75f, true);

    /** The keyed value state of the descriptor, behind a cache. */
    public KeyedValueCache(RuntimeContext context, ValueStateDescriptor<V> descriptor) {
        this.state = context.getState(descriptor);
        this.serializer = descriptor.getSerializer(); // initialized by getState
    }

    @Override
    public void bind(KeyContext keys, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("state cache capacity must be >= 0 (0 turns caching off), got " + capacity);
        }
        this.keys = capacity == 0 ? null : keys;
        this.capacity = capacity;
    }

    /** The current key's value, or null. */
    public V value() throws IOException {
        if (keys == null) {
            return state.value();
        }
        return slot().value;
    }

    /** Sets the current key's value (written at the next flush). */
    public void update(V value) throws IOException {
        if (keys == null) {
            state.update(value);
            return;
        }
        Slot<V> slot = slot();
        slot.value = value;
        slot.dirty = true;
    }

    /** Removes the current key's value (from the state at the next flush). */
    public void clear() throws IOException {
        if (keys == null) {
            state.clear();
            return;
        }
        update(null);
    }

    /** Writes every changed value to the state; keys whose value is gone leave the cache. */
    @Override
    public void flush() throws IOException {
        if (keys == null) {
            return;
        }
        Object current = keys.currentKey();
        boolean moved = false;
        for (Iterator<Map.Entry<Object, Slot<V>>> it = slots.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Object, Slot<V>> e = it.next();
            Slot<V> slot = e.getValue();
            if (slot.dirty) {
                keys.setCurrentKey(e.getKey());
                moved = true;
                write(slot);
            }
            if (slot.value == null) {
                it.remove();
            }
        }
        if (moved && current != null) {
            keys.setCurrentKey(current);
        }
    }

    /** Number of keys held on the heap (for tests and metrics). */
    public int size() {
        return slots.size();
    }

    private Slot<V> slot() throws IOException {
        Object key = keys.currentKey();
        Slot<V> slot = slots.get(key);
        if (slot == null) {
            V stored = state.value();
            slot = new Slot<>(stored == null ? null : serializer.copy(stored));
            slots.put(key, slot);
            if (slots.size() > capacity) {
                evictEldest(key);
            }
        }
        return slot;
    }

    private void evictEldest(Object current) throws IOException {
        Iterator<Map.Entry<Object, Slot<V>>> it = slots.entrySet().iterator();
        Map.Entry<Object, Slot<V>> eldest = it.next();
        if (eldest.getKey().equals(current)) {
            return; // capacity 1 and only the current key: nothing else to evict
        }
        it.remove();
        if (eldest.getValue().dirty) {
            keys.setCurrentKey(eldest.getKey());
            try {
                write(eldest.getValue());
            } finally {
                keys.setCurrentKey(current);
            }
        }
    }

    private void write(Slot<V> slot) throws IOException {
        if (slot.value == null) {
            state.clear();
        } else {
            state.update(serializer.copy(slot.value));
        }
        slot.dirty = false;
    }
}
