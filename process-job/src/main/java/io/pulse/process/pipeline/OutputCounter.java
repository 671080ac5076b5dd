package io.pulse.process.pipeline;

import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;

/** Counts the rows that reach one output (metric {@code rowsOut} under {@code output=<name>}); passes them on. */
public final class OutputCounter<T> extends RichMapFunction<T, T> {
    private final String output;
    private transient Counter rows;

    public OutputCounter(String output) {
        this.output = output;
    }

    @Override
    public void open(Configuration parameters) {
        rows = getRuntimeContext().getMetricGroup().addGroup("output", output).counter("rowsOut");
    }

    @Override
    public T map(T value) {
        rows.inc();
        return value;
    }
}
