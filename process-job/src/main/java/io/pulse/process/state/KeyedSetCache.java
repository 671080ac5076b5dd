package io.pulse.process.state;

import java.io.IOException;
import java.util.HashSet;
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
public final class KeyedSetCache<E> extends KeySlots<KeyedSetCache.Slot<E>> {
    static final class Slot<E> {
        final Set<E> known = new HashSet<>();
        final Set<E> added = new HashSet<>();
        boolean complete;

        Slot(boolean complete) {
            this.complete = complete;
        }
    }

    private final MapState<E, Boolean> state;

    public KeyedSetCache(MapState<E, Boolean> state) {
        this.state = state;
    }

    /** Adds the element to the current key's set; true when it was not there yet. */
    public boolean add(E element) throws Exception {
        if (!caching()) {
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
        if (slot.known.size() >= capacity()) {
            // A large set: write what is new and stop remembering members, look them up instead.
            syncBackendKey();
            write(slot);
            slot.known.clear();
            slot.complete = false;
        }
        slot.known.add(element);
        if (!slot.complete) {
            syncBackendKey();
            if (state.contains(element)) {
                return false;
            }
        }
        slot.added.add(element);
        return true;
    }

    /** Empties the current key's set, in the state at once. */
    public void clear() {
        if (caching()) {
            forget();
            syncBackendKey();
        }
        state.clear();
    }

    @Override
    Slot<E> load() throws IOException {
        try {
            return new Slot<>(state.isEmpty());
        } catch (Exception e) {
            throw new IOException("reading keyed set state", e);
        }
    }

    @Override
    boolean needsWrite(Slot<E> slot) {
        return !slot.added.isEmpty();
    }

    @Override
    void write(Slot<E> slot) throws IOException {
        try {
            for (E element : slot.added) {
                state.put(element, Boolean.TRUE);
            }
        } catch (Exception e) {
            throw new IOException("writing keyed set state", e);
        }
        slot.added.clear();
    }

    @Override
    boolean emptyAfterWrite(Slot<E> slot) {
        return false; // members stay known until the key is cleared
    }
}
