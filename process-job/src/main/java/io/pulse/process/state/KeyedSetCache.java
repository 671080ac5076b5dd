package io.pulse.process.state;

import java.io.IOException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.MapState;

/**
 * A set per key, kept as a keyed {@link MapState} (element -> true) with a heap cache in front:
 * the members seen by this instance are remembered on the heap, so asking again costs no state
 * access, and a key whose set was empty in the state when this instance first touched it needs no
 * state lookups at all (the heap knows every member). New members are written when the operator
 * prepares a checkpoint ({@link #flush()}) or when the key is evicted to keep at most
 * {@code capacity} keys. A key remembers at most {@code capacity} members on the heap; past that it
 * writes its new members and looks members up in the state again. Until {@link #bind} is called
 * every call goes straight to the state.
 */
public final class KeyedSetCache<E> implements KeyedCache {
    private static final class Slot<E> {
        final Set<E> known = new HashSet<>();
        final Set<E> added = new HashSet<>();
        boolean complete;

        Slot(boolean complete) {
            this.complete = complete;
        }
    }

    private final MapState<E, Boolean> state;
    private KeyContext keys;
    private int capacity;
    private final LinkedHashMap<Object, Slot<E>> slots = new LinkedHashMap<>(16, 0.75f, true);

    public KeyedSetCache(MapState<E, Boolean> state) {
        this.state = state;
    }

    @Override
    public void bind(KeyContext keys, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("state cache capacity must be >= 0 (0 turns caching off), got " + capacity);
        }
        this.keys = capacity == 0 ? null : keys;
        this.capacity = capacity;
    }

    /** Adds the element to the current key's set; true when it was not there yet. */
    public boolean add(E element) throws Exception {
        if (keys == null) {
            if (state.contains(element)) {
                return false;
            }
            state.put(element, Boolean.TRUE);
            return true;
        }
        Slot<E> slot = slot();
        if (slot.known.contains(element)) {
            return false;
        }
        if (slot.known.size() >= capacity) {
            // A large set: write what is new and stop remembering members, look them up instead.
            write(slot);
            slot.known.clear();
            slot.complete = false;
        }
        slot.known.add(element);
        if (!slot.complete && state.contains(element)) {
            return false;
        }
        slot.added.add(element);
        return true;
    }

    /** Empties the current key's set, in the state at once. */
    public void clear() {
        if (keys != null) {
            slots.remove(keys.currentKey());
        }
        state.clear();
    }

    @Override
    public void flush() throws IOException {
        if (keys == null) {
            return;
        }
        Object current = keys.currentKey();
        boolean moved = false;
        for (Map.Entry<Object, Slot<E>> e : slots.entrySet()) {
            if (!e.getValue().added.isEmpty()) {
                keys.setCurrentKey(e.getKey());
                moved = true;
                write(e.getValue());
            }
        }
        if (moved && current != null) {
            keys.setCurrentKey(current);
        }
    }

    private Slot<E> slot() throws IOException {
        Object key = keys.currentKey();
        Slot<E> slot = slots.get(key);
        if (slot == null) {
            try {
                slot = new Slot<>(state.isEmpty());
            } catch (Exception e) {
                throw new IOException("reading keyed set state of key " + key, e);
            }
            slots.put(key, slot);
            if (slots.size() > capacity) {
                evictEldest(key);
            }
        }
        return slot;
    }

    private void evictEldest(Object current) throws IOException {
        Iterator<Map.Entry<Object, Slot<E>>> it = slots.entrySet().iterator();
        Map.Entry<Object, Slot<E>> eldest = it.next();
        if (eldest.getKey().equals(current)) {
            return;
        }
        it.remove();
        if (!eldest.getValue().added.isEmpty()) {
            keys.setCurrentKey(eldest.getKey());
            try {
                write(eldest.getValue());
            } finally {
                keys.setCurrentKey(current);
            }
        }
    }

    private void write(Slot<E> slot) throws IOException {
        try {
            for (E element : slot.added) {
                state.put(element, Boolean.TRUE);
            }
        } catch (Exception e) {
            throw new IOException("writing keyed set state", e);
        }
        slot.added.clear();
    }
}
