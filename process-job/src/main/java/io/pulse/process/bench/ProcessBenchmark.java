package io.pulse.process.bench;

import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.process.ProcessJob;
import io.pulse.process.ProcessSettings;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.pipeline.ProcessPipeline;
import io.pulse.process.source.ActivityRecordDeserializer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
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
 * an in-process Flink cluster (parallelism 2, checkpointing on, RocksDB) with every sink
 * discarding, reading the topic to its end. Reports events/s, CPU seconds per million events (this
 * JVM plus every process of the local stack, from /proc) and the ratio. Arguments: BOOTSTRAP TOPIC
 * EVENTS STACK_PIDS(name=pid,...) RESULT_FILE [STATE_BACKEND].
 */
public final class ProcessBenchmark {
    private ProcessBenchmark() {}

    record Run(String name, long events, double seconds, double cpuSeconds, Map<String, Double> cpuByProcess) {
        double rate() {
            return events / seconds;
        }

        double cpuPerMillion() {
            return cpuSeconds / (events / 1e6);
        }
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long events = Long.parseLong(args[2]);
        StackCpu cpu = StackCpu.parse(args[3]);
        Path result = Path.of(args[4]);
        String stateBackend = args.length > 5 ? args[5] : "rocksdb";

        List<Run> runs = new ArrayList<>();
        boolean sql = sqlAvailable();
        // Alternate twice and keep the better of each: the first run of either pays for JIT warm-up.
        for (int round = 1; round <= 2; round++) {
            runs.add(measure("raw consume+decode", cpu, () -> rawConsume(bootstrap, topic, events)));
            runs.add(measure("flink source only", cpu, () -> sourceOnly(bootstrap, topic, events, stateBackend)));
            runs.add(measure("flink shuffle by user", cpu, () -> shuffleByUser(bootstrap, topic, events, stateBackend)));
            runs.add(measure("process job", cpu, () -> processJob(bootstrap, topic, events, stateBackend)));
            if (sql) {
                runs.add(measure("flink sql", cpu, () -> FlinkSqlPeer.run(bootstrap, topic, events, stateBackend)));
            }
        }
        Run raw = best(runs, "raw consume+decode");
        Run job = best(runs, "process job");
        Run sourceOnly = best(runs, "flink source only");
        Run byUser = best(runs, "flink shuffle by user");
        double ratio = job.rate() / raw.rate();
        String sqlJson = "";
        if (sql) {
            Run peer = best(runs, "flink sql");
            sqlJson = String.format(Locale.ROOT, "  \"flink_sql_same_windows\": {\"events_per_s\": %.0f, \"seconds\": %.2f, \"cpu_s_per_million\": %.2f, \"cpu_s_by_process\": %s, "
                    + "\"setup\": \"page views 1 min, active users 5/1 min exact distinct, per user/device KPIs 5 min as SQL window TVFs, same source, "
                    + "state backend and checkpointing, blackhole sinks\"},%n  \"ratio_to_flink_sql\": %.3f,%n",
                    peer.rate(), peer.seconds(), peer.cpuPerMillion(), StackCpu.json(peer.cpuByProcess()), job.rate() / peer.rate());
            System.out.printf(Locale.ROOT, "process: Flink SQL peer (three of the five outputs) %.0f events/s, process job / Flink SQL %.3f (goal >= 1)%n",
                    peer.rate(), job.rate() / peer.rate());
        }
        String json = String.format(Locale.ROOT, """
                {
                  "benchmark": "process",
                  "timestamp": "%s",
                  "machine": "%d cores, %s",
                  "events": %d,
                  "cpu": "CPU seconds (user+system) from /proc of every process of the local stack (with descendants) and of the benchmark JVM, over each measured run",
                  "raw_consume_decode": {"events_per_s": %.0f, "seconds": %.2f, "cpu_s_per_million": %.2f, "cpu_s_by_process": %s},
                  "process_job_discarding_sinks": {"events_per_s": %.0f, "seconds": %.2f, "cpu_s_per_million": %.2f, "cpu_s_by_process": %s,
                    "setup": "in-process Flink 1.20 MiniCluster, parallelism 2, 1 GB managed memory, checkpoint every 10 s, %s state, all five windowed outputs, sinks discard"},
                  "ratio": %.3f,
                  "flink_source_only": {"events_per_s": %.0f, "seconds": %.2f, "cpu_s_per_million": %.2f, "cpu_s_by_process": %s,
                    "setup": "the job's Kafka source, deserializer and watermarks on the same cluster and checkpointing, straight into a discarding sink: the ceiling of any job on this source"},
                  "flink_source_only_ratio": %.3f,
                  "flink_shuffle_by_user": {"events_per_s": %.0f, "seconds": %.2f, "cpu_s_per_million": %.2f, "cpu_s_by_process": %s,
                    "setup": "the job's source, decoding and dead-letter routing, then the one shuffle by user that session_kpis, user_sessions and aggregated_counts need, into a discarding sink: the ceiling of any job with per-user state on this source and machine"},
                  "flink_shuffle_by_user_ratio": %.3f,
                %s  "goal": "ratio >= 0.5 and >= 100000 events/s",
                  "all_rounds": %s
                }
                """, Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), events,
                raw.rate(), raw.seconds(), raw.cpuPerMillion(), StackCpu.json(raw.cpuByProcess()), job.rate(), job.seconds(), job.cpuPerMillion(),
                StackCpu.json(job.cpuByProcess()), stateBackend, ratio, sourceOnly.rate(), sourceOnly.seconds(), sourceOnly.cpuPerMillion(),
                StackCpu.json(sourceOnly.cpuByProcess()), sourceOnly.rate() / raw.rate(), byUser.rate(), byUser.seconds(),
                byUser.cpuPerMillion(), StackCpu.json(byUser.cpuByProcess()), byUser.rate() / raw.rate(), sqlJson,
                runs.stream().map(r -> String.format(Locale.ROOT, "{\"run\": \"%s\", \"events_per_s\": %.0f}", r.name(), r.rate())).toList());
        Files.createDirectories(result.getParent());
        Files.writeString(result, json);
        System.out.printf(Locale.ROOT, "process: raw consume+decode %.0f events/s (%.1f CPU s per M), process job %.0f events/s "
                + "(%.1f CPU s per M), ratio %.3f (goal >= 0.5 and >= 100000 events/s)%n",
                raw.rate(), raw.cpuPerMillion(), job.rate(), job.cpuPerMillion(), ratio);
        System.out.printf(Locale.ROOT, "process: Flink's Kafka source alone (no operators) %.0f events/s, ratio %.3f: the ceiling of any job on it%n",
                sourceOnly.rate(), sourceOnly.rate() / raw.rate());
        System.out.printf(Locale.ROOT, "process: the source plus the one shuffle by user (no windows) %.0f events/s, ratio %.3f: "
                + "the ceiling of any job with per-user state%n", byUser.rate(), byUser.rate() / raw.rate());
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

    private static Run best(List<Run> runs, String name) {
        return runs.stream().filter(r -> r.name().equals(name)).max((a, b) -> Double.compare(a.rate(), b.rate())).orElseThrow();
    }

    interface Body {
        long run() throws Exception;
    }

    private static Run measure(String name, StackCpu cpu, Body body) throws Exception {
        System.err.printf("  %s ...%n", name);
        Map<String, Double> before = cpu.read();
        long start = System.nanoTime();
        long events = body.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> used = StackCpu.between(before, cpu.read());
        System.err.printf(Locale.ROOT, "  %s: %d events in %.2f s = %.0f events/s, %.1f CPU s (stack and bench JVM)%n", name, events,
                seconds, events / seconds, used.get("total"));
        return new Run(name, events, seconds, used.get("total"), used);
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
            }
        }
        if (read < expected) {
            throw new IllegalStateException("topic " + topic + " has " + read + " records, expected " + expected);
        }
        return read;
    }

    /** The job's source, deserializer and watermarks into a discarding sink, nothing between. */
    static long sourceOnly(String bootstrap, String topic, long expected, String stateBackend) throws Exception {
        BenchJob job = BenchJob.create(bootstrap, topic, stateBackend);
        job.env().fromSource(job.source(), ProcessPipeline.watermarks(job.settings().pipeline), "kafka " + topic)
                .sinkTo(new DiscardingSink<>());
        job.run("bench-source-only");
        return expected;
    }

    /**
     * The job's source, decoding and dead-letter routing, then the shuffle by user of the three
     * per-user outputs, into a discarding sink: what every job that keeps state per user pays
     * before its first window.
     */
    static long shuffleByUser(String bootstrap, String topic, long expected, String stateBackend) throws Exception {
        BenchJob job = BenchJob.create(bootstrap, topic, stateBackend);
        ProcessPipeline.byUser(ProcessPipeline.decoded(job.env(), job.source(), job.settings().pipeline)).sinkTo(new DiscardingSink<>());
        job.run("bench-shuffle-by-user");
        return expected;
    }

    static long processJob(String bootstrap, String topic, long expected, String stateBackend) throws Exception {
        BenchJob job = BenchJob.create(bootstrap, topic, stateBackend);
        ProcessPipeline.Outputs discard = new ProcessPipeline.Outputs(new DiscardingSink<>(), new DiscardingSink<>(),
                new DiscardingSink<>(), new DiscardingSink<>(), new DiscardingSink<>(), new DiscardingSink<>(), new DiscardingSink<>());
        new ProcessPipeline(job.source(), discard, job.settings().pipeline).build(job.env());
        job.run("bench-process");
        return expected;
    }

    /**
     * What both measured jobs (the process job and its Flink SQL peer) run on: an in-process
     * cluster with the local stack's TaskManager memory, parallelism 2, the job's own state and
     * checkpoint configuration, and a bounded source reading the topic to its end.
     */
    record BenchJob(StreamExecutionEnvironment env, ProcessSettings settings, KafkaSource<DecodedRecord> source, Path checkpoints) {
        static BenchJob create(String bootstrap, String topic, String stateBackend) throws java.io.IOException {
            Path checkpoints = Files.createTempDirectory("pulse-bench-checkpoints");
            ProcessSettings settings = ProcessSettings.load("--kafka.bootstrap", bootstrap, "--kafka.activity-topic", topic,
                    "--checkpoint.dir", checkpoints.toUri().toString(), "--state.backend", stateBackend);
            org.apache.flink.configuration.Configuration cluster = new org.apache.flink.configuration.Configuration();
            // About what the local stack's TaskManager has (taskmanager.memory.managed.size 1024m).
            cluster.setString("taskmanager.memory.managed.size", "1024m");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(cluster);
            env.setParallelism(2);
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
                    .setDeserializer(new ActivityRecordDeserializer())
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

    static double ownCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    /** utime + stime of a process, from /proc/PID/stat; 0 when it cannot be read. */
    static double procCpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        } catch (Exception e) {
            return 0;
        }
    }
}
