package io.pulse.bench;

import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.process.ProcessJob;
import io.pulse.process.ProcessSettings;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.ProcessPipeline;
import io.pulse.process.sink.ProcessSinks;
import io.pulse.process.source.ActivityRecordDeserializer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code ./pulse bench process}: over one topic of N events, (1) a plain Kafka consumer that
 * decodes every record with the event-model codec, the baseline, (2) the job's Flink Kafka source
 * alone into a discarding sink (the ceiling of any job on it), and (3) the whole process job on
 * an in-process Flink cluster started once for the run (parallelism 2, checkpointing on, RocksDB)
 * with every sink discarding, reading the topic to its end. Reports events/s, CPU seconds per million events (this
 * JVM plus every process of the local stack, from /proc) and the ratio. Arguments: BOOTSTRAP TOPIC
 * EVENTS STACK_PIDS(name=pid,...) RESULT_FILE [STATE_BACKEND].
 */
public final class ProcessBenchmark {
    private ProcessBenchmark() {}

    /**
     * One measured run: its events over the wall time from start (job submission) to end, and its
     * sustained rate, the slope of the records read between 10% and 90% of the topic (start-up
     * and tail left out, as in the pipeline benchmark).
     */
    record Run(String name, long events, double seconds, double sustainedRate, double cpuSeconds, Map<String, Double> cpuByProcess) {
        double rate() {
            return events / seconds;
        }

        double cpuPerMillion() {
            return cpuSeconds / (events / 1e6);
        }
    }

    static final int ROUNDS = 3;

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long events = Long.parseLong(args[2]);
        StackCpu cpu = StackCpu.parse(args[3]);
        Path result = Path.of(args[4]);
        String stateBackend = args.length > 5 ? args[5] : "rocksdb";

        List<Run> runs = new ArrayList<>();
        List<Run> warmUps = new ArrayList<>();
        boolean sql = sqlAvailable();
        try (BenchCluster cluster = BenchCluster.start()) {
            Setup setup = new Setup(bootstrap, topic, events, stateBackend, cluster);
            // Warm-up rounds first, not measured: on two cores the JIT needs ~30-40 s of the process job
            // running before its hot paths are compiled (C2 still took a third of a core in the job's
            // third round; the rate rose until round 5 or so), far longer than the raw consumer's few
            // methods. A job runs for hours: what counts is its rate once compiled, and the baseline's.
            int warmUp = warmUpRounds();
            for (int round = 1; round <= warmUp; round++) {
                System.err.printf(Locale.ROOT, "warm-up round %d of %d (not measured)%n", round, warmUp);
                warmUps.addAll(round(cpu, setup, sql));
            }
            // Then alternate three times and keep the best of each.
            for (int round = 1; round <= ROUNDS; round++) {
                System.err.printf(Locale.ROOT, "measured round %d of %d%n", round, ROUNDS);
                runs.addAll(round(cpu, setup, sql));
            }
        }
        Run raw = best(runs, "raw consume+decode");
        Run job = best(runs, "process job");
        Run sourceOnly = best(runs, "flink source only");
        Run byUser = best(runs, "flink shuffle by user");
        double ratio = job.sustainedRate() / raw.sustainedRate();
        // The best round is the one least disturbed by the rest of the machine; the median says how steady that was.
        double medianRatio = median(runs, "process job") / median(runs, "raw consume+decode");
        String sqlJson = "";
        if (sql) {
            Run peer = best(runs, "flink sql");
            sqlJson = String.format(Locale.ROOT, "  \"flink_sql_same_windows\": %s,%n  \"ratio_to_flink_sql\": %.3f,%n",
                    json(peer, "page views 1 min, active users 5/1 min exact distinct, per user/device KPIs 5 min as SQL window TVFs, same source, "
                            + "cluster, state backend and checkpointing, blackhole sinks"), job.sustainedRate() / peer.sustainedRate());
            System.out.printf(Locale.ROOT, "process: Flink SQL peer (three of the five outputs) %.0f events/s sustained, process job / Flink SQL %.3f (goal >= 1)%n",
                    peer.sustainedRate(), job.sustainedRate() / peer.sustainedRate());
        }
        String json = String.format(Locale.ROOT, """
                {
                  "benchmark": "process",
                  "timestamp": "%s",
                  "machine": "%d cores, %s",
                  "events": %d,
                  "rates": "sustained_events_per_s: the slope of the records read (the consumer's count; a Flink job's source numRecordsOut) between 10%% and 90%% of the topic, start-up and tail left out, as in the pipeline benchmark; events_per_s: all events over the wall time from start (a job's submission to the running cluster) to end. ratio and ratio_to_flink_sql compare the best sustained rates of the measured rounds, ratio_median their medians; ratio_wall compares the best wall rates; Spark's figure is wall time from query start, compare it with events_per_s",
                  "cpu": "CPU seconds (user+system) from /proc of every process of the local stack (with descendants) and of the benchmark JVM, over each whole run",
                  "raw_consume_decode": %s,
                  "process_job_discarding_sinks": %s,
                  "ratio": %.3f,
                  "ratio_wall": %.3f,
                  "ratio_median": %.3f,
                  "flink_source_only": %s,
                  "flink_source_only_ratio": %.3f,
                  "flink_shuffle_by_user": %s,
                  "flink_shuffle_by_user_ratio": %.3f,
                %s  "goal": "ratio >= 0.5 and >= 100000 events/s",
                  "warm_up_rounds": %s,
                  "all_rounds": %s
                }
                """, Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), events,
                json(raw, "one KafkaConsumer (read_committed, polls of up to 5000 records) decoding every record with the event-model codec"),
                json(job, "submitted to an in-process Flink 1.20 MiniCluster started once for the whole run (as jobs go to the stack's session "
                        + "cluster); parallelism 2, 1 GB managed memory, checkpoint every 10 s, " + stateBackend + " state, all five windowed outputs, sinks discard"),
                ratio, job.rate() / raw.rate(), medianRatio,
                json(sourceOnly, "the job's Kafka source, deserializer and watermarks on the same cluster and checkpointing, straight into a discarding sink: "
                        + "the ceiling of any job on this source"), sourceOnly.sustainedRate() / raw.sustainedRate(),
                json(byUser, "the job's source, decoding and dead-letter routing, then the one shuffle by user that the per-user outputs need, into a "
                        + "discarding sink: the ceiling of any job with per-user state on this source and machine"), byUser.sustainedRate() / raw.sustainedRate(),
                sqlJson, roundsJson(warmUps), roundsJson(runs));
        Files.createDirectories(result.getParent());
        Files.writeString(result, json);
        System.out.printf(Locale.ROOT, "process: raw consume+decode %.0f events/s sustained (%.0f over its wall time, %.1f CPU s per M), "
                + "process job %.0f events/s sustained (%.0f from submission to end, %.1f CPU s per M): ratio %.3f sustained, %.3f wall, "
                + "%.3f of the medians (goal >= 0.5 and >= 100000 events/s)%n",
                raw.sustainedRate(), raw.rate(), raw.cpuPerMillion(), job.sustainedRate(), job.rate(), job.cpuPerMillion(), ratio,
                job.rate() / raw.rate(), medianRatio);
        System.out.printf(Locale.ROOT, "process: Flink's Kafka source alone (no operators) %.0f events/s sustained, ratio %.3f: the ceiling of any job on it%n",
                sourceOnly.sustainedRate(), sourceOnly.sustainedRate() / raw.sustainedRate());
        System.out.printf(Locale.ROOT, "process: the source plus the one shuffle by user (no windows) %.0f events/s sustained, ratio %.3f: "
                + "the ceiling of any job with per-user state%n", byUser.sustainedRate(), byUser.sustainedRate() / raw.sustainedRate());
    }

    private static String roundsJson(List<Run> runs) {
        return runs.stream().map(r -> String.format(Locale.ROOT, "{\"run\": \"%s\", \"sustained_events_per_s\": %.0f, \"events_per_s\": %.0f}",
                r.name(), r.sustainedRate(), r.rate())).toList().toString();
    }

    private static String json(Run r, String setup) {
        return String.format(Locale.ROOT, "{\"sustained_events_per_s\": %.0f, \"events_per_s\": %.0f, \"seconds\": %.2f, \"cpu_s_per_million\": %.2f, "
                + "\"cpu_s_by_process\": %s, \"setup\": \"%s\"}", r.sustainedRate(), r.rate(), r.seconds(), r.cpuPerMillion(),
                StackCpu.json(r.cpuByProcess()), setup);
    }

    /** True when Flink's table runtime is on the classpath (./pulse bench puts it there). */
    static boolean sqlAvailable() {
        try {
            Class.forName("org.apache.flink.table.planner.loader.DelegatePlannerFactory");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Every contender once, in a fixed order. */
    private static List<Run> round(StackCpu cpu, Setup setup, boolean sql) throws Exception {
        List<Run> round = new ArrayList<>();
        round.add(measure("raw consume+decode", cpu, RAW_READ::get, () -> rawConsume(setup.bootstrap(), setup.topic(), setup.events())));
        round.add(measure("flink source only", cpu, SourceProgress::records, () -> sourceOnly(setup)));
        round.add(measure("flink shuffle by user", cpu, SourceProgress::records, () -> shuffleByUser(setup)));
        round.add(measure("process job", cpu, SourceProgress::records, () -> processJob(setup)));
        if (sql) {
            round.add(measure("flink sql", cpu, SourceProgress::records, () -> FlinkSqlPeer.run(setup)));
        }
        return round;
    }

    /** Unmeasured rounds before the measured ones: {@code PULSE_BENCH_WARMUP_ROUNDS}, default 2. */
    static int warmUpRounds() {
        String value = System.getenv().getOrDefault("PULSE_BENCH_WARMUP_ROUNDS", "2");
        try {
            int rounds = Integer.parseInt(value.trim());
            if (rounds >= 0) {
                return rounds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("PULSE_BENCH_WARMUP_ROUNDS must be a whole number >= 0, got '" + value + "'");
    }

    /** The median sustained rate of the runs of that name. */
    static double median(List<Run> runs, String name) {
        return median(runs, name, Run::sustainedRate);
    }

    /** The median of a figure of the runs of that name. */
    static double median(List<Run> runs, String name, java.util.function.ToDoubleFunction<Run> figure) {
        double[] values = runs.stream().filter(r -> r.name().equals(name)).mapToDouble(figure).sorted().toArray();
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /** The run of that name with the best sustained rate. */
    static Run best(List<Run> runs, String name) {
        return runs.stream().filter(r -> r.name().equals(name)).max((a, b) -> Double.compare(a.sustainedRate(), b.sustainedRate())).orElseThrow();
    }

    interface Body {
        long run() throws Exception;
    }

    /** Records the raw consumer has read so far in the current run. */
    private static final java.util.concurrent.atomic.AtomicLong RAW_READ = new java.util.concurrent.atomic.AtomicLong();

    /** Runs the body, sampling {@code progress} (records read so far) every 5 ms for the sustained rate. */
    static Run measure(String name, StackCpu cpu, java.util.function.LongSupplier progress, Body body) throws Exception {
        System.err.printf("  %s ...%n", name);
        RAW_READ.set(0);
        SourceProgress.reset();
        ProgressSampler sampler = new ProgressSampler(progress);
        Map<String, Double> before = cpu.read();
        long start = System.nanoTime();
        sampler.start();
        long events;
        try {
            events = body.run();
        } finally {
            sampler.stop();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> used = StackCpu.between(before, cpu.read());
        double sustained = sampler.rateBetween(events / 10, events * 9 / 10);
        System.err.printf(Locale.ROOT, "  %s: %d events in %.2f s = %.0f events/s, sustained %.0f events/s, %.1f CPU s (stack and bench JVM)%n",
                name, events, seconds, events / seconds, sustained, used.get("total"));
        return new Run(name, events, seconds, sustained, used.get("total"), used);
    }

    /** (time, records read) every 5 ms while a run goes, for the slope between two counts. */
    static final class ProgressSampler {
        private final java.util.function.LongSupplier progress;
        private final List<long[]> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean stopped;
        private Thread thread;

        ProgressSampler(java.util.function.LongSupplier progress) {
            this.progress = progress;
        }

        void start() {
            thread = new Thread(() -> {
                while (!stopped) {
                    samples.add(new long[] {System.nanoTime(), progress.getAsLong()});
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-progress");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.join();
        }

        /** Records per second between the first samples at or above {@code from} and {@code to} records. */
        double rateBetween(long from, long to) {
            long[] a = null;
            long[] b = null;
            for (long[] s : samples) {
                if (a == null && s[1] >= from) {
                    a = s;
                }
                if (s[1] >= to) {
                    b = s;
                    break;
                }
            }
            if (a == null || b == null || b[0] == a[0]) {
                throw new IllegalStateException("the run's progress never reached " + to + " records (last count "
                        + (samples.isEmpty() ? 0 : samples.get(samples.size() - 1)[1]) + "): is the source counter reporting?");
            }
            return (b[1] - a[1]) / ((b[0] - a[0]) / 1e9);
        }
    }

    /** Assigns every partition of the topic to the consumer, at its beginning; returns them. */
    static List<TopicPartition> assignFromStart(KafkaConsumer<?, ?> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic)) {
            partitions.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return partitions;
    }

    static long rawConsume(String bootstrap, String topic, long expected) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        props.put("max.poll.records", "5000");
        props.put("fetch.min.bytes", "1048576");
        props.put("fetch.max.wait.ms", "100");
        UserEventCodec codec = new UserEventCodec();
        long decoded = 0;
        long read = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = assignFromStart(consumer, topic);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    if (codec.decode(r.value()) instanceof DecodeResult.Decoded) {
                        decoded++;
                    }
                }
                RAW_READ.set(read);
            }
        }
        if (read < expected) {
            throw new IllegalStateException("topic " + topic + " has " + read + " records, expected " + expected);
        }
        return read;
    }

    /** The job's source, deserializer and watermarks into a discarding sink, nothing between. */
    static long sourceOnly(Setup setup) throws Exception {
        BenchJob job = BenchJob.create(setup);
        job.env().fromSource(job.source(), ProcessPipeline.watermarks(job.settings().pipeline), SourceProgress.SOURCE_NAME)
                .sinkTo(new DiscardingSink<>());
        job.run("bench-source-only");
        return setup.events();
    }

    /**
     * The job's source, decoding and dead-letter routing, then the shuffle by user of the three
     * per-user outputs, into a discarding sink: what every job that keeps state per user pays
     * before its first window.
     */
    static long shuffleByUser(Setup setup) throws Exception {
        BenchJob job = BenchJob.create(setup);
        ProcessPipeline.byUser(ProcessPipeline.decoded(job.env(), job.source(), job.settings().pipeline)).sinkTo(new DiscardingSink<>());
        job.run("bench-shuffle-by-user");
        return setup.events();
    }

    static long processJob(Setup setup) throws Exception {
        BenchJob job = BenchJob.create(setup);
        ProcessSinks discard = ProcessSinks.builder().sessionKpis(new DiscardingSink<>()).pageViewCounts(new DiscardingSink<>())
                .activeUsers(new DiscardingSink<>()).userSessions(new DiscardingSink<>()).aggregatedCounts(new DiscardingSink<>())
                .lateEvents(new DiscardingSink<>()).deadLetters(new DiscardingSink<>()).build();
        new ProcessPipeline(job.source(), discard, job.settings().pipeline, null).build(job.env());
        job.run("bench-process");
        return setup.events();
    }

    /** What every Flink job of a run reads, where it runs and at which parallelism. */
    record Setup(String bootstrap, String topic, long events, String stateBackend, BenchCluster cluster, int parallelism) {
        Setup(String bootstrap, String topic, long events, String stateBackend, BenchCluster cluster) {
            this(bootstrap, topic, events, stateBackend, cluster, 2);
        }
    }

    /**
     * The in-process Flink cluster every Flink job of a run is submitted to, started once: as on
     * the local stack, where jobs go to a running session cluster, a job's time is its own
     * (submission, deployment, the records, the end), not a cluster's start-up. One TaskManager with
     * two slots and the stack TaskManager's managed memory; REST on a free port of 127.0.0.1.
     */
    static final class BenchCluster implements AutoCloseable {
        private final MiniCluster cluster;
        private final URI rest;

        private BenchCluster(MiniCluster cluster, URI rest) {
            this.cluster = cluster;
            this.rest = rest;
        }

        static BenchCluster start() throws Exception {
            return start(1, 2);
        }

        /** {@code taskManagers} TaskManagers in this JVM with {@code slots} slots each, records between them over the network stack. */
        static BenchCluster start(int taskManagers, int slots) throws Exception {
            Configuration conf = new Configuration();
            // About what the local stack's TaskManager has (taskmanager.memory.managed.size 1024m).
            conf.setString("taskmanager.memory.managed.size", "1024m");
            conf.setString("cluster.evenly-spread-out-slots", "true");
            conf.setString("rest.bind-address", "127.0.0.1");
            conf.setString("rest.address", "127.0.0.1");
            conf.setString("rest.bind-port", "0");
            SourceProgress.configure(conf);
            MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                    .setConfiguration(conf).setNumTaskManagers(taskManagers).setNumSlotsPerTaskManager(slots).build());
            cluster.start();
            return new BenchCluster(cluster, cluster.getRestAddress().get());
        }

        /** An environment whose jobs are submitted to this cluster (the job classes are on its classpath: no jars). */
        StreamExecutionEnvironment environment() {
            return StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(), rest.getPort(), new Configuration());
        }

        @Override
        public void close() throws Exception {
            cluster.close();
        }
    }

    /**
     * What both measured jobs (the process job and its Flink SQL peer) run on: the run's cluster,
     * parallelism 2, the job's own state and checkpoint configuration, and a bounded source reading
     * the topic to its end.
     */
    record BenchJob(StreamExecutionEnvironment env, ProcessSettings settings, KafkaSource<DecodedRecord> source, Path checkpoints) {
        static BenchJob create(Setup setup) throws java.io.IOException {
            String bootstrap = setup.bootstrap();
            String topic = setup.topic();
            Path checkpoints = Files.createTempDirectory("pulse-bench-checkpoints");
            ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", bootstrap, "--kafka.activity-topic", topic,
                    "--checkpoint.dir", checkpoints.toUri().toString(), "--state.backend", setup.stateBackend());
            StreamExecutionEnvironment env = setup.cluster().environment();
            env.setParallelism(setup.parallelism());
            ProcessJob.configure(env, settings);
            // The bounded source finishes split by split at the end; checkpoints then fail on the union
            // state of the watermark keeper, which must not fail the benchmark run.
            env.getCheckpointConfig().setTolerableCheckpointFailureNumber(Integer.MAX_VALUE);
            KafkaSource<DecodedRecord> source = KafkaSource.<DecodedRecord>builder()
                    .setBootstrapServers(bootstrap)
                    .setTopics(topic)
                    .setGroupId("bench-" + System.nanoTime())
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setBounded(OffsetsInitializer.latest())
                    .setDeserializer(new ActivityRecordDeserializer(io.pulse.model.codec.InputLimits.defaults(), io.pulse.model.diagnostics.DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES))
                    .setProperty("isolation.level", "read_committed")
                    .build();
            return new BenchJob(env, settings, source, checkpoints);
        }

        /** Runs the job built on {@link #env()} to the end of the topic, then removes its checkpoints. */
        void run(String name) throws Exception {
            try {
                env.execute(name);
            } finally {
                deleteCheckpoints();
            }
        }

        /**
         * Removes the run's checkpoint directory. The cluster may still be discarding a checkpoint
         * when the job has ended, so a file vanishing under the walk means "walk again", and what
         * cannot be removed after a few walks is reported, not a failed benchmark.
         */
        void deleteCheckpoints() {
            for (int attempt = 1; attempt <= 5 && Files.exists(checkpoints); attempt++) {
                try (var paths = Files.walk(checkpoints)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (java.io.IOException | java.io.UncheckedIOException vanished) {
                    // walk again
                }
            }
            if (Files.exists(checkpoints)) {
                System.err.println("  note: could not remove " + checkpoints + " (remove it by hand)");
            }
        }
    }
}
