package io.pulse.bench;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * How many records the activity source of a job in this JVM has emitted so far, and how many rows
 * each output has passed to its sink: a metric reporter (registered on the in-process cluster by
 * {@link #configure}) that keeps the source operator's {@code numRecordsOut} counters and the
 * process job's {@code rowsOut} counters (one per output and subtask). The pipeline benchmark reads
 * it to measure rates between two instants instead of between two checkpoints.
 */
public final class SourceProgress implements MetricReporter {
    /** The name of the activity source in every benchmarked job (the process job's own). */
    static final String SOURCE_NAME = "kafka user_activity";
    private static final String SOURCE = "Source: " + SOURCE_NAME;
    private static final List<Counter> COUNTERS = new CopyOnWriteArrayList<>();
    private static final java.util.Map<String, List<Counter>> OUTPUTS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Registers the reporter on an in-process cluster's configuration. */
    static void configure(org.apache.flink.configuration.Configuration cluster) {
        cluster.setString("metrics.reporter.bench-progress.factory.class", Factory.class.getName());
        cluster.setString("metrics.reporter.bench-progress.interval", "1 h"); // nothing to push: read on demand
    }

    /** Records emitted by the activity source since the last {@link #reset()}. */
    static long records() {
        return COUNTERS.stream().mapToLong(Counter::getCount).sum();
    }

    /** Rows each output has passed to its sink since the last {@link #reset()}: output name to rows. */
    static java.util.Map<String, Long> outputs() {
        java.util.Map<String, Long> rows = new java.util.TreeMap<>();
        OUTPUTS.forEach((output, counters) -> rows.put(output, counters.stream().mapToLong(Counter::getCount).sum()));
        return rows;
    }

    static boolean registered() {
        return !COUNTERS.isEmpty();
    }

    static void reset() {
        COUNTERS.clear();
        OUTPUTS.clear();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (name.equals("numRecordsOut") && metric instanceof Counter counter
                && List.of(group.getScopeComponents()).contains(SOURCE)) {
            COUNTERS.add(counter);
        } else if (name.equals("rowsOut") && metric instanceof Counter counter && group.getAllVariables().containsKey("<output>")) {
            OUTPUTS.computeIfAbsent(group.getAllVariables().get("<output>"), k -> new CopyOnWriteArrayList<>()).add(counter);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** What the configuration names; found through META-INF/services like every reporter factory. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new SourceProgress();
        }
    }
}
