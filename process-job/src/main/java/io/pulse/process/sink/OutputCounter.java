package io.pulse.process.sink;

import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;

/** Counts the rows that reach one output (metric {@code rowsOut} under {@code output=<name>}); passes them on. */
public final class OutputCounter<T> extends RichMapFunction<T, T> {
    private final String output;
    private transient Counter rows;

    /** Counts the rows of one output and writes them to its sink; a null sink leaves the output out. */
    public static <T> void sink(org.apache.flink.streaming.api.datastream.DataStream<T> rows, String output, String name,
                                org.apache.flink.api.connector.sink2.Sink<T> sink) {
        if (sink == null) {
            return;
        }
        rows.map(new OutputCounter<T>(output), rows.getType()).uid("count-" + output).name("count " + output)
                .sinkTo(sink).uid(output + "-sink").name(name);
    }

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
