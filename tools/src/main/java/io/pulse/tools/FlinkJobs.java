package io.pulse.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * The jobs on a Flink cluster, through its REST API, for {@code ./pulse jobs|stop|resume|upgrade}:
 * list them, find one by name, stop one with a savepoint, wait until a submitted one runs (or say
 * why it did not). Progress and errors go to stderr; what the launcher reads goes to stdout.
 * Exit codes: 0 done, 1 failed, 3 no such running job, 4 cluster unreachable.
 */
public final class FlinkJobs {
    static final int NOT_RUNNING = 3;
    static final int UNREACHABLE = 4;
    private static final List<String> ALIVE = List.of("CREATED", "INITIALIZING", "RUNNING", "RESTARTING", "RECONCILING", "FAILING", "CANCELLING");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern PARTITION = Pattern.compile(".*\\.topic\\.(.+)\\.partition\\.(\\d+)\\.currentOffset");
    private final String rest;
    /** Kafka's bootstrap servers (PULSE_KAFKA_BOOTSTRAP), for how far each source is behind; null: not shown. */
    private final String bootstrap = System.getenv("PULSE_KAFKA_BOOTSTRAP");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    FlinkJobs(String rest) {
        this.rest = rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: FlinkJobs REST_URL list | taskmanagers | find NAME | stop NAME SAVEPOINT_DIR TIMEOUT_S"
                    + " | wait-running JOB_ID TIMEOUT_S");
            System.exit(2);
        }
        FlinkJobs jobs = new FlinkJobs(args[0]);
        int code;
        try {
            code = switch (args[1]) {
                case "list" -> jobs.list();
                case "taskmanagers" -> jobs.taskManagers();
                case "find" -> jobs.find(args[2]);
                case "stop" -> jobs.stop(args[2], args[3], Integer.parseInt(args[4]));
                case "wait-running" -> jobs.waitRunning(args[2], Integer.parseInt(args[3]));
                default -> {
                    System.err.println("unknown FlinkJobs command " + args[1]);
                    yield 2;
                }
            };
        } catch (ConnectException e) {
            System.err.println("pulse: the Flink cluster at " + args[0] + " does not answer: start the stack with ./pulse up");
            code = UNREACHABLE;
        }
        System.exit(code);
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(rest + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("GET " + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    private JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(rest + path)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("POST " + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** The newest job of that name that is not finished, or null. */
    JsonNode alive(String name) throws IOException, InterruptedException {
        JsonNode newest = null;
        for (JsonNode job : get("/jobs/overview").path("jobs")) {
            if (job.path("name").asText().equals(name) && ALIVE.contains(job.path("state").asText())
                    && (newest == null || job.path("start-time").asLong() > newest.path("start-time").asLong())) {
                newest = job;
            }
        }
        return newest;
    }

    int find(String name) throws IOException, InterruptedException {
        JsonNode job = alive(name);
        if (job == null) {
            return NOT_RUNNING;
        }
        System.out.println(job.path("jid").asText());
        return 0;
    }

    /** One line per job: name, id, state, parallelism, uptime, last completed checkpoint, records behind per source. */
    int list() throws IOException, InterruptedException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "ID", "STATE", "PARALLELISM", "UPTIME", "LAST CHECKPOINT", "RECORDS BEHIND"});
        for (JsonNode job : get("/jobs/overview").path("jobs")) {
            String jid = job.path("jid").asText();
            String state = job.path("state").asText();
            boolean running = ALIVE.contains(state);
            JsonNode detail = get("/jobs/" + jid);
            int parallelism = 0;
            List<String> behind = new ArrayList<>();
            for (JsonNode vertex : detail.path("vertices")) {
                parallelism = Math.max(parallelism, vertex.path("parallelism").asInt());
                if (running && vertex.path("name").asText().startsWith("Source")) {
                    Long pending = recordsBehind(jid, vertex.path("id").asText());
                    behind.add(sourceName(vertex.path("name").asText()) + "=" + (pending == null ? "?" : pending));
                }
            }
            String uptime = running ? duration(job.path("duration").asLong()) : "-";
            rows.add(new String[] {job.path("name").asText(), jid, state, String.valueOf(parallelism), uptime,
                    running ? lastCheckpoint(jid) : "-", behind.isEmpty() ? "-" : String.join(" ", behind)});
        }
        if (rows.size() == 1) {
            System.out.println("no jobs on " + rest + " (./pulse submit ingest-job|process-job starts one)");
            return 0;
        }
        print(rows);
        return 0;
    }

    int taskManagers() throws IOException, InterruptedException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"TASKMANAGER", "SLOTS", "FREE", "HEAP"});
        for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) {
            rows.add(new String[] {tm.path("id").asText(), tm.path("slotsNumber").asText(), tm.path("freeSlots").asText(),
                    (tm.path("hardware").path("freeMemory").asLong() >> 20) + " MiB"});
        }
        print(rows);
        return 0;
    }

    private static String sourceName(String vertexName) {
        String name = vertexName.replaceFirst("^Source: ", "");
        int chain = name.indexOf(" -> ");
        return (chain < 0 ? name : name.substring(0, chain)).replace(' ', '_');
    }

    /**
     * How far the source is behind its Kafka topic: the sum over its partitions of the latest committed
     * offset (read_committed) minus the offset the source reads next (its {@code currentOffset}
     * metric per partition); null when the source reports no offsets yet or Kafka is not known.
     */
    private Long recordsBehind(String jid, String vertex) throws IOException, InterruptedException {
        Map<TopicPartition, Long> current = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode metric : get("/jobs/" + jid + "/vertices/" + vertex + "/subtasks/metrics")) {
            if (metric.path("id").asText().matches(".*\\.topic\\..+\\.partition\\.\\d+\\.currentOffset")) {
                names.add(metric.path("id").asText());
            }
        }
        if (names.isEmpty() || bootstrap == null) {
            return null;
        }
        for (JsonNode metric : get("/jobs/" + jid + "/vertices/" + vertex + "/subtasks/metrics?agg=max&get=" + String.join(",", names))) {
            Matcher m = PARTITION.matcher(metric.path("id").asText());
            if (m.matches()) {
                current.put(new TopicPartition(m.group(1), Integer.parseInt(m.group(2))), (long) metric.path("max").asDouble());
            }
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            current.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            long behind = 0;
            var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
            for (var e : current.entrySet()) {
                long offset = e.getValue() < 0 ? 0 : e.getValue();
                behind += Math.max(0, ends.get(e.getKey()).offset() - offset);
            }
            return behind;
        } catch (java.util.concurrent.ExecutionException e) {
            return null;
        }
    }

    private String lastCheckpoint(String jid) throws IOException, InterruptedException {
        JsonNode completed = get("/jobs/" + jid + "/checkpoints").path("latest").path("completed");
        if (completed.isMissingNode() || completed.isNull()) {
            return "none yet";
        }
        long ago = System.currentTimeMillis() - completed.path("latest_ack_timestamp").asLong();
        return "#" + completed.path("id").asText() + " " + duration(ago) + " ago";
    }

    static String duration(long millis) {
        long s = Math.max(0, millis / 1000);
        return s < 60 ? s + "s" : s < 3600 ? (s / 60) + "m" + (s % 60) + "s" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    private static void print(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format(Locale.ROOT, "%-" + (width[i] + 2) + "s", row[i]));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    /** Stop-with-savepoint of the running job named {@code name}; prints the savepoint's path on stdout. */
    int stop(String name, String savepointDir, int timeoutSeconds) throws IOException, InterruptedException {
        JsonNode job = alive(name);
        if (job == null) {
            return NOT_RUNNING;
        }
        String jid = job.path("jid").asText();
        if (!"RUNNING".equals(job.path("state").asText())) {
            System.err.println("pulse: " + name + " (" + jid + ") is " + job.path("state").asText()
                    + ", not RUNNING: a savepoint needs every task running; wait, or look at the Flink UI " + rest);
            return 1;
        }
        ObjectNode body = JSON.createObjectNode().put("targetDirectory", savepointDir).put("drain", false);
        String trigger = post("/jobs/" + jid + "/stop", body).path("request-id").asText();
        System.err.println("stopping " + name + " (" + jid + ") with a savepoint into " + savepointDir + " ...");
        Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
        Instant nextNote = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(deadline)) {
            JsonNode status = get("/jobs/" + jid + "/savepoints/" + trigger);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode operation = status.path("operation");
                if (operation.has("failure-cause")) {
                    System.err.println("pulse: the savepoint of " + name + " failed, the job keeps running: "
                            + rootCause(operation.path("failure-cause")));
                    return 1;
                }
                System.out.println(operation.path("location").asText());
                return 0;
            }
            if (Instant.now().isAfter(nextNote)) {
                System.err.println("  still writing the savepoint ...");
                nextNote = Instant.now().plusSeconds(10);
            }
            Thread.sleep(250);
        }
        System.err.println("pulse: no savepoint of " + name + " after " + timeoutSeconds + " s; the job may still be stopping: ./pulse jobs");
        return 1;
    }

    private static String rootCause(JsonNode cause) {
        String text = cause.path("stack-trace").asText(cause.toString());
        String last = text;
        for (String line : text.split("\n")) {
            if (line.startsWith("Caused by: ")) {
                last = line.substring("Caused by: ".length());
            }
        }
        return last.lines().findFirst().orElse(last);
    }

    /** Waits until every task of the job runs; on failure says why, with the fix where one is known. */
    int waitRunning(String jid, int timeoutSeconds) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
        while (Instant.now().isBefore(deadline)) {
            JsonNode job = get("/jobs/" + jid);
            String state = job.path("state").asText();
            if ("RUNNING".equals(state)) {
                boolean all = true;
                for (JsonNode vertex : job.path("vertices")) {
                    all &= "RUNNING".equals(vertex.path("status").asText()) || "FINISHED".equals(vertex.path("status").asText());
                }
                if (all) {
                    return 0;
                }
            } else if (List.of("FAILED", "CANCELED", "FINISHED").contains(state) || "RESTARTING".equals(state)) {
                String exception = get("/jobs/" + jid + "/exceptions").path("root-exception").asText("");
                if ("RESTARTING".equals(state) && exception.isEmpty()) {
                    Thread.sleep(250);
                    continue;
                }
                System.err.println("pulse: job " + jid + " is " + state + ": " + explain(exception));
                return 1;
            }
            Thread.sleep(250);
        }
        System.err.println("pulse: job " + jid + " is not running after " + timeoutSeconds + " s: see the Flink UI " + rest);
        return 1;
    }

    /** The failure's message, and for the failures of a restore the fix. */
    static String explain(String exception) {
        String message = exception.lines().filter(l -> l.contains("Cannot map checkpoint/savepoint state")).findFirst()
                .orElse(exception.lines().findFirst().orElse("(no exception reported)"));
        if (message.contains("Cannot map checkpoint/savepoint state")) {
            String operator = message.replaceAll(".*for operator ([0-9a-f]+).*", "$1");
            return "the savepoint holds state of operator " + operator + ", which this version of the job does not have (its uid"
                    + " changed or it was removed). Restore with the version that wrote it, or drop that state on purpose with"
                    + " --allow-non-restored";
        }
        return message;
    }
}
