package io.pulse.mock;

import java.util.SplittableRandom;

/**
 * Decides, per request, whether mock-external fails it, the way real systems do: some requests
 * fail before anything is stored, others after the batch was stored (the client then retries and
 * the system sees duplicates). Thread-safe; deterministic for a given seed and request order.
 */
public final class FaultInjector {
    /** What happens to one request. */
    public enum Outcome { OK, FAIL_BEFORE_STORE, FAIL_AFTER_STORE }

    private volatile double failureRate;
    private volatile long latencyMillis;
    private final SplittableRandom random;

    public FaultInjector(double failureRate, long latencyMillis, long seed) {
        configure(failureRate, latencyMillis);
        this.random = new SplittableRandom(seed);
    }

    public synchronized void configure(double failureRate, long latencyMillis) {
        if (failureRate < 0 || failureRate > 1) {
            throw new IllegalArgumentException("failure rate must be within 0..1, got " + failureRate);
        }
        if (latencyMillis < 0) {
            throw new IllegalArgumentException("latency must be >= 0 ms, got " + latencyMillis);
        }
        this.failureRate = failureRate;
        this.latencyMillis = latencyMillis;
    }

    public synchronized Outcome next() {
        if (failureRate == 0 || random.nextDouble() >= failureRate) {
            return Outcome.OK;
        }
        return random.nextBoolean() ? Outcome.FAIL_BEFORE_STORE : Outcome.FAIL_AFTER_STORE;
    }

    public double failureRate() {
        return failureRate;
    }

    public long latencyMillis() {
        return latencyMillis;
    }
}
