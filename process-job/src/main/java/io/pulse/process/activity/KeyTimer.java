package io.pulse.process.activity;

import io.pulse.runtime.KeyTimers;

/**
 * One event-time timer per key, its time kept in the key's state value ({@link #NONE}: no timer),
 * as the per-user window operators keep theirs: one timer at the earliest time something is due,
 * set on the operator's queue ({@link KeyTimers}; a replaced timer still fires and is ignored).
 */
final class KeyTimer {
    static final long NONE = KeyTimers.NONE;

    private KeyTimer() {}

    /** The key's timer after making sure it fires by {@code due}: moved earlier when it was later or absent. */
    static long by(KeyTimers timers, long timer, long due) {
        return timer == NONE || due < timer ? move(timers, due) : timer;
    }

    /** Sets the key's timer to {@code time} (the one before, if any, fires unheeded); returns {@code time}. */
    static long move(KeyTimers timers, long time) {
        if (timers == null) {
            throw new IllegalStateException("this function keeps its timers on a CachingKeyedProcessOperator's queue: "
                    + "run it with new CachingKeyedProcessOperator<>(function, cacheKeys)");
        }
        timers.set(time);
        return time;
    }
}
