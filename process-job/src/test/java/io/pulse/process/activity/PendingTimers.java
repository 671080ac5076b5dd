package io.pulse.process.activity;

import io.pulse.runtime.CachingKeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/** Event-time timers an operator under test still has: Flink's, and a caching operator's own queue. */
final class PendingTimers {
    private PendingTimers() {}

    static int of(KeyedOneInputStreamOperatorTestHarness<?, ?, ?> harness) throws Exception {
        int flink = harness.numEventTimeTimers();
        return harness.getOneInputOperator() instanceof CachingKeyedProcessOperator<?, ?, ?> caching
                ? flink + caching.pendingOwnTimers() : flink;
    }
}
