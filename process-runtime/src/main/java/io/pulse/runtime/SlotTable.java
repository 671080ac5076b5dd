package io.pulse.runtime;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The heap slots of every cache of one operator: one row per key, a column per cache, least
 * recently used row first, at most {@code capacity} rows. Each slot is written back under its own
 * key (at a flush, or when its row is evicted) and the operator's current key restored afterwards.
 *
 * <p>One row for all caches means one hash lookup per key change, however many caches (and, in a
 * {@link FusedFunctions} operator, however many functions) touch the key: the functions behind
 * the shuffle by user read and write the same user one after the other, and separate maps made
 * hash lookups a quarter of that task's time.
 */
final class SlotTable {
    /** One key's slots; a timer may hold on to it, so it says whether it is still the key's row. */
    static final class Row {
        final Object key;
        final Object[] slots;
        /** False once evicted: a holder must look the key up again. */
        boolean live = true;

        Row(Object key, int columns) {
            this.key = key;
            this.slots = new Object[columns];
        }
    }

    private final LinkedHashMap<Object, Row> rows = new LinkedHashMap<>(1024, 0.75f, true);
    private final KeyedCache.KeyContext keys;
    private final int capacity;
    private final KeySlots<?>[] columns;
    /** The key object and row of the last access: one reference comparison while the key stays. */
    private Object lastKey;
    private Row lastRow;

    SlotTable(KeyedCache.KeyContext keys, int capacity, List<KeyedCache> caches) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("a slot table holds at least one key, got capacity " + capacity);
        }
        this.keys = keys;
        this.capacity = capacity;
        this.columns = new KeySlots<?>[caches.size()];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = (KeySlots<?>) caches.get(i);
            columns[i].bind(this, i);
        }
    }

    /** The current key's slots (a new, empty row on first use); beyond capacity the least recently used other row is written and evicted. */
    Object[] slots() throws IOException {
        return row().slots;
    }

    /** The current key's row, as {@link #slots()}. */
    Row row() throws IOException {
        Object key = keys.currentKey();
        if (key == lastKey && key != null) {
            return lastRow;
        }
        Row row = rows.get(key);
        if (row == null) {
            row = new Row(key, columns.length);
            rows.put(key, row);
            if (rows.size() > capacity) {
                evictEldest(key);
            }
        }
        lastKey = key;
        lastRow = row;
        return row;
    }

    /**
     * What a timer set now for the current key holds: the key's row when it was the last one
     * accessed (a function sets its timer after reading its state), else the key itself.
     */
    Object timerHandle() {
        Object key = keys.currentKey();
        return key == lastKey && key != null ? lastRow : key;
    }

    /**
     * Makes a row held since (by a timer) the current one without a lookup, when it is still live;
     * returns its key, which the caller makes the operator's current key.
     */
    Object enter(Row row) {
        if (row.live) {
            lastKey = row.key;
            lastRow = row;
        }
        return row.key;
    }

    /** Before a cache reads or writes the state under the current key. */
    void syncBackendKey() {
        keys.syncBackendKey();
    }

    /**
     * Writes every changed slot to the state. Every row stays, emptied slots too: a slot that holds
     * nothing says "nothing stored" without a state read when the key comes back (a user's windows
     * close and open all the time); the capacity still bounds the rows.
     */
    void flush() throws IOException {
        Object current = keys.currentKey();
        boolean moved = false;
        for (Row row : rows.values()) {
            boolean keySet = false;
            for (int i = 0; i < columns.length; i++) {
                if (row.slots[i] != null && columns[i].slotNeedsWrite(row.slots[i])) {
                    if (!keySet) {
                        keys.setCurrentKey(row.key);
                        keySet = true;
                        moved = true;
                    }
                    columns[i].writeSlot(row.slots[i]);
                }
            }
        }
        if (moved && current != null) {
            keys.setCurrentKey(current);
        }
    }

    private void evictEldest(Object current) throws IOException {
        Iterator<Map.Entry<Object, Row>> it = rows.entrySet().iterator();
        Map.Entry<Object, Row> eldest = it.next();
        if (eldest.getKey().equals(current)) {
            return; // capacity 1 and only the current key: nothing else to evict
        }
        it.remove();
        lastKey = null;
        Row row = eldest.getValue();
        row.live = false;
        boolean moved = false;
        try {
            for (int i = 0; i < columns.length; i++) {
                if (row.slots[i] != null && columns[i].slotNeedsWrite(row.slots[i])) {
                    if (!moved) {
                        keys.setCurrentKey(row.key);
                        moved = true;
                    }
                    columns[i].writeSlot(row.slots[i]);
                }
            }
        } finally {
            if (moved) {
                keys.setCurrentKey(current);
            }
        }
    }
}
