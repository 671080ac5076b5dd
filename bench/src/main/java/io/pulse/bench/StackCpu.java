package io.pulse.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * CPU seconds (user + system, from /proc) used by every process of the local stack and by this
 * JVM: each server's process and all its descendants (PostgreSQL forks a backend per connection).
 * Built from {@code name=pid,name=pid,...} as {@code ./pulse bench} passes it; a pid that is gone
 * counts 0. A descendant that ends still counts with the CPU it had when last seen: a sampler
 * looks every 200 ms at the servers that fork (the postmaster's cutime does not grow when a backend ends, measured here, so
 * a connection closed before the reading would otherwise take its backend's CPU with it).
 */
public final class StackCpu {
    private final Map<String, Long> pids;
    /** Per server: "pid/starttime" of every descendant seen, to its CPU seconds when last seen. */
    private final Map<String, Map<String, Double>> descendants = new java.util.concurrent.ConcurrentHashMap<>();

    private StackCpu(Map<String, Long> pids) {
        this.pids = pids;
        // Only the servers that fork (PostgreSQL): walking the process table for every server took ~1.4% of the job's JVM samples.
        Map<String, Long> forking = new LinkedHashMap<>();
        pids.forEach((name, pid) -> {
            if (ProcessHandle.of(pid).map(p -> p.children().findAny().isPresent()).orElse(false)) {
                forking.put(name, pid);
            }
        });
        if (!forking.isEmpty()) {
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    forking.forEach(this::treeSeconds);
                    try {
                        Thread.sleep(200); // the sampling period: a backend that lives shorter and ends between readings is missed
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "stack-cpu-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }
    }

    /** {@code name=pid,...}; an empty string: this JVM only. */
    static StackCpu parse(String list) {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String entry : list.split(",")) {
            int eq = entry.indexOf('=');
            if (eq > 0 && !entry.substring(eq + 1).isBlank()) {
                pids.put(entry.substring(0, eq).trim(), Long.parseLong(entry.substring(eq + 1).trim()));
            }
        }
        return new StackCpu(pids);
    }

    /** A reading of every process now: name to CPU seconds, with "bench-jvm" for this JVM. */
    Map<String, Double> read() {
        Map<String, Double> seconds = new LinkedHashMap<>();
        seconds.put("bench-jvm", ownCpuSeconds());
        pids.forEach((name, pid) -> seconds.put(name, treeSeconds(name, pid)));
        return seconds;
    }

    /** What each process used between two readings, and "total". */
    static Map<String, Double> between(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> used = new LinkedHashMap<>();
        double total = 0;
        for (Map.Entry<String, Double> e : after.entrySet()) {
            double d = Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0.0));
            used.put(e.getKey(), d);
            total += d;
        }
        used.put("total", total);
        return used;
    }

    static String json(Map<String, Double> used) {
        return used.entrySet().stream().map(e -> String.format(Locale.ROOT, "\"%s\": %.2f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    /** The process, and every descendant seen since this object was made (live ones read now, ended ones as last seen). */
    private double treeSeconds(String name, long pid) {
        Map<String, Double> seen = descendants.computeIfAbsent(name, k -> new java.util.concurrent.ConcurrentHashMap<>());
        return ProcessHandle.of(pid).map(p -> {
            p.descendants().forEach(h -> {
                String id = h.pid() + "/" + startTime(h.pid());
                double cpu = procCpuSeconds(h.pid());
                if (cpu > 0) {
                    seen.merge(id, cpu, Math::max);
                }
            });
            return procCpuSeconds(pid) + seen.values().stream().mapToDouble(Double::doubleValue).sum();
        }).orElse(0.0);
    }

    /** Field 22 of /proc/PID/stat (start time in ticks since boot): tells a reused pid from the process it had. */
    private static String startTime(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
        } catch (Exception e) {
            return "?";
        }
    }

    /** cutime + cstime from /proc/PID/stat: CPU of the children the process has waited for (this JVM waits for its own). */
    static double endedChildrenSeconds(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) / 100.0; // USER_HZ is 100 on Linux
        } catch (Exception e) {
            return 0;
        }
    }

    /** CPU seconds of this JVM. */
    static double ownCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    /** utime + stime of a process, from /proc/PID/stat; 0 when it cannot be read. */
    static double procCpuSeconds(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        } catch (Exception e) {
            return 0;
        }
    }
}
