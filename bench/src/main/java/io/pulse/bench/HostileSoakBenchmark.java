package io.pulse.bench;

import io.pulse.bench.ProcessBenchmark.BenchCluster;
import io.pulse.bench.ProcessBenchmark.BenchJob;
import io.pulse.bench.ProcessBenchmark.Run;
import io.pulse.bench.ProcessBenchmark.Setup;
import io.pulse.process.ProcessPipeline;
import io.pulse.process.sink.ProcessSinks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;

/**
 * {@code ./pulse bench hostile}: the process job over the same on-time events twice, once as they are
 * and once with hostile records mixed in ({@code ./pulse produce --hostile N}), in alternating rounds
 * on one cluster. Every output goes to a digest sink (row count and an order-independent sum of the
 * rows' hashes); each run must give the digests of the clean run, dead_letter must hold exactly the
 * hostile records (the clean topic has none), and no run may fail (no restarts: the first failure
 * fails the benchmark). The figure: the sustained rate with hostile records against without, goal
 * within 5%.
 */
public final class HostileSoakBenchmark {
    private HostileSoakBenchmark() {}

    /** Per output of the running job: rows and the sum of their hashes (sinks run in this JVM). */
    static final Map<String, long[]> DIGESTS = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String cleanTopic = args[1];
        String hostileTopic = args[2];
        long events = Long.parseLong(args[3]);
        long hostile = Long.parseLong(args[4]);
        StackCpu cpu = StackCpu.parse(args[5]);
        Path result = Path.of(args[6]);
        int rounds = 6;

        List<Run> runs = new ArrayList<>();
        Map<String, long[]> reference = null;
        List<String> problems = new ArrayList<>();
        try (BenchCluster cluster = BenchCluster.start()) {
            Setup clean = new Setup(bootstrap, cleanTopic, events, "rocksdb", cluster);
            Setup mixed = new Setup(bootstrap, hostileTopic, events + hostile, "rocksdb", cluster);
            System.err.println("warm-up rounds (not measured)");
            reference = run(clean, "clean", cpu).digests;
            for (int warmUp = 0; warmUp < 3; warmUp++) {
                run(mixed, "hostile", cpu);
                run(clean, "clean", cpu);
            }
            for (int round = 1; round <= rounds; round++) {
                System.err.printf(Locale.ROOT, "measured round %d of %d%n", round, rounds);
                // Which goes first alternates: the JIT is still warming, and the second of a pair gains from it.
                for (Setup setup : round % 2 == 1 ? List.of(clean, mixed) : List.of(mixed, clean)) {
                    String name = setup == clean ? "clean" : "hostile";
                    Result r = run(setup, name, cpu);
                    runs.add(r.run);
                    Map<String, long[]> expected = new TreeMap<>(reference);
                    long deadExpected = setup == clean ? 0 : hostile;
                    long dead = r.digests.getOrDefault("dead_letter", new long[2])[0];
                    if (dead != deadExpected) {
                        problems.add(name + " round " + round + ": dead_letter " + dead + ", expected " + deadExpected);
                    }
                    expected.remove("dead_letter");
                    Map<String, long[]> got = new TreeMap<>(r.digests);
                    got.remove("dead_letter");
                    if (!same(expected, got)) {
                        problems.add(name + " round " + round + ": outputs differ from the clean run: " + show(got) + " vs " + show(expected));
                    }
                }
            }
        }
        Run bestClean = ProcessBenchmark.best(runs, "clean");
        Run bestHostile = ProcessBenchmark.best(runs, "hostile");
        double ratio = bestHostile.sustainedRate() / bestClean.sustainedRate();
        double medianRatio = ProcessBenchmark.median(runs, "hostile") / ProcessBenchmark.median(runs, "clean");
        // CPU per on-time event: each run's CPU seconds over the same on-time events.
        double cpuRatio = ProcessBenchmark.median(runs, "hostile", Run::cpuSeconds) / ProcessBenchmark.median(runs, "clean", Run::cpuSeconds);
        String json = String.format(Locale.ROOT, """
                {
                  "benchmark": "hostile",
                  "timestamp": "%s",
                  "machine": "%d cores, %s",
                  "events": %d,
                  "hostile_records": %d,
                  "setup": "the process job (all five windowed outputs, raw outputs and diagnostics into digest sinks) on an in-process MiniCluster, parallelism 2, rocksdb, checkpoint every 10 s, no restarts allowed; the same on-time events without and with the hostile records mixed in, five alternating rounds after a warm-up of each; hostile records: every kind the edge refuses up to 64 KiB (the huge kinds test size limits, in the e2e suite), in turn",
                  "outputs_exact": %s,
                  "dead_letter_exact": %s,
                  "job_failures": 0,
                  "problems": %s,
                  "clean_sustained_events_per_s": %.0f,
                  "hostile_sustained_events_per_s": %.0f,
                  "ratio": %.3f,
                  "ratio_median": %.3f,
                  "cpu_per_event_ratio_median": %.3f,
                  "goal": "ratio >= 0.95, outputs exact, dead_letter = hostile records, no job failure",
                  "output_rows": %s,
                  "all_rounds": %s
                }
                """, Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), events, hostile,
                problems.stream().noneMatch(p -> p.contains("outputs differ")), problems.stream().noneMatch(p -> p.contains("dead_letter")),
                problems.stream().map(p -> "\"" + p.replace("\"", "'") + "\"").toList(), bestClean.sustainedRate(), bestHostile.sustainedRate(),
                ratio, medianRatio, cpuRatio, show(reference), runs.stream().map(r -> String.format(Locale.ROOT,
                        "{\"run\": \"%s\", \"sustained_events_per_s\": %.0f, \"events_per_s\": %.0f, \"cpu_s_per_million\": %.2f}", r.name(),
                        r.sustainedRate(), r.rate(), r.cpuPerMillion())).toList());
        Files.createDirectories(result.getParent());
        Files.writeString(result, json);
        System.out.printf(Locale.ROOT, "hostile: clean %.0f events/s sustained, with %d hostile records %.0f: ratio %.3f (%.3f of the medians; goal >= 0.95), "
                + "CPU per on-time event %.3f of the clean run's (medians); outputs exact: %s; dead_letter = hostile records: %s%n", bestClean.sustainedRate(), hostile, bestHostile.sustainedRate(), ratio,
                medianRatio, cpuRatio, problems.stream().noneMatch(p -> p.contains("outputs differ")), problems.stream().noneMatch(p -> p.contains("dead_letter")));
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("  problem: " + p));
            throw new IllegalStateException(problems.size() + " problems (above); the figures are in " + result);
        }
    }

    private record Result(Run run, Map<String, long[]> digests) {}

    private static Result run(Setup setup, String name, StackCpu cpu) throws Exception {
        DIGESTS.clear();
        Run run = ProcessBenchmark.measure(name, cpu, SourceProgress::records, () -> {
            BenchJob job = BenchJob.create(setup);
            Configuration noRestarts = new Configuration();
            noRestarts.setString("restart-strategy.type", "none");
            job.env().configure(noRestarts);
            ProcessSinks sinks = ProcessSinks.builder().sessionKpis(new DigestSink<>("session_kpis"))
                    .pageViewCounts(new DigestSink<>("page_view_counts")).activeUsers(new DigestSink<>("active_users"))
                    .userSessions(new DigestSink<>("user_sessions")).aggregatedCounts(new DigestSink<>("aggregated_counts"))
                    .lateEvents(new DigestSink<>("late_events")).deadLetters(new DigestSink<>("dead_letter"))
                    .userEvents(new DigestSink<>("raw")).build();
            new ProcessPipeline(job.source(), sinks, job.settings().pipeline, null).build(job.env());
            job.run("bench-hostile-" + name);
            return setup.events();
        });
        Map<String, long[]> copy = new TreeMap<>();
        DIGESTS.forEach((k, v) -> copy.put(k, v.clone()));
        return new Result(run, copy);
    }

    private static boolean same(Map<String, long[]> a, Map<String, long[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        return a.keySet().stream().allMatch(k -> a.get(k)[0] == b.get(k)[0] && a.get(k)[1] == b.get(k)[1]);
    }

    private static String show(Map<String, long[]> digests) {
        StringBuilder out = new StringBuilder("{");
        digests.forEach((k, v) -> out.append(out.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(v[0]));
        return out.append('}').toString();
    }

    /** Adds each row to its output's digest: a count and a sum of 64-bit hashes of the row's text (order does not matter). */
    static final class DigestSink<T> implements Sink<T> {
        private static final long serialVersionUID = 1L;
        private final String output;

        DigestSink(String output) {
            this.output = output;
        }

        @Override
        @SuppressWarnings("deprecation")
        public SinkWriter<T> createWriter(InitContext context) {
            return writer();
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            return writer();
        }

        private SinkWriter<T> writer() {
            long[] digest = DIGESTS.computeIfAbsent(output, k -> new long[2]);
            return new SinkWriter<>() {
                @Override
                public void write(T row, Context context) {
                    String text = row instanceof io.pulse.process.model.DecodedRecord d ? d.reason + " " + d.payloadSha256 : String.valueOf(row);
                    long hash = hash64(text);
                    synchronized (digest) {
                        digest[0]++;
                        digest[1] += hash;
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    /** FNV-1a over the text's characters. */
    static long hash64(String text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

}
