package io.pulse.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The end of {@code ./pulse bench}: reads the result files of one run (producer, process, spark,
 * sinks, pipeline),
 * and writes {@code <stamp>.json} (every figure with its baseline and ratio), {@code <stamp>.md} (a
 * table) and {@code <stamp>.png} (each stage's ratio to its baseline against its goal, and the
 * pipeline's latency percentiles), and a line per figure on the terminal. Arguments: OUT_PREFIX RESULT_FILE...
 */
public final class BenchSummary {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The issue-25 goal for every sink: at least this share of its store's own path, same rows, same run. */
    static final double SINK_GOAL = 0.8;

    /** A CPU figure in µs with one decimal; "-" for -1 (not measured: the store lives in the JVM). Here, not in SinkBenchmark: the summary runs without Flink on its classpath. */
    static String micros(double value) {
        return value < 0 ? "-" : String.format(Locale.ROOT, "%.1f", value);
    }

    /** One figure: a stage of Pulse against its baseline measured in the same run. */
    record Figure(String stage, String pulse, double pulseRate, String baseline, double baselineRate, double goal) {
        double ratio() {
            return pulseRate / baselineRate;
        }
    }

    /**
     * One store in the whole pipeline: rows/s its outputs passed to their sinks, its server's CPU per
     * row there, and the JVM CPU per row of its sink alone (-1: not measured).
     */
    record Store(String store, double rowsPerSecond, double serverMicros, double liveRowsPerSecond, double liveServerMicros,
                 double jvmMicros) {}

    static List<Store> stores(JsonNode pipeline) {
        List<Store> out = new ArrayList<>();
        if (pipeline != null) {
            pipeline.path("stores").forEach(s -> out.add(new Store(s.get("store").asText(), s.get("pipeline_rows_per_s").asDouble(),
                    s.get("pipeline_server_cpu_us_per_row").asDouble(), s.path("half_load_rows_per_s").asDouble(),
                    s.path("half_load_server_cpu_us_per_row").asDouble(-1), s.hasNonNull("sink_alone") ? s.get("sink_alone").get("pulse_cpu_us_per_row").get("jvm").asDouble() : -1)));
        }
        return out;
    }

    /** One latency figure of the pipeline benchmark. */
    record Latency(String sink, long p50, long p99, long max, long records, String goal) {}

    private BenchSummary() {}

    static List<Figure> figures(java.util.Map<String, JsonNode> results) {
        List<Figure> figures = new ArrayList<>();
        JsonNode producer = results.get("producer");
        if (producer != null) {
            figures.add(new Figure("producer", "Pulse producer", producer.get("pulse_producer_events_per_s").asDouble(),
                    "Kafka ProducerPerformance", producer.get("kafka_producer_performance_records_per_s").asDouble(), 0.9));
        }
        JsonNode process = results.get("process");
        JsonNode spark = results.get("spark");
        JsonNode pipeline = results.get("pipeline");
        // Sustained rates (10%-90% of the topic) where both sides have one; Spark's figure is wall time
        // from query start, so it is compared with the job's time from submission to end.
        double sqlRate = process != null && process.has("flink_sql_same_windows")
                ? process.get("flink_sql_same_windows").get("sustained_events_per_s").asDouble() : 0;
        double sparkRate = spark != null ? spark.get("result").get("events_per_s").asDouble() : 0;
        if (process != null) {
            JsonNode jobRun = process.get("process_job_discarding_sinks");
            double job = jobRun.get("sustained_events_per_s").asDouble();
            figures.add(new Figure("process job (discarding sinks, sustained)", "process job", job, "raw consume+decode (sustained)",
                    process.get("raw_consume_decode").get("sustained_events_per_s").asDouble(), 0.5));
            if (sqlRate > 0) {
                figures.add(new Figure("process job vs Flink SQL (same windows, sustained)", "process job", job, "Flink SQL window TVFs",
                        sqlRate, 1.0));
            }
            if (sparkRate > 0) {
                figures.add(new Figure("process job vs Spark (same windows, wall time)", "process job", jobRun.get("events_per_s").asDouble(),
                        "Spark Structured Streaming local[2]", sparkRate, 3.0));
            }
        }
        // Each sink alone against its store's path: from the sink benchmark, else from the pipeline's own run of it.
        List<JsonNode> alone = new ArrayList<>();
        if (results.get("sinks") != null) {
            results.get("sinks").get("sinks").forEach(alone::add);
        } else if (pipeline != null) {
            pipeline.path("stores").forEach(s -> {
                if (s.hasNonNull("sink_alone")) {
                    alone.add(s.get("sink_alone"));
                }
            });
        }
        for (JsonNode s : alone) {
            figures.add(new Figure("sink: " + s.get("sink").asText(), "Pulse sink", s.get("pulse_rows_per_s").asDouble(),
                    s.get("bulk_path").asText(), s.get("bulk_rows_per_s").asDouble(), SINK_GOAL));
        }
        if (pipeline != null) {
            double full = pipeline.get("sustained").get("events_per_s").asDouble();
            if (sqlRate > 0) {
                figures.add(new Figure("full pipeline (all sinks) vs Flink SQL", "full pipeline", full, "Flink SQL window TVFs", sqlRate, 1.0));
            }
            if (sparkRate > 0) {
                figures.add(new Figure("full pipeline (all sinks) vs Spark", "full pipeline", full, "Spark Structured Streaming local[2]",
                        sparkRate, 3.0));
            }
        }
        return figures;
    }

    static List<Latency> latencies(JsonNode pipeline) {
        List<Latency> out = new ArrayList<>();
        if (pipeline != null) {
            pipeline.get("latency_ms").fields().forEachRemaining(e -> out.add(new Latency(e.getKey(), e.getValue().get("p50_ms").asLong(),
                    e.getValue().get("p99_ms").asLong(), e.getValue().get("max_ms").asLong(), e.getValue().get("records").asLong(),
                    goal(e.getKey(), pipeline))));
        }
        return out;
    }

    /** The issue-25 goal of one latency figure. */
    static String goal(String sink, JsonNode pipeline) {
        if (sink.startsWith("postgres")) {
            return "p99 <= 2000 ms";
        }
        if (sink.contains("enriched_activity")) {
            String setup = pipeline.path("setup").asText();
            java.util.regex.Matcher checkpoint = java.util.regex.Pattern.compile("checkpoint every (\\d+) s").matcher(setup);
            return checkpoint.find() ? "p99 <= " + (Long.parseLong(checkpoint.group(1)) * 1000 + 1000) + " ms (checkpoint + 1 s)"
                    : "p99 <= checkpoint + 1 s";
        }
        return "p99 <= 1000 ms";
    }

    public static void main(String[] args) throws IOException {
        Path prefix = Path.of(args[0]);
        java.util.Map<String, JsonNode> results = new java.util.LinkedHashMap<>();
        String machine = "";
        for (int i = 1; i < args.length; i++) {
            JsonNode r = JSON.readTree(Files.readString(Path.of(args[i])));
            results.put(r.get("benchmark").asText(), r);
            if (!r.get("benchmark").asText().equals("spark")) {
                machine = r.path("machine").asText(machine);
            }
        }
        List<Figure> figures = figures(results);
        List<Latency> latencies = latencies(results.get("pipeline"));
        List<Store> stores = stores(results.get("pipeline"));
        ObjectNode out = JSON.createObjectNode().put("machine", machine);
        ArrayNode list = out.putArray("figures");
        StringBuilder md = new StringBuilder("| stage | Pulse /s | baseline | baseline /s | ratio | goal |\n| --- | ---: | --- | ---: | ---: | ---: |\n");
        for (Figure f : figures) {
            list.addObject().put("stage", f.stage()).put("pulse_per_s", Math.round(f.pulseRate())).put("baseline", f.baseline())
                    .put("baseline_per_s", Math.round(f.baselineRate())).put("ratio", Math.round(f.ratio() * 1000) / 1000.0)
                    .put("goal", f.goal()).put("met", f.ratio() >= f.goal());
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %,.0f | %.2f | >= %.1f |%n", f.stage(), f.pulseRate(), f.baseline(),
                    f.baselineRate(), f.ratio(), f.goal()));
            System.out.printf(Locale.ROOT, "bench: %-60s %10.0f/s vs %-40s %10.0f/s  ratio %.2f (goal >= %.1f%s)%n", f.stage(),
                    f.pulseRate(), f.baseline(), f.baselineRate(), f.ratio(), f.goal(), f.ratio() >= f.goal() ? ", met" : ", NOT met");
        }
        md.append("\nMachine: ").append(machine).append(". Ratios are Pulse / baseline, both measured in the same run.\n");
        if (!latencies.isEmpty()) {
            JsonNode p = results.get("pipeline");
            md.append(String.format(Locale.ROOT, "%nEnd-to-end latency, whole job with every sink on, at %,.0f events/s (half what it keeps up with beside the producer) for %d s:%n%n",
                    p.get("latency_run").get("events_per_s").asDouble(), p.get("latency_run").get("seconds").asInt()));
            md.append("| from Kafka append to | p50 ms | p99 ms | max ms | records | goal |\n| --- | ---: | ---: | ---: | ---: | --- |\n");
            ArrayNode lat = out.putArray("latency_ms");
            for (Latency l : latencies) {
                lat.addObject().put("to", l.sink()).put("p50", l.p50()).put("p99", l.p99()).put("max", l.max()).put("records", l.records())
                        .put("goal", l.goal());
                md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %s |%n", l.sink(), l.p50(), l.p99(), l.max(), l.records(),
                        l.goal()));
                System.out.printf(Locale.ROOT, "bench: latency to %-55s p50 %6d ms  p99 %6d ms  max %6d ms  (%d records; goal %s)%n",
                        l.sink(), l.p50(), l.p99(), l.max(), l.records(), l.goal());
            }
        }
        if (!stores.isEmpty()) {
            md.append("\nPer store in the whole pipeline: rows its outputs passed to their sinks per second and the store server's CPU per "
                    + "such row, sustained and at half load, and the JVM CPU per row of its sink alone:\n\n| store | rows/s sustained | server CPU µs/row "
                    + "| rows/s half load | server CPU µs/row | sink JVM CPU µs/row (alone) |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            ArrayNode st = out.putArray("stores");
            for (Store s : stores) {
                st.addObject().put("store", s.store()).put("rows_per_s", Math.round(s.rowsPerSecond())).put("server_cpu_us_per_row",
                        s.serverMicros()).put("half_load_rows_per_s", Math.round(s.liveRowsPerSecond()))
                        .put("half_load_server_cpu_us_per_row", s.liveServerMicros()).put("sink_jvm_cpu_us_per_row", s.jvmMicros());
                md.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %,.0f | %s | %s |%n", s.store(), s.rowsPerSecond(),
                        micros(s.serverMicros()), s.liveRowsPerSecond(), micros(s.liveServerMicros()),
                        micros(s.jvmMicros())));
            }
        }
        Files.writeString(Path.of(prefix + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        Files.writeString(Path.of(prefix + ".md"), md.toString());
        JsonNode pipeline = results.get("pipeline");
        String latencyTitle = pipeline == null ? "" : String.format(Locale.ROOT, "Whole pipeline: %,.0f events/s sustained, %,.0f beside the "
                + "producer; latency at %,.0f events/s: p50 | p99 | max (ms); | = 1 s", pipeline.get("sustained").get("events_per_s").asDouble(),
                pipeline.get("live_capacity").get("events_per_s").asDouble(), pipeline.get("latency_run").get("events_per_s").asDouble());
        ImageIO.write(chart(figures, latencies, latencyTitle, stores, machine), "png", Path.of(prefix + ".png").toFile());
        System.out.println("bench: results in " + prefix + ".json, .md, .png");
    }

    /** Horizontal bars: each stage's ratio to its baseline, with its goal marked. */
    static BufferedImage chart(List<Figure> figures, List<Latency> latencies, String latencyTitle, List<Store> stores, String machine) {
        int rowHeight = 34;
        int left = 430;
        int width = 1250;
        int plot = width - left - 60;
        int latencyTop = 90 + figures.size() * rowHeight;
        int storesTop = latencyTop + (latencies.isEmpty() ? 0 : 60 + latencies.size() * rowHeight);
        int height = storesTop + (stores.isEmpty() ? 0 : 60 + stores.size() * rowHeight);
        double max = 1.0;
        for (Figure f : figures) {
            max = Math.max(max, f.ratio());
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Pulse throughput as a ratio of its baseline (same run); | = goal", 20, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(machine, 20, 48);
        for (int i = 0; i < figures.size(); i++) {
            Figure f = figures.get(i);
            int y = 70 + i * rowHeight;
            g.setColor(Color.BLACK);
            g.drawString(f.stage().length() > 60 ? f.stage().substring(0, 57) + "..." : f.stage(), 20, y + 17);
            int bar = (int) ((plot - 230) * f.ratio() / max); // room for the figures after the longest bar
            g.setColor(f.ratio() >= f.goal() ? new Color(60, 150, 80) : new Color(210, 110, 50));
            g.fillRect(left, y + 4, Math.max(bar, 1), rowHeight - 12);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.2f  (%,.0f/s vs %,.0f/s)", f.ratio(), f.pulseRate(), f.baselineRate()),
                    left + Math.max(bar, 1) + 6, y + 17);
            // A goal past the scale (3x Spark) is marked at the right edge with its value.
            int goal = left + (int) ((plot - 230) * Math.min(f.goal(), max) / max);
            g.setStroke(new BasicStroke(2));
            g.drawLine(goal, y + 1, goal, y + rowHeight - 5);
            if (f.goal() > max) {
                g.drawString(String.format(Locale.ROOT, "goal %.0fx", f.goal()), goal + 4, y + 12);
            }
        }
        if (!latencies.isEmpty()) {
            long maxLatency = 1000;
            int latencyPlot = plot * 3 / 4; // room for the figures after the longest bar
            for (Latency l : latencies) {
                maxLatency = Math.max(maxLatency, l.max());
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(latencyTitle, 20, latencyTop + 28);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int i = 0; i < latencies.size(); i++) {
                Latency l = latencies.get(i);
                int y = latencyTop + 40 + i * rowHeight;
                g.setColor(Color.BLACK);
                g.drawString(l.sink().length() > 60 ? l.sink().substring(0, 57) + "..." : l.sink(), 20, y + 17);
                int[] xs = {(int) (latencyPlot * l.max() / (double) maxLatency), (int) (latencyPlot * l.p99() / (double) maxLatency),
                        (int) (latencyPlot * l.p50() / (double) maxLatency)};
                Color[] shades = {new Color(200, 200, 230), new Color(120, 130, 200), new Color(50, 60, 150)};
                for (int k = 0; k < 3; k++) {
                    g.setColor(shades[k]);
                    g.fillRect(left, y + 4, Math.max(xs[k], 1), rowHeight - 12);
                }
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%,d | %,d | %,d", l.p50(), l.p99(), l.max()), left + Math.max(xs[0], 1) + 6, y + 17);
                int second = left + (int) (latencyPlot * 1000 / (double) maxLatency);
                g.setStroke(new BasicStroke(2));
                g.drawLine(second, y + 1, second, y + rowHeight - 5);
            }
        }
        if (!stores.isEmpty()) {
            double maxRate = 1;
            for (Store s : stores) {
                maxRate = Math.max(maxRate, Math.max(s.rowsPerSecond(), s.liveRowsPerSecond()));
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString("Per store, whole pipeline: rows/s to its sinks sustained | at half load; CPU µs/row of its server, of its sink's JVM alone",
                    20, storesTop + 28);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int i = 0; i < stores.size(); i++) {
                Store s = stores.get(i);
                int y = storesTop + 40 + i * rowHeight;
                g.setColor(Color.BLACK);
                g.drawString(s.store(), 20, y + 17);
                int bar = (int) (plot * 0.45 * s.rowsPerSecond() / maxRate);
                int live = (int) (plot * 0.45 * s.liveRowsPerSecond() / maxRate);
                g.setColor(new Color(70, 120, 170));
                g.fillRect(left, y + 4, Math.max(bar, 1), (rowHeight - 12) / 2);
                g.setColor(new Color(150, 180, 215));
                g.fillRect(left, y + 4 + (rowHeight - 12) / 2, Math.max(live, 1), (rowHeight - 12) / 2);
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%,.0f | %,.0f rows/s; server %s | %s µs/row; sink JVM %s µs/row", s.rowsPerSecond(),
                        s.liveRowsPerSecond(), micros(s.serverMicros()), micros(s.liveServerMicros()),
                        micros(s.jvmMicros())), left + Math.max(Math.max(bar, live), 1) + 6, y + 17);
            }
        }
        g.dispose();
        return image;
    }
}
