package io.pulse.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * CPU seconds (user + system, from /proc) used by every process of the local stack and by this
 * JVM: each server's process and all its descendants (PostgreSQL forks a backend per connection).
 * Built from {@code name=pid,name=pid,...} as {@code ./pulse bench} passes it; a pid that is gone
 * counts 0.
 */
public final class StackCpu {
    private final Map<String, Long> pids;

    private StackCpu(Map<String, Long> pids) {
        this.pids = pids;
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
        pids.forEach((name, pid) -> seconds.put(name, treeSeconds(pid)));
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

    /**
     * The process, its live descendants, and (cutime + cstime of the root) the children that have
     * ended since it started: PostgreSQL backends come and go between two readings.
     */
    private static double treeSeconds(long pid) {
        return ProcessHandle.of(pid)
                .map(p -> procCpuSeconds(pid) + endedChildrenSeconds(pid)
                        + p.descendants().mapToDouble(h -> procCpuSeconds(h.pid())).sum())
                .orElse(0.0);
    }

    /** cutime + cstime from /proc/PID/stat: CPU of the children the process has waited for. */
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
