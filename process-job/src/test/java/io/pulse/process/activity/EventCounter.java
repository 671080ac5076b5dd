package io.pulse.process.activity;

import io.pulse.process.model.Activity;
import org.apache.flink.api.common.functions.AggregateFunction;

/** Counts events, incrementally. */
public final class EventCounter implements AggregateFunction<Activity, Long, Long> {
    @Override
    public Long createAccumulator() {
        return 0L;
    }

    @Override
    public Long add(Activity value, Long acc) {
        return acc + 1;
    }

    @Override
    public Long getResult(Long acc) {
        return acc;
    }

    @Override
    public Long merge(Long a, Long b) {
        return a + b;
    }
}
