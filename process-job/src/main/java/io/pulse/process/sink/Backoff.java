package io.pulse.process.sink;

import java.time.Duration;

/**
 * The pause between a sink writer's attempts: {@code first}, doubling each time, at most {@code max}.
 * The writer blocks while it waits, so the job backs off (backpressure) instead of buffering or
 * losing writes.
 */
public final class Backoff {
    /** The cap for sinks without a setting of their own. */
    public static final Duration DEFAULT_MAX = Duration.ofSeconds(30);

    private final Duration max;
    private Duration next;

    public Backoff(Duration first, Duration max) {
        this.next = first;
        this.max = max;
    }

    /** Waits the current pause, then doubles it (up to the cap). */
    public void pause() throws InterruptedException {
        Thread.sleep(next.toMillis()); // backoff between attempts is the point here
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
    }
}
