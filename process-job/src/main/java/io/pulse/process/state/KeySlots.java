package io.pulse.process.state;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the caches share: one slot per key on the heap, least recently used first, at most
 * {@code capacity} of them, each written back under its own key (at a flush, or when evicted) and
 * the operator's current key restored afterwards.
 */
abstract class KeySlots<S> implements KeyedCache {
    private final LinkedHashMap<Object, S> slots = new LinkedHashMap<>(1024, 0.75f, true);
    private KeyContext keys;
    private int capacity;
    /**
     * The key object and slot of the last access: a function reads and then writes the same key,
     * and the second lookup (a quarter of the per-user task's time went to these hash lookups) is
     * then one reference comparison. Forgotten whenever a slot leaves the map.
     */
    private Object lastKey;
    private S lastSlot;

    @Override
    public final void bind(KeyContext keys, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("state cache capacity must be >= 0 (0 turns caching off), got " + capacity);
        }
        this.keys = capacity == 0 ? null : keys;
        this.capacity = capacity;
    }

    /** False until bound with a capacity above 0: every access then goes to the state. */
    final boolean caching() {
        return keys != null;
    }

    final int capacity() {
        return capacity;
    }

    /** The current key's slot, loaded on first use; beyond capacity the least recently used other key is written and evicted. */
    final S slot() throws IOException {
        Object key = keys.currentKey();
        if (key == lastKey && key != null) {
            return lastSlot;
        }
        S slot = slots.get(key);
        if (slot == null) {
            keys.syncBackendKey();
            slot = load();
            slots.put(key, slot);
            if (slots.size() > capacity) {
                evictEldest(key);
            }
        }
        lastKey = key;
        lastSlot = slot;
        return slot;
    }

    /** Before the state is read or written under the current key outside of load() and write(). */
    final void syncBackendKey() {
        if (keys != null) {
            keys.syncBackendKey();
        }
    }

    /** Drops the current key's slot without writing it. */
    final void forget() {
        lastKey = null;
        slots.remove(keys.currentKey());
    }

    @Override
    public final void flush() throws IOException {
        if (keys == null) {
            return;
        }
        Object current = keys.currentKey();
        boolean moved = false;
        lastKey = null;
        for (Iterator<Map.Entry<Object, S>> it = slots.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Object, S> e = it.next();
            if (needsWrite(e.getValue())) {
                keys.setCurrentKey(e.getKey());
                moved = true;
                write(e.getValue());
            }
            if (emptyAfterWrite(e.getValue())) {
                it.remove();
            }
        }
        if (moved && current != null) {
            keys.setCurrentKey(current);
        }
    }

    private void evictEldest(Object current) throws IOException {
        Iterator<Map.Entry<Object, S>> it = slots.entrySet().iterator();
        Map.Entry<Object, S> eldest = it.next();
        if (eldest.getKey().equals(current)) {
            return; // capacity 1 and only the current key: nothing else to evict
        }
        it.remove();
        lastKey = null;
        if (needsWrite(eldest.getValue())) {
            keys.setCurrentKey(eldest.getKey());
            try {
                write(eldest.getValue());
            } finally {
                keys.setCurrentKey(current);
            }
        }
    }

    /** Reads the current key's slot from the state. */
    abstract S load() throws IOException;

    abstract boolean needsWrite(S slot);

    /** Writes the slot to the state; the slot's key is the current key. */
    abstract void write(S slot) throws IOException;

    /** True when a written slot holds nothing worth keeping on the heap. */
    abstract boolean emptyAfterWrite(S slot);
}
