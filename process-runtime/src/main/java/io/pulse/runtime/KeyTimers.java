package io.pulse.runtime;

/**
 * Event-time timers of a {@link CachingKeyedProcessOperator} for a function that keeps one timer per
 * key in its own state ({@link CachingKeyedProcessOperator.OwnTimers}).
 */
public interface KeyTimers {
    /** No timer. */
    long NONE = Long.MIN_VALUE;

    /**
     * Sets a timer for the current key at {@code time}. A timer set before for the key is not
     * removed: it still fires, and the function, whose state holds the key's one timer, ignores a
     * firing at any other time than that one.
     */
    void set(long time);
}
