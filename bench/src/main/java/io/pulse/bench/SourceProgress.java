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
 * How many records the activity source of a job in this JVM has emitted so far: a metric reporter
 * (registered on the in-process cluster by {@link #configure}) that keeps the source operator's
 * {@code numRecordsOut} counters. The pipeline benchmark reads it to measure a rate between two
 * instants instead of between two checkpoints.
 */
public final class SourceProgress implements MetricReporter {
    /** The name of the activity source in every benchmarked job (the process job's own). */
    static final String SOURCE_NAME = "kafka user_activity";
    private static final String SOURCE = "Source: " + SOURCE_NAME;
    private static final List<Counter> COUNTERS = new CopyOnWriteArrayList<>();

    /** Registers the reporter on an in-process cluster's configuration. */
    static void configure(org.apache.flink.configuration.Configuration cluster) {
        cluster.setString("metrics.reporter.bench-progress.factory.class", Factory.class.getName());
        cluster.setString("metrics.reporter.bench-progress.interval", "1 h"); // nothing to push: read on demand
    }

    /** Records emitted by the activity source since the last {@link #reset()}. */
    static long records() {
        return COUNTERS.stream().mapToLong(Counter::getCount).sum();
    }

    static boolean registered() {
        return !COUNTERS.isEmpty();
    }

    static void reset() {
        COUNTERS.clear();
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
