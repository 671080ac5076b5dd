package io.pulse.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** The parts of Flink's REST API a user's tooling uses: upload and run a jar, watch, stop with a savepoint, cancel. */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    FlinkRest(String base) {
        this.base = base;
    }

    /** Uploads a jar; returns its id on the cluster. */
    String upload(Path jar) throws IOException, InterruptedException {
        String boundary = "pulse-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode reply = send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        String file = reply.get("filename").asText();
        return file.substring(file.lastIndexOf('/') + 1);
    }

    /** Runs an uploaded jar's main class with these arguments (and a savepoint to start from, or null); returns the job id. */
    String run(String jarId, List<String> args, String savepoint) throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.putArray("programArgsList").addAll(args.stream().map(JSON.getNodeFactory()::textNode).toList());
        if (savepoint != null) {
            request.put("savepointPath", savepoint);
        }
        return send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.toString())))
                .get("jobid").asText();
    }

    /** The same at {@code parallelism}. */
    String run(String jarId, List<String> args, String savepoint, int parallelism) throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.putArray("programArgsList").addAll(args.stream().map(JSON.getNodeFactory()::textNode).toList());
        request.put("parallelism", parallelism);
        if (savepoint != null) {
            request.put("savepointPath", savepoint);
        }
        return send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.toString())))
                .get("jobid").asText();
    }

    /**
     * A metric summed over the subtasks of the job's vertices whose names start with {@code vertexPrefix}:
     * every metric id of theirs that ends with {@code "." + name} (an operator's metric); -1 while none is reported.
     */
    long metricSum(String jobId, String vertexPrefix, String name) {
        try {
            long sum = 0;
            boolean found = false;
            for (JsonNode v : job(jobId).get("vertices")) {
                if (!v.get("name").asText().startsWith(vertexPrefix)) {
                    continue;
                }
                String metrics = base + "/jobs/" + jobId + "/vertices/" + v.get("id").asText() + "/subtasks/metrics";
                for (JsonNode m : send(HttpRequest.newBuilder(URI.create(metrics)).GET())) {
                    String id = m.get("id").asText();
                    if (!id.endsWith("." + name)) {
                        continue;
                    }
                    for (JsonNode value : send(HttpRequest.newBuilder(URI.create(metrics + "?agg=sum&get="
                            + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8))).GET())) {
                        sum += (long) value.get("sum").asDouble();
                        found = true;
                    }
                }
            }
            return found ? sum : -1;
        } catch (IOException | InterruptedException | RuntimeException e) {
            return -1;
        }
    }

    JsonNode job(String jobId) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId)).GET());
    }

    /** The names of the jobs not yet in a terminal state (running, restarting, created, ...). */
    java.util.Set<String> runningJobNames() throws IOException, InterruptedException {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (JsonNode job : send(HttpRequest.newBuilder(URI.create(base + "/jobs/overview")).GET()).path("jobs")) {
            String state = job.path("state").asText();
            if (!List.of("FINISHED", "CANCELED", "FAILED").contains(state)) {
                names.add(job.path("name").asText());
            }
        }
        return names;
    }

    /** True when the job is RUNNING with every task RUNNING. */
    boolean allRunning(String jobId) {
        try {
            JsonNode job = job(jobId);
            if (!job.get("state").asText().equals("RUNNING")) {
                return false;
            }
            for (JsonNode v : job.get("vertices")) {
                if (!v.get("status").asText().equals("RUNNING")) {
                    return false;
                }
            }
            return true;
        } catch (IOException | InterruptedException | RuntimeException e) {
            return false;
        }
    }

    String state(String jobId) throws IOException, InterruptedException {
        return job(jobId).get("state").asText();
    }

    int restarts(String jobId) {
        try {
            JsonNode exceptions = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "/exceptions")).GET());
            return exceptions.path("exceptionHistory").path("entries").size();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /**
     * Stops the job with a savepoint under {@code directory}; returns the savepoint's path. A
     * savepoint that cannot be triggered yet (tasks still starting after a recovery) is tried again.
     */
    String stopWithSavepoint(String jobId, String directory, Duration wait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return tryStopWithSavepoint(jobId, directory, wait);
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline || !state(jobId).equals("RUNNING")) {
                    throw e;
                }
                Thread.sleep(1000); // before triggering again
            }
        }
    }

    private String tryStopWithSavepoint(String jobId, String directory, Duration wait) throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode().put("targetDirectory", directory).put("drain", false);
        String trigger = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "/stop"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.toString())))
                .get("request-id").asText();
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "/savepoints/" + trigger)).GET());
            if (status.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode operation = status.get("operation");
                if (operation.has("failure-cause")) {
                    throw new IllegalStateException("stop with savepoint failed: " + operation.get("failure-cause"));
                }
                return operation.get("location").asText();
            }
            Thread.sleep(250); // between polls of the savepoint's status
        }
        throw new IllegalStateException("the savepoint of " + jobId + " did not complete within " + wait);
    }

    void cancel(String jobId) throws IOException, InterruptedException {
        send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel")).method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    /** The lowest input watermark over the job's vertices whose names start with one of these prefixes (MIN_VALUE if unknown). */
    long minWatermark(String jobId, List<String> vertexPrefixes) {
        try {
            long min = Long.MAX_VALUE;
            for (JsonNode v : job(jobId).get("vertices")) {
                String name = v.get("name").asText();
                if (vertexPrefixes.stream().noneMatch(name::startsWith)) {
                    continue;
                }
                JsonNode marks = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "/vertices/" + v.get("id").asText()
                        + "/watermarks")).GET());
                if (marks.isEmpty()) {
                    return Long.MIN_VALUE;
                }
                for (JsonNode m : marks) {
                    min = Math.min(min, m.get("value").asLong());
                }
            }
            return min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
        } catch (IOException | InterruptedException | RuntimeException e) {
            return Long.MIN_VALUE;
        }
    }

    /** Each matching vertex's subtask watermarks, for a failure message. */
    String watermarks(String jobId, List<String> vertexPrefixes) {
        StringBuilder out = new StringBuilder();
        try {
            for (JsonNode v : job(jobId).get("vertices")) {
                String name = v.get("name").asText();
                if (vertexPrefixes.stream().anyMatch(name::startsWith)) {
                    out.append("\n  ").append(name).append(": ").append(send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId
                            + "/vertices/" + v.get("id").asText() + "/watermarks")).GET()));
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            out.append(" (REST: ").append(e).append(')');
        }
        return out.toString();
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IOException("Flink REST " + response.request().method() + " " + response.request().uri() + ": HTTP "
                    + response.statusCode() + " " + response.body());
        }
        return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }
}
