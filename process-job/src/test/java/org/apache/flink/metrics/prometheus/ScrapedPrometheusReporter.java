package org.apache.flink.metrics.prometheus;

import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's Prometheus reporter without its HTTP server, for tests: the same registry and metric
 * naming as {@link PrometheusReporter}, read in the text format Prometheus scrapes. Flink's own
 * reporter binds every network interface, which tests must not do. It lives in Flink's package
 * because the registry is package-private there. Configure it on a MiniCluster with
 * {@code metrics.reporter.<name>.factory.class} = {@link Factory}.
 */
public final class ScrapedPrometheusReporter extends AbstractPrometheusReporter {
    private static final List<ScrapedPrometheusReporter> OPEN = new CopyOnWriteArrayList<>();

    /** What a Prometheus scrape of every open reporter of this JVM (JobManager and TaskManagers) would read. */
    public static String scrape() {
        StringWriter text = new StringWriter();
        try {
            for (ScrapedPrometheusReporter reporter : OPEN) {
                TextFormat.write004(text, reporter.registry.metricFamilySamples());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    @Override
    public void open(MetricConfig config) {
        super.open(config);
        OPEN.add(this);
    }

    @Override
    public void close() {
        OPEN.remove(this);
        super.close();
    }

    /** Found by Flink through META-INF/services. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new ScrapedPrometheusReporter();
        }
    }
}
