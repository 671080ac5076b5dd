package io.pulse.runtime;

import java.io.IOException;

/**
 * What a cache is to its operator's {@link SlotTable}: one column of slots, one per key, loaded
 * from the state on first use and written back when the table flushes or evicts the key's row.
 */
abstract non-sealed class KeySlots<S> implements KeyedCache {
    private SlotTable table;
    private int column;

    /** Called by the table: from now on the cache keeps its slots in the table's rows. */
    final void bind(SlotTable table, int column) {
        this.table = table;
        this.column = column;
    }

    /** False until bound to a table (an operator caching no keys): every access then goes to the state. */
    final boolean caching() {
        return table != null;
    }

    /** The current key's slot, loaded from the state on first use. */
    @SuppressWarnings("unchecked")
    final S slot() throws IOException {
        Object[] row = table.slots();
        S slot = (S) row[column];
        if (slot == null) {
            table.syncBackendKey();
            slot = load();
            row[column] = slot;
        }
        return slot;
    }

    /** Reads the current key's slot from the state. */
    /** The name of the keyed state behind the cache. */
    abstract String stateName();

    abstract S load() throws IOException;

    abstract boolean needsWrite(S slot);

    /** Writes the slot to the state; the slot's key is the current key. */
    abstract void write(S slot) throws IOException;

    @SuppressWarnings("unchecked")
    final boolean slotNeedsWrite(Object slot) {
        return needsWrite((S) slot);
    }

    @SuppressWarnings("unchecked")
    final void writeSlot(Object slot) throws IOException {
        write((S) slot);
    }
}
