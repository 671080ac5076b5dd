package io.pulse.process;

import org.apache.flink.metrics.Counter;

/** A counter reported nowhere: for code run without a metric group, as in unit tests. */
public final class UnreportedCounter implements Counter {
    private long count;

    @Override
    public void inc() {
        count++;
    }

    @Override
    public void inc(long n) {
        count += n;
    }

    @Override
    public void dec() {
        count--;
    }

    @Override
    public void dec(long n) {
        count -= n;
    }

    @Override
    public long getCount() {
        return count;
    }
}
