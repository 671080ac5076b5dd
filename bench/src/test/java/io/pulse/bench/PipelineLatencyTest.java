package io.pulse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure parts of the pipeline benchmark's latency figures: when a window could close, and percentiles. */
class PipelineLatencyTest {

    /** Per partition, in offset order: {running max event time, append time}. */
    private static PipelineBenchmark.Appends appends() {
        return new PipelineBenchmark.Appends(Map.of(),
                Map.of(0, List.of(new long[] {1_000, 10}, new long[] {5_000, 20}, new long[] {9_000, 30}),
                        1, List.of(new long[] {2_000, 12}, new long[] {7_000, 25}, new long[] {7_000, 40})));
    }

    @Test
    void aWindowClosesWhenEveryPartitionHasReachedItsEndPlusTheBound() {
        // Partition 0 reaches 5,000 at append 20, partition 1 at append 25: the watermark passes then.
        assertThat(appends().closingAppend(5_000)).isEqualTo(25);
        assertThat(appends().closingAppend(1_000)).isEqualTo(12);
    }

    @Test
    void aWindowThatNoPartitionReachedHasNoClosingTime() {
        assertThat(appends().closingAppend(8_000)).isEqualTo(-1); // partition 1 never gets there
    }

    @Test
    void percentilesAreTakenFromTheSortedLatencies() {
        List<Long> latencies = new java.util.ArrayList<>();
        for (long i = 100; i >= 1; i--) {
            latencies.add(i);
        }
        PipelineBenchmark.Percentiles p = PipelineBenchmark.Percentiles.of(latencies);
        assertThat(p.p50()).isEqualTo(50);
        assertThat(p.p99()).isEqualTo(99);
        assertThat(p.max()).isEqualTo(100);
        assertThat(p.samples()).isEqualTo(100);
        assertThat(PipelineBenchmark.Percentiles.of(List.of()).samples()).isZero();
    }

    @Test
    void cpuBetweenTwoReadingsIsPerProcessWithATotal() {
        Map<String, Double> used = StackCpu.between(Map.of("bench-jvm", 1.0, "kafka", 2.0), Map.of("bench-jvm", 4.0, "kafka", 2.5));
        assertThat(used).containsEntry("bench-jvm", 3.0).containsEntry("kafka", 0.5).containsEntry("total", 3.5);
    }
}
