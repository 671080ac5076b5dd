package io.pulse.process.state;

import java.util.Arrays;

/**
 * A min-heap of (time, key, owner) timers in three arrays (the owner: which timer state of the
 * function set it): no object per timer, no hashing, no key groups.
 * What Flink's heap timer service does per timer (a deduplicating hash set and a heap per key group,
 * and a heap of those) was a quarter of the per-user operators' time; the functions on this queue
 * keep their one timer per key in their state, so the queue needs neither deletes nor dedup.
 */
final class TimerQueue {
    private long[] times = new long[1024];
    private Object[] keys = new Object[1024];
    private int[] owners = new int[1024];
    private int size;

    void add(long time, Object key, int owner) {
        if (size == times.length) {
            times = Arrays.copyOf(times, size * 2);
            keys = Arrays.copyOf(keys, size * 2);
            owners = Arrays.copyOf(owners, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (times[parent] <= time) {
                break;
            }
            times[i] = times[parent];
            keys[i] = keys[parent];
            owners[i] = owners[parent];
            i = parent;
        }
        times[i] = time;
        keys[i] = key;
        owners[i] = owner;
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
        return keys[0];
    }

    /** The owner of the earliest timer; only when not empty. */
    int firstOwner() {
        return owners[0];
    }

    /** The timer at position i (any order), for counting what is pending. */
    long timeAt(int i) {
        return times[i];
    }

    Object keyAt(int i) {
        return keys[i];
    }

    int ownerAt(int i) {
        return owners[i];
    }

    void removeFirst() {
        int last = --size;
        long time = times[last];
        Object key = keys[last];
        int owner = owners[last];
        keys[last] = null;
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
            keys[i] = keys[child];
            owners[i] = owners[child];
            i = child;
        }
        times[i] = time;
        keys[i] = key;
        owners[i] = owner;
    }
}
