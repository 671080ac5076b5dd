package io.pulse.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Every benchmark behind one entry point ({@code ./pulse bench} calls it with the stack's endpoints):
 * each creates its topics, fills them with the producer, runs, writes {@code <name>-<stamp>.json}
 * to the results directory with a line per figure on stdout, and deletes its topics.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Pulse benchmarks, each against a baseline measured in the same run.",
        subcommands = {Bench.Producer.class, Bench.ProcessJobBench.class, Bench.Scale.class, Bench.Sinks.class, Bench.Pipeline.class,
                Bench.Hostile.class, Bench.Summary.class})
public final class Bench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    /** What every benchmark needs to know about the stack and where results go. */
    static final class Stack {
        @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers")
        String bootstrap;
        @Option(names = "--stack-pids", defaultValue = "", description = "name=pid,... of the stack's servers, for CPU figures")
        String stackPids;
        @Option(names = "--results", required = true, description = "directory for the result files")
        Path results;
        @Option(names = "--producer-jar", description = "the producer's runnable jar, to fill topics")
        Path producerJar;
        @Option(names = "--logs", defaultValue = "${java.io.tmpdir}", description = "directory for the producer's logs")
        Path logs;

        final String stamp = STAMP.format(Instant.now());

        Path result(String name) throws IOException {
            Files.createDirectories(results);
            return results.resolve(name + "-" + stamp + ".json");
        }

        void createTopics(Map<String, Integer> partitions) throws Exception {
            try (Admin admin = admin()) {
                admin.createTopics(partitions.entrySet().stream().map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1)).toList())
                        .all().get();
            }
        }

        void deleteTopics(String... topics) {
            try (Admin admin = admin()) {
                admin.deleteTopics(Arrays.asList(topics)).all().get();
            } catch (Exception e) {
                System.err.println("  note: could not delete " + String.join(", ", topics) + ": " + e.getMessage());
            }
        }

        private Admin admin() {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            return Admin.create(props);
        }

        /** Runs the producer jar ({@code produce ARGS}) to its end; returns its --summary-json. */
        JsonNode produce(String name, List<String> args) throws Exception {
            if (producerJar == null) {
                throw new IllegalArgumentException("--producer-jar is needed to fill the benchmark's topics");
            }
            Path summary = Files.createTempFile("bench-producer", ".json");
            Path log = logs.resolve("bench-" + name + "-" + stamp + ".log");
            List<String> command = new ArrayList<>(List.of(javaBin(), "-jar", producerJar.toString(), "produce", "--summary-json", summary.toString()));
            command.addAll(args);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("the producer failed (exit " + p.exitValue() + "): " + log);
            }
            JsonNode result = JSON.readTree(Files.readString(summary));
            Files.delete(summary);
            return result;
        }

        /** A benchmark over a topic of its own: created, filled with {@code events}, given to {@code body}, deleted. */
        int overFilledTopic(String name, int partitions, long events, TopicBody body) throws Exception {
            String topic = "bench-" + name + "-" + stamp;
            createTopics(Map.of(topic, partitions));
            try {
                fill(topic, events);
                Path result = result(name);
                body.run(topic, result);
                System.err.println("results: " + result);
                return 0;
            } finally {
                deleteTopics(topic);
            }
        }

        /** Fills a topic with the benchmarks' usual events (seeded, 2,000 users, 1% late, 0.1% malformed, Avro). */
        void fill(String topic, long events) throws Exception {
            System.err.printf("bench: writing %d events to %s ...%n", events, topic);
            produce(topic, List.of("--bootstrap", bootstrap, "--topic", topic, "--events", Long.toString(events), "--rate", "0",
                    "--seed", "1", "--users", "2000", "--start-time", "2025-01-01T00:00:00Z", "--late-share", "0.01",
                    "--malformed-share", "0.001", "--format", "avro"));
        }
    }

    interface TopicBody {
        void run(String topic, Path result) throws Exception;
    }

    static String javaBin() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    @Command(name = "producer", description = "The producer vs Kafka's ProducerPerformance on the same records, alternating rounds.")
    static final class Producer implements Callable<Integer> {
        @Mixin Stack stack;
        @Option(names = "--events", defaultValue = "1000000") long events;
        @Option(names = "--rounds", defaultValue = "3") int rounds;
        @Option(names = "--kafka-tools-classpath", required = true, description = "classpath of kafka-tools (ProducerPerformance)")
        String kafkaTools;

        private static final Pattern SENT = Pattern.compile("^(\\d+) records sent, ([0-9.]+) records/sec.*");

        @Override
        public Integer call() throws Exception {
            String pulseTopic = "bench-producer-pulse-" + stack.stamp;
            String kafkaTopic = "bench-producer-kafka-" + stack.stamp;
            stack.createTopics(Map.of(pulseTopic, 2, kafkaTopic, 2));
            // The same records on both sides: the producer's JSON events, and ProducerPerformance fed the
            // very same lines through --payload-file (its default payload is one repeated, compressible record).
            List<String> gen = List.of("--events", Long.toString(events), "--rate", "0", "--seed", "1", "--start-time",
                    "2025-01-01T00:00:00Z", "--late-share", "0", "--malformed-share", "0", "--format", "json");
            Path payload = Files.createTempFile("bench-producer-payload", ".jsonl");
            try {
                List<String> toFile = new ArrayList<>(gen);
                toFile.addAll(List.of("--to-file", payload.toString()));
                stack.produce("producer-payload", toFile);
                List<Double> pulse = new ArrayList<>();
                List<Double> kafka = new ArrayList<>();
                long recordBytes = 0;
                for (int round = 1; round <= rounds; round++) {
                    System.err.printf("bench producer: round %d/%d: Pulse producer, %d events (json, keyed by user, acks=all, idempotent) ...%n", round, rounds, events);
                    List<String> args = new ArrayList<>(gen);
                    args.addAll(List.of("--bootstrap", stack.bootstrap, "--topic", pulseTopic));
                    JsonNode summary = stack.produce("producer", args);
                    pulse.add(summary.path("events_per_s").asDouble());
                    recordBytes = summary.path("value_bytes").asLong() / events;
                    System.err.printf("bench producer: round %d/%d: ProducerPerformance, the same %d records (avg %d bytes) ...%n", round, rounds, events, recordBytes);
                    kafka.add(producerPerformance(kafkaTopic, payload));
                }
                double pulseRate = median(pulse);
                double kafkaRate = median(kafka);
                Path file = stack.result("producer");
                Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(Map.ofEntries(
                        Map.entry("benchmark", "producer"), Map.entry("timestamp", stack.stamp),
                        Map.entry("machine", machine()), Map.entry("events", events), Map.entry("record_bytes", recordBytes),
                        Map.entry("settings", "the same JSON records on both sides (ProducerPerformance --payload-file); acks=all, "
                                + "enable.idempotence=true, linger.ms=5, batch.size=262144, compression.type=lz4, 2 partitions; Pulse keys by "
                                + "user_id, ProducerPerformance sends no key"),
                        Map.entry("rounds", rounds), Map.entry("pulse_producer_events_per_s_rounds", pulse),
                        Map.entry("kafka_producer_performance_records_per_s_rounds", kafka),
                        Map.entry("pulse_producer_events_per_s", pulseRate), Map.entry("kafka_producer_performance_records_per_s", kafkaRate),
                        Map.entry("ratio", Math.round(pulseRate / kafkaRate * 1000) / 1000.0), Map.entry("goal", ">= 0.9"))));
                System.out.printf(Locale.ROOT, "producer: Pulse %.0f events/s, ProducerPerformance %.0f records/s, ratio %.3f (goal >= 0.9)%n",
                        pulseRate, kafkaRate, pulseRate / kafkaRate);
                System.err.println("results: " + file);
                return 0;
            } finally {
                Files.deleteIfExists(payload);
                stack.deleteTopics(pulseTopic, kafkaTopic);
            }
        }

        private double producerPerformance(String topic, Path payload) throws Exception {
            Process p = new ProcessBuilder(javaBin(), "-cp", kafkaTools, "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                    "--num-records", Long.toString(events), "--payload-file", payload.toString(), "--throughput", "-1",
                    "--producer-props", "bootstrap.servers=" + stack.bootstrap, "acks=all", "enable.idempotence=true", "linger.ms=5",
                    "batch.size=262144", "compression.type=lz4").redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("ProducerPerformance failed:\n" + output);
            }
            // Its summary line, as Kafka documents it: "N records sent, R records/sec (...), ...".
            for (String line : output.lines().toList()) {
                Matcher m = SENT.matcher(line);
                if (m.matches() && Long.parseLong(m.group(1)) == events) {
                    return Double.parseDouble(m.group(2));
                }
            }
            throw new IllegalStateException("no summary line in ProducerPerformance's output:\n" + output);
        }
    }

    static String machine() {
        long gib = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() >> 30;
        return Runtime.getRuntime().availableProcessors() + " cores, " + gib + " GiB, Java " + System.getProperty("java.version");
    }

    @Command(name = "process", description = "Raw consume+decode vs the process job with discarding sinks, Flink SQL and (with --spark-classpath) Spark.")
    static final class ProcessJobBench implements Callable<Integer> {
        @Mixin Stack stack;
        @Option(names = "--events", defaultValue = "2000000") long events;
        @Option(names = "--state-backend", defaultValue = "rocksdb") String stateBackend;
        @Option(names = "--spark-classpath", description = "classpath of bench/spark-peer: also run the Spark Structured Streaming peer")
        String sparkClasspath;

        @Override
        public Integer call() throws Exception {
            if (!List.of("rocksdb", "hashmap").contains(stateBackend)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--state-backend must be rocksdb or hashmap, got '" + stateBackend + "'");
            }
            return stack.overFilledTopic("process", 2, events, (topic, result) -> {
                System.err.println("bench process: measuring (warm-up rounds, then 3 alternating rounds) ...");
                ProcessBenchmark.main(new String[] {stack.bootstrap, topic, Long.toString(events), stack.stackPids, result.toString(), stateBackend});
                if (sparkClasspath != null) {
                    SparkPeerRun.run(stack, sparkClasspath, topic, events, stack.results.resolve("spark-" + stack.stamp + ".json"));
                }
            });
        }
    }

    @Command(name = "scale", description = "The process job at parallelism 1, 2 and 4 on 1 and 2 TaskManagers.")
    static final class Scale implements Callable<Integer> {
        @Mixin Stack stack;
        @Option(names = "--events", defaultValue = "1000000") long events;

        @Override
        public Integer call() throws Exception {
            return stack.overFilledTopic("scale", 4, events,
                    (topic, result) -> ScaleBenchmark.run(stack.bootstrap, topic, events, StackCpu.parse(stack.stackPids), result));
        }
    }

    @Command(name = "sinks", description = "Each sink of the process job vs its store's bulk path, same rows.")
    static final class Sinks implements Callable<Integer> {
        @Mixin Stack stack;
        @Option(names = "--rows", defaultValue = "200000") int rows;

        @Override
        public Integer call() throws Exception {
            Path result = stack.result("sinks");
            SinkBenchmark.main(new String[] {result.toString(), Integer.toString(rows), stack.stackPids});
            System.err.println("results: " + result + " and .md");
            return 0;
        }
    }

    @Command(name = "pipeline", description = "The whole job with every sink on: sustained rate over a backlog, then latency at half of it.")
    static final class Pipeline implements Callable<Integer> {
        @Mixin Stack stack;
        @Option(names = "--events", defaultValue = "1000000") long events;
        @Option(names = "--seconds", defaultValue = "60") int seconds;
        @Option(names = "--sink-rows", defaultValue = "100000") int sinkRows;
        @Option(names = "--latency-rate", defaultValue = "0", description = "events/s of the latency run (0: half the live capacity, measured)")
        double latencyRate;
        @Option(names = "--cassandra-ddl", required = true) Path cassandraDdl;

        @Override
        public Integer call() throws Exception {
            return stack.overFilledTopic("pipeline", 2, events, (topic, result) -> {
                PipelineBenchmark.main(new String[] {result.toString(), stack.producerJar.toString(), cassandraDdl.toString(),
                        Long.toString(events), Integer.toString(seconds), stack.stackPids, topic, Integer.toString(sinkRows),
                        Double.toString(latencyRate)});
                BenchSummary.main(new String[] {result.toString().replaceAll("\\.json$", "-summary"), result.toString()});
            });
        }
    }

    @Command(name = "hostile", description = "The process job over N on-time events without and with H hostile records mixed in.")
    static final class Hostile implements Callable<Integer> {
        @Mixin Stack stack;
        @Option(names = "--events", defaultValue = "1000000") long events;
        @Option(names = "--hostile", defaultValue = "10000") long hostile;

        @Override
        public Integer call() throws Exception {
            String clean = "bench-hostile-clean-" + stack.stamp;
            String mixed = "bench-hostile-mixed-" + stack.stamp;
            stack.createTopics(Map.of(clean, 2, mixed, 2));
            try {
                // The same seed and options on both topics: the same on-time events byte for byte; no late events,
                // whose lateness would depend on how the two partitions interleave in each run.
                List<String> gen = List.of("--bootstrap", stack.bootstrap, "--events", Long.toString(events), "--rate", "0", "--seed", "1",
                        "--users", "2000", "--start-time", "2025-01-01T00:00:00Z", "--late-share", "0", "--malformed-share", "0", "--format", "avro");
                System.err.printf("bench hostile: writing %d events to %s, and the same with %d hostile records to %s ...%n", events, clean, hostile, mixed);
                List<String> a = new ArrayList<>(gen);
                a.addAll(List.of("--topic", clean));
                stack.produce("hostile-clean", a);
                List<String> b = new ArrayList<>(gen);
                b.addAll(List.of("--topic", mixed, "--hostile", Long.toString(hostile)));
                stack.produce("hostile-mixed", b);
                System.err.println("bench hostile: measuring (a warm-up, then 3 alternating rounds clean / with hostile records) ...");
                Path result = stack.result("hostile");
                HostileSoakBenchmark.main(new String[] {stack.bootstrap, clean, mixed, Long.toString(events), Long.toString(hostile),
                        stack.stackPids, result.toString()});
                System.err.println("results: " + result);
                return 0;
            } finally {
                stack.deleteTopics(clean, mixed);
            }
        }
    }

    @Command(name = "summary", description = "One JSON, Markdown table and PNG chart of result files: PREFIX FILE...")
    static final class Summary implements Callable<Integer> {
        @CommandLine.Parameters(arity = "2..*") List<String> args;

        @Override
        public Integer call() throws Exception {
            BenchSummary.main(args.toArray(String[]::new));
            return 0;
        }
    }
}
