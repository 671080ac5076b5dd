package io.pulse.process.pipeline;

import org.apache.flink.streaming.api.TimerService;

/**
 * One event-time timer per key, its time kept in the key's state value ({@link #NONE}: no timer),
 * as the per-user window operators keep theirs: one timer at the earliest time something is due.
 */
final class KeyTimer {
    static final long NONE = Long.MIN_VALUE;

    private KeyTimer() {}

    /** The key's timer after making sure it fires by {@code due}: moved earlier when it was later or absent. */
    static long by(TimerService timers, long timer, long due) {
        return timer == NONE || due < timer ? move(timers, timer, due) : timer;
    }

    /** Replaces the key's timer, if any, with one at {@code time}; returns {@code time}. */
    static long move(TimerService timers, long timer, long time) {
        if (timer != NONE) {
            timers.deleteEventTimeTimer(timer);
        }
        timers.registerEventTimeTimer(time);
        return time;
    }
}
