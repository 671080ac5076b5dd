package io.pulse.process.bench;

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
 * The end of {@code ./pulse bench}: reads the result files of one run (producer, process, sinks),
 * and writes {@code <stamp>.json} (every figure with its baseline and ratio), {@code <stamp>.md} (a
 * table) and {@code <stamp>.png} (each stage's ratio to its baseline against its goal), and a line
 * per figure on the terminal. Arguments: OUT_PREFIX RESULT_FILE...
 */
public final class BenchSummary {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One figure: a stage of Pulse against its baseline measured in the same run. */
    record Figure(String stage, String pulse, double pulseRate, String baseline, double baselineRate, double goal) {
        double ratio() {
            return pulseRate / baselineRate;
        }
    }

    private BenchSummary() {}

    public static void main(String[] args) throws IOException {
        Path prefix = Path.of(args[0]);
        List<Figure> figures = new ArrayList<>();
        String machine = "";
        for (int i = 1; i < args.length; i++) {
            JsonNode r = JSON.readTree(Files.readString(Path.of(args[i])));
            machine = r.path("machine").asText(machine);
            switch (r.get("benchmark").asText()) {
                case "producer" -> figures.add(new Figure("producer", "Pulse producer", r.get("pulse_producer_events_per_s").asDouble(),
                        "Kafka ProducerPerformance", r.get("kafka_producer_performance_records_per_s").asDouble(), 0.9));
                case "process" -> {
                    figures.add(new Figure("process job (discarding sinks)", "process job",
                            r.get("process_job_discarding_sinks").get("events_per_s").asDouble(), "raw consume+decode",
                            r.get("raw_consume_decode").get("events_per_s").asDouble(), 0.5));
                    if (r.has("flink_sql_same_windows")) {
                        figures.add(new Figure("process job vs Flink SQL (same windows)", "process job",
                                r.get("process_job_discarding_sinks").get("events_per_s").asDouble(), "Flink SQL window TVFs",
                                r.get("flink_sql_same_windows").get("events_per_s").asDouble(), 1.0));
                    }
                }
                case "sinks" -> {
                    for (JsonNode s : r.get("sinks")) {
                        figures.add(new Figure("sink: " + s.get("sink").asText(), "Pulse sink", s.get("pulse_rows_per_s").asDouble(),
                                s.get("bulk_path").asText(), s.get("bulk_rows_per_s").asDouble(), 0.5));
                    }
                }
                default -> throw new IllegalArgumentException("unknown result file " + args[i]);
            }
        }
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
        Files.writeString(Path.of(prefix + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        Files.writeString(Path.of(prefix + ".md"), md.toString());
        ImageIO.write(chart(figures, machine), "png", Path.of(prefix + ".png").toFile());
        System.out.println("bench: results in " + prefix + ".json, .md, .png");
    }

    /** Horizontal bars: each stage's ratio to its baseline, with its goal marked. */
    static BufferedImage chart(List<Figure> figures, String machine) {
        int rowHeight = 34;
        int left = 430;
        int width = 1100;
        int plot = width - left - 60;
        int height = 90 + figures.size() * rowHeight;
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
            int bar = (int) (plot * f.ratio() / max);
            g.setColor(f.ratio() >= f.goal() ? new Color(60, 150, 80) : new Color(210, 110, 50));
            g.fillRect(left, y + 4, Math.max(bar, 1), rowHeight - 12);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.2f  (%,.0f/s vs %,.0f/s)", f.ratio(), f.pulseRate(), f.baselineRate()),
                    left + Math.max(bar, 1) + 6, y + 17);
            int goal = left + (int) (plot * f.goal() / max);
            g.setStroke(new BasicStroke(2));
            g.drawLine(goal, y + 1, goal, y + rowHeight - 5);
        }
        g.dispose();
        return image;
    }
}
