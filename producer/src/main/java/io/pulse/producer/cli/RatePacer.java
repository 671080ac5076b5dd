package io.pulse.producer.cli;

import java.util.concurrent.locks.LockSupport;

/** Spaces operations to a target rate; rate 0 means as fast as possible. */
final class RatePacer {
    private final double perSecond;
    private final long startNanos = System.nanoTime();
    private long count;

    RatePacer(double perSecond) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("rate must be >= 0, got " + perSecond);
        }
        this.perSecond = perSecond;
    }

    /** Blocks until the next operation is due. */
    void acquire() {
        if (perSecond == 0) {
            return;
        }
        long due = startNanos + (long) (count++ * 1e9 / perSecond);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait); // pacing is the point here
        }
    }
}
