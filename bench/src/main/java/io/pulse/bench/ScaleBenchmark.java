package io.pulse.bench;

import io.pulse.bench.ProcessBenchmark.BenchCluster;
import io.pulse.bench.ProcessBenchmark.Run;
import io.pulse.bench.ProcessBenchmark.Setup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./pulse bench scale}: the process job (discarding sinks) and the source alone at
 * parallelism 1, 2 and 4 on one and on two TaskManagers (4 slots each, in one in-process cluster
 * per layout, records between TaskManagers over Flink's network stack), over the same topic of 4
 * partitions: sustained rate and CPU per event of each, one unmeasured round and the best of two
 * measured ones. The CPU per event split into the source's part and the rest says what grows with
 * parallelism (the shuffles) and what would bound a larger machine.
 */
public final class ScaleBenchmark {
    private static final int[] PARALLELISM = {1, 2, 4};
    private static final int[] TASK_MANAGERS = {1, 2};
    private static final int SLOTS = 4;
    private static final int MEASURED = 2;

    private ScaleBenchmark() {}

    record Point(int taskManagers, int parallelism, Run job, Run source) {}

    /** Every layout over {@code topic} ({@code events} records); the results to {@code result}. */
    static void run(String bootstrap, String topic, long events, StackCpu cpu, Path result) throws Exception {
        List<Point> points = new ArrayList<>();
        for (int tms : TASK_MANAGERS) {
            try (BenchCluster cluster = BenchCluster.start(tms, SLOTS)) {
                for (int p : PARALLELISM) {
                    Setup setup = new Setup(bootstrap, topic, events, "rocksdb", cluster, p);
                    System.err.printf(Locale.ROOT, "%d TaskManager(s), parallelism %d: one round not measured, then %d%n", tms, p, MEASURED);
                    ProcessBenchmark.measure("process job", cpu, SourceProgress::records, () -> ProcessBenchmark.processJob(setup));
                    List<Run> runs = new ArrayList<>();
                    for (int round = 0; round < MEASURED; round++) {
                        runs.add(ProcessBenchmark.measure("flink source only", cpu, SourceProgress::records, () -> ProcessBenchmark.sourceOnly(setup)));
                        runs.add(ProcessBenchmark.measure("process job", cpu, SourceProgress::records, () -> ProcessBenchmark.processJob(setup)));
                    }
                    points.add(new Point(tms, p, ProcessBenchmark.best(runs, "process job"), ProcessBenchmark.best(runs, "flink source only")));
                }
            }
        }
        Point base = points.get(0);
        StringBuilder rows = new StringBuilder();
        System.out.println("scale: process job (discarding sinks) by layout; speed-up and CPU per event against 1 TaskManager, parallelism 1");
        System.out.println("| TaskManagers | parallelism | events/s sustained | speed-up | CPU µs/event (job) | CPU µs/event (source alone) | job CPU vs p=1 |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Point pt : points) {
            double jobCpu = pt.job().cpuPerMillion();
            System.out.printf(Locale.ROOT, "| %d | %d | %,.0f | %.2f | %.1f | %.1f | %.2f |%n", pt.taskManagers(), pt.parallelism(),
                    pt.job().sustainedRate(), pt.job().sustainedRate() / base.job().sustainedRate(), jobCpu, pt.source().cpuPerMillion(),
                    jobCpu / base.job().cpuPerMillion());
            rows.append(rows.length() == 0 ? "" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"task_managers\": %d, \"parallelism\": %d, \"sustained_events_per_s\": %.0f, \"events_per_s\": %.0f, "
                            + "\"cpu_us_per_event\": %.2f, \"source_alone_sustained_events_per_s\": %.0f, \"source_alone_cpu_us_per_event\": %.2f, "
                            + "\"cpu_s_by_process\": %s}",
                    pt.taskManagers(), pt.parallelism(), pt.job().sustainedRate(), pt.job().rate(), pt.job().cpuPerMillion(),
                    pt.source().sustainedRate(), pt.source().cpuPerMillion(), StackCpu.json(pt.job().cpuByProcess())));
        }
        String json = String.format(Locale.ROOT, """
                {
                  "benchmark": "scale",
                  "timestamp": "%s",
                  "machine": "%d cores, %s",
                  "events": %d,
                  "setup": "one in-process Flink cluster per layout (1 or 2 TaskManagers, %d slots each, evenly spread, 1 GB managed memory each), RocksDB, checkpoint every 10 s, discarding sinks; topic of 4 partitions; per point one round not measured, then the best of %d",
                  "cpu": "CPU seconds (user+system) of every stack process and the benchmark JVM over each run, per event (cpu_us_per_event = CPU seconds per million events)",
                  "points": [
                %s
                  ]
                }
                """, Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), events, SLOTS, MEASURED, rows);
        Files.createDirectories(result.getParent());
        Files.writeString(result, json);
    }
}
