package io.pulse.runtime;

import java.util.Arrays;

/**
 * A min-heap of (time, key, owner) timers (the owner: which timer state of the function set it):
 * no object per timer, no hashing, no key groups. What Flink's heap timer service does per timer (a
 * deduplicating hash set and a heap per key group, and a heap of those) was a quarter of the
 * per-user operators' time; the functions on this queue keep their one timer per key in their
 * state, so the queue needs neither deletes nor dedup.
 *
 * <p>The heap itself moves only primitives: each timer's key and owner sit in an entry table, at an
 * index the heap carries, so a sift writes no object references (with G1 each reference written
 * into a long-lived array pays a card-marking barrier with a memory fence; a sift writes a dozen).
 */
final class TimerQueue {
    /** The heap: times, and the entry of each. */
    private long[] times = new long[1024];
    private int[] entries = new int[1024];
    private int size;
    /** The entry table: key and owner per entry index; free indexes on a stack. */
    private Object[] keys = new Object[1024];
    private int[] owners = new int[1024];
    private int[] free = new int[1024];
    private int freeCount;
    private int used;

    void add(long time, Object key, int owner) {
        int entry = newEntry();
        keys[entry] = key;
        owners[entry] = owner;
        if (size == times.length) {
            times = Arrays.copyOf(times, size * 2);
            entries = Arrays.copyOf(entries, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (times[parent] <= time) {
                break;
            }
            times[i] = times[parent];
            entries[i] = entries[parent];
            i = parent;
        }
        times[i] = time;
        entries[i] = entry;
    }

    private int newEntry() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (used == keys.length) {
            keys = Arrays.copyOf(keys, used * 2);
            owners = Arrays.copyOf(owners, used * 2);
            free = Arrays.copyOf(free, used * 2);
        }
        return used++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The earliest time; only when not empty. */
    long firstTime() {
        return times[0];
    }

    /** The key of the earliest timer; only when not empty. */
    Object firstKey() {
        return keys[entries[0]];
    }

    /** The owner of the earliest timer; only when not empty. */
    int firstOwner() {
        return owners[entries[0]];
    }

    /** The timer at position i (any order), for counting what is pending. */
    long timeAt(int i) {
        return times[i];
    }

    Object keyAt(int i) {
        return keys[entries[i]];
    }

    int ownerAt(int i) {
        return owners[entries[i]];
    }

    void removeFirst() {
        int removed = entries[0];
        keys[removed] = null; // a null store: no barrier work
        free[freeCount++] = removed;
        int last = --size;
        long time = times[last];
        int entry = entries[last];
        if (last == 0) {
            return;
        }
        int i = 0;
        int half = last >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < last && times[child + 1] < times[child]) {
                child++;
            }
            if (time <= times[child]) {
                break;
            }
            times[i] = times[child];
            entries[i] = entries[child];
            i = child;
        }
        times[i] = time;
        entries[i] = entry;
    }
}
