package io.pulse.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Spark Structured Streaming peer (module bench/spark-peer, its own classpath) as a child JVM over
 * the process benchmark's topic: its result line wrapped with the stack's and its own CPU seconds.
 */
final class SparkPeerRun {
    private static final List<String> OPENS = List.of("java.lang", "java.lang.invoke", "java.io", "java.net", "java.nio", "java.util",
            "java.util.concurrent", "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar");

    private SparkPeerRun() {}

    static void run(Bench.Stack stack, String classpath, String topic, long events, Path file) throws Exception {
        System.err.println("bench process: Spark Structured Streaming, local[2], the same windows on the same topic ...");
        StackCpu cpu = StackCpu.parse(stack.stackPids);
        Map<String, Double> before = cpu.read();
        double childrenBefore = StackCpu.endedChildrenSeconds(ProcessHandle.current().pid());
        List<String> command = new ArrayList<>(List.of(Bench.javaBin(), "-Xmx3g"));
        OPENS.forEach(pkg -> command.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED"));
        command.addAll(List.of("-Djdk.reflect.useDirectMethodHandle=false", "-cp", classpath, "io.pulse.bench.spark.SparkPeer",
                stack.bootstrap, topic, Long.toString(events)));
        Path log = stack.logs.resolve("spark-" + stack.stamp + ".log");
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the Spark peer failed (exit " + p.exitValue() + "): " + log);
        }
        double sparkJvm = StackCpu.endedChildrenSeconds(ProcessHandle.current().pid()) - childrenBefore;
        Map<String, Double> used = StackCpu.between(before, cpu.read());
        String line = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("the Spark peer printed no result line: " + log));
        Files.writeString(file, String.format(Locale.ROOT, "{\"benchmark\": \"spark\", \"timestamp\": \"%s\", \"machine\": \"%s\", "
                        + "\"setup\": \"Spark 3.5.7 Structured Streaming, local[2], RocksDB state store, 3 queries (page views 1 min, active users "
                        + "5/1 min exact distinct, per user/device KPIs 5 min), 2-min watermark, append mode, noop sinks, Trigger.AvailableNow\", "
                        + "\"stack_cpu_s\": %.2f, \"spark_jvm_cpu_s\": %.2f, \"result\": %s}%n",
                stack.stamp, Bench.machine(), used.get("total") - used.getOrDefault("bench-jvm", 0.0), sparkJvm, line));
        System.out.println("process: Spark Structured Streaming peer " + com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
                .readTree(line).path("events_per_s").asText() + " events/s");
        System.err.println("results: " + file);
    }
}
