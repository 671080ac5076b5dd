package io.pulse.runtime;

import java.io.IOException;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * A write-back cache in front of one keyed {@link ValueState}: a key's value is read from the state
 * backend once, then read and changed on the heap, and written back when the operator prepares a
 * checkpoint or when the key is evicted to keep at most {@code capacity} keys (least recently used
 * first; the slots live in the operator's {@link SlotTable}). With RocksDB this turns a read and a write per record into a read and
 * a write per key and checkpoint. A checkpoint holds exactly the values the records before its
 * barrier produced, so restore and exactly-once are unchanged: after a restore the cache starts
 * empty and reads the restored state.
 *
 * <p>The cache never shares an object with the state backend: it copies what it loads and what it
 * writes. A heap backend keeps objects by reference and snapshots them asynchronously; a cached
 * object changed in place after the barrier would otherwise change the checkpoint being written.
 *
 * <p>Until the operator binds it (an operator that does not cache, such as a test harness around a
 * plain process operator) every call goes straight to the state. Values are mutable: callers change
 * them in place and must still call {@link #update} (or {@link #clear}) so that the change is written.
 */
public final class KeyedValueCache<V> extends KeySlots<KeyedValueCache.Slot<V>> {
    static final class Slot<V> {
        V value;
        boolean dirty;

        Slot(V value) {
            this.value = value;
        }
    }

    private final ValueState<V> state;
    private final TypeSerializer<V> serializer;
    private final String name;

    /** The keyed value state of the descriptor, behind a cache. */
    public KeyedValueCache(RuntimeContext context, ValueStateDescriptor<V> descriptor) {
        this.state = context.getState(descriptor);
        this.serializer = descriptor.getSerializer(); // initialized by getState
        this.name = descriptor.getName();
    }

    @Override
    String stateName() {
        return name;
    }

    /** The current key's value, or null. */
    public V value() throws IOException {
        return caching() ? slot().value : state.value();
    }

    /** Sets the current key's value (written at the next flush). */
    public void update(V value) throws IOException {
        if (!caching()) {
            state.update(value);
            return;
        }
        Slot<V> slot = slot();
        if (slot.value != value) { // usually the same object, changed in place: no reference store (and barrier) then
            slot.value = value;
        }
        slot.dirty = true;
    }

    /** Removes the current key's value (from the state at the next flush). */
    public void clear() throws IOException {
        if (!caching()) {
            state.clear();
            return;
        }
        update(null);
    }

    @Override
    Slot<V> load() throws IOException {
        V stored = state.value();
        return new Slot<>(stored == null ? null : serializer.copy(stored));
    }

    @Override
    boolean needsWrite(Slot<V> slot) {
        return slot.dirty;
    }

    @Override
    void write(Slot<V> slot) throws IOException {
        if (slot.value == null) {
            state.clear();
        } else {
            state.update(serializer.copy(slot.value));
        }
        slot.dirty = false;
    }
}
