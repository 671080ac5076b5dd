package io.pulse.e2e.deploy;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.infra.LocalStack;
import io.pulse.model.codec.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The monitoring files ({@code infra/compose/}: Prometheus's scrape configs, Grafana's provisioning and
 * dashboard) checked without running Prometheus or Grafana: the dashboard parses, every query in it names only
 * metrics that Flink 1.20's Prometheus reporter writes (for Flink itself or for the jobs' own counters) and only
 * their labels, so a misspelt metric fails here instead of drawing an empty panel; the dashboard reads the
 * provisioned data source; Prometheus scrapes compose services on the port their reporter listens on; the
 * local-stack variant scrapes the stack's reporter ports.
 */
class MonitoringFilesTest {
    private static final Path ROOT = LocalStack.repoRoot().toAbsolutePath().normalize();
    private static final Path INFRA = ROOT.resolve("infra");
    private static final Path DIR = INFRA.resolve("compose");
    private static final Path DASHBOARD = DIR.resolve("grafana/dashboards/pulse.json");
    private static final String OPERATOR = "flink_taskmanager_job_task_operator_";
    private static final String REPORTER = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

    /**
     * Flink's own metrics the dashboard may name, as its Prometheus reporter names them: {@code flink_}, the
     * logical scope, the metric. Read from Flink 1.20.3's reporter on a MiniCluster; the Kafka source's from
     * flink-connector-kafka 3.4's KafkaSourceReaderMetrics (its key/value groups topic and partition put their
     * key in the name and their value in a label).
     */
    static final Set<String> FLINK_METRICS = Set.of(
            "flink_jobmanager_job_uptime",
            "flink_jobmanager_job_numRestarts",
            "flink_jobmanager_job_lastCheckpointDuration",
            "flink_jobmanager_job_lastCheckpointSize",
            "flink_jobmanager_job_lastCheckpointFullSize",
            "flink_jobmanager_job_numberOfCompletedCheckpoints",
            "flink_jobmanager_job_numberOfFailedCheckpoints",
            "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
            "flink_taskmanager_job_task_busyTimeMsPerSecond",
            "flink_taskmanager_job_task_idleTimeMsPerSecond",
            OPERATOR + "numRecordsIn",
            OPERATOR + "numRecordsOut",
            OPERATOR + "numRecordsSend",
            OPERATOR + "pendingRecords",
            OPERATOR + "KafkaSourceReader_topic_partition_currentOffset",
            OPERATOR + "KafkaSourceReader_topic_partition_committedOffset");

    /**
     * The jobs' own metrics, Prometheus name to how process-job registers it (a regex over its sources): a key/value
     * group ({@code addGroup("output", name)}) puts its key in the name and its value in a label. A counter renamed
     * in the job fails {@link #theJobsRegisterTheMetricsThisListNames} until this list and the dashboard follow.
     */
    static final Map<String, String> JOB_METRICS = Map.ofEntries(
            entry(OPERATOR + "output_rowsOut", "addGroup\\(\"output\", \\w+\\)\\.counter\\(\"rowsOut\"\\)"),
            entry(OPERATOR + "operator_lateEvents", "addGroup\\(\"operator\", \\w+\\)\\.counter\\(\"lateEvents\"\\)"),
            entry(OPERATOR + "deadLetters", "counter\\(\"deadLetters\"\\)"),
            entry(OPERATOR + "engagementDeadLetters", "counter\\(\"engagementDeadLetters\"\\)"),
            entry(OPERATOR + "sink_sinkRejected", "addGroup\\(\"sink\", \\w+\\)\\.counter\\(\"sinkRejected\"\\)"),
            // The Kafka source opens its deserializer with the group "deserializer".
            entry(OPERATOR + "deserializer_engagementDeletes", "counter\\(\"engagementDeletes\"\\)"),
            entry(OPERATOR + "contentMisses", "counter\\(\"contentMisses\"\\)"),
            entry(OPERATOR + "windowsPerKeyOverflow", "counter\\(\"windowsPerKeyOverflow\"\\)"),
            entry(OPERATOR + "sessionBufferOverflow", "counter\\(\"sessionBufferOverflow\"\\)"));

    /** Counters named per reject reason: the name's prefix to its registration; one metric per {@link RejectReason}. */
    static final Map<String, String> JOB_METRICS_PER_REASON = Map.of(
            OPERATOR + "deadLetters_", "counter\\(\"deadLetters_\" \\+",
            OPERATOR + "engagementDeadLetters_", "counter\\(\"engagementDeadLetters_\" \\+");

    /** Labels a query may use: Flink's scope variables, the key/value groups above, label_replace's, Prometheus's. */
    static final Set<String> LABELS = Set.of(
            "job_name", "job_id", "task_name", "task_id", "task_attempt_num", "task_attempt_id", "subtask_index",
            "operator_name", "operator_id", "tm_id", "host",
            "topic", "partition", "output", "operator", "sink",
            "reason",
            "__name__", "instance", "job");

    static final Set<String> FUNCTIONS = Set.of(
            "sum", "max", "min", "avg", "count", "topk", "bottomk", "rate", "irate", "increase", "delta", "deriv",
            "label_replace", "clamp_min", "clamp_max", "abs", "round", "sort", "sort_desc", "max_over_time",
            "min_over_time", "avg_over_time", "sum_over_time", "last_over_time", "absent", "vector", "scalar");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");
    private static final Pattern SELECTOR = Pattern.compile("\\{((?:[^}\"]|\"(?:[^\"\\\\]|\\\\.)*\")*)}");
    private static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*(\\s*\\()?");
    private static final Pattern LEGEND_LABEL = Pattern.compile("\\{\\{\\s*(\\w+)\\s*}}");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((?:(.+),)?\\s*(\\w+)\\s*\\)");

    /** What one PromQL expression names. */
    record Query(List<String> metrics, List<Pattern> nameRegexes, Set<String> labels, Set<String> functions) {
    }

    /** The metrics, {@code __name__} matchers, labels and functions of a PromQL expression with Grafana variables in it. */
    static Query parse(String expr) {
        List<Pattern> nameRegexes = new ArrayList<>();
        Set<String> labels = new TreeSet<>();
        StringBuilder rest = new StringBuilder();
        Matcher selector = SELECTOR.matcher(expr);
        while (selector.find()) {
            Matcher m = MATCHER.matcher(selector.group(1));
            while (m.find()) {
                labels.add(m.group(1));
                if (m.group(1).equals("__name__")) {
                    nameRegexes.add(Pattern.compile(m.group(2).contains("~") ? m.group(3) : Pattern.quote(m.group(3))));
                }
            }
            selector.appendReplacement(rest, " ");
        }
        selector.appendTail(rest);
        String e = STRING.matcher(rest).replaceAll("\"\"").replaceAll("\\[[^]]*]", " ");
        StringBuilder ungrouped = new StringBuilder();
        Matcher grouping = GROUPING.matcher(e);
        while (grouping.find()) {
            Stream.of(grouping.group(2).split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(labels::add);
            grouping.appendReplacement(ungrouped, " ");
        }
        grouping.appendTail(ungrouped);
        List<String> metrics = new ArrayList<>();
        Set<String> functions = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(ungrouped);
        while (identifier.find()) {
            String name = identifier.group().replaceAll("[\\s(]", "");
            if (identifier.group(1) != null) {
                functions.add(name);
            } else if (!KEYWORDS.contains(name)) {
                metrics.add(name);
            }
        }
        return new Query(metrics, nameRegexes, labels, functions);
    }

    static Set<String> knownMetrics() {
        Set<String> known = new TreeSet<>(FLINK_METRICS);
        known.addAll(JOB_METRICS.keySet());
        JOB_METRICS_PER_REASON.keySet().forEach(prefix -> Stream.of(RejectReason.values()).forEach(r -> known.add(prefix + r.name())));
        return known;
    }

    /** Why {@code expr} would draw nothing, or none. */
    static List<String> problemsOf(String where, String expr) {
        Set<String> known = knownMetrics();
        Query q = parse(expr);
        List<String> problems = new ArrayList<>();
        if (q.metrics().isEmpty() && q.nameRegexes().isEmpty()) {
            problems.add(where + ": names no metric: " + expr);
        }
        q.metrics().stream().filter(m -> !known.contains(m))
                .forEach(m -> problems.add(where + ": no such metric " + m + " (known: FLINK_METRICS, JOB_METRICS of this test)"));
        q.nameRegexes().stream().filter(r -> known.stream().noneMatch(n -> r.matcher(n).matches()))
                .forEach(r -> problems.add(where + ": __name__ matcher " + r + " matches no known metric"));
        q.labels().stream().filter(l -> !LABELS.contains(l)).forEach(l -> problems.add(where + ": no such label " + l));
        q.functions().stream().filter(f -> !FUNCTIONS.contains(f)).forEach(f -> problems.add(where + ": unknown function " + f));
        return problems;
    }

    private static JsonNode dashboard() throws IOException {
        return new ObjectMapper().readTree(DASHBOARD.toFile());
    }

    private static JsonNode compose() throws IOException {
        return KubernetesManifestsTest.YAML.readTree(INFRA.resolve("docker-compose.yml").toFile());
    }

    /** Every panel, those inside collapsed rows too. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            all.add(p);
            p.path("panels").forEach(all::add);
        }
        return all;
    }

    private static JsonNode service(JsonNode compose, String imagePrefix) {
        List<JsonNode> found = new ArrayList<>();
        compose.path("services").forEach(s -> {
            if (s.path("image").asText().startsWith(imagePrefix)) {
                found.add(s);
            }
        });
        assertThat(found).as("services of image " + imagePrefix).hasSize(1);
        return found.get(0);
    }

    /** The host file or directory a service sees at {@code containerPath}, through its bind mounts. */
    private static Optional<Path> hostPath(JsonNode service, String containerPath) {
        for (JsonNode v : service.path("volumes")) {
            String[] parts = v.asText().split(":");
            if (parts.length < 2 || !parts[0].startsWith(".")) {
                continue;
            }
            String target = parts[1];
            if (containerPath.equals(target) || containerPath.startsWith(target + "/")) {
                return Optional.of(INFRA.resolve(parts[0]).resolve(containerPath.substring(target.length()).replaceFirst("^/", "")).normalize());
            }
        }
        return Optional.empty();
    }

    private static Map<String, String> flinkProperties(JsonNode service) {
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : service.path("environment").path("FLINK_PROPERTIES").asText().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                props.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return props;
    }

    private static JsonNode yaml(Path file) {
        try {
            return KubernetesManifestsTest.YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theDashboardParsesAndItsQueriesNameOnlyKnownMetricsAndLabels() throws IOException {
        JsonNode dashboard = dashboard();
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        List<String> problems = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        Set<String> used = new TreeSet<>();
        int queries = 0;
        for (JsonNode panel : panels(dashboard)) {
            String title = "panel '" + panel.path("title").asText() + "'";
            if (!ids.add(panel.path("id").asInt())) {
                problems.add(title + ": id " + panel.path("id") + " is taken by another panel");
            }
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            if (panel.path("targets").isEmpty()) {
                problems.add(title + ": no query");
            }
            for (JsonNode target : panel.path("targets")) {
                queries++;
                String expr = target.path("expr").asText();
                problems.addAll(problemsOf(title + " query " + target.path("refId").asText(), expr));
                used.addAll(parse(expr).metrics());
                Matcher legend = LEGEND_LABEL.matcher(target.path("legendFormat").asText());
                while (legend.find()) {
                    if (!LABELS.contains(legend.group(1))) {
                        problems.add(title + ": legend names no label: " + legend.group());
                    }
                }
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            JsonNode query = variable.path("query");
            String text = query.isObject() ? query.path("query").asText() : query.asText();
            Matcher values = LABEL_VALUES.matcher(text);
            if (values.matches()) {
                if (values.group(1) != null) {
                    problems.addAll(problemsOf("variable " + variable.path("name").asText(), values.group(1)));
                }
                if (!LABELS.contains(values.group(2))) {
                    problems.add("variable " + variable.path("name").asText() + ": no such label " + values.group(2));
                }
            } else if (variable.path("type").asText().equals("query")) {
                problems.addAll(problemsOf("variable " + variable.path("name").asText(), text));
            }
        }
        assertThat(problems).isEmpty();
        assertThat(queries).isGreaterThanOrEqualTo(10);
        // What the dashboard is for: outputs, sources, late and dead letters, checkpoints, backpressure.
        assertThat(used).contains(OPERATOR + "output_rowsOut", OPERATOR + "numRecordsIn", OPERATOR + "pendingRecords",
                OPERATOR + "KafkaSourceReader_topic_partition_currentOffset", OPERATOR + "operator_lateEvents",
                OPERATOR + "deadLetters", OPERATOR + "sink_sinkRejected", "flink_jobmanager_job_lastCheckpointDuration",
                "flink_jobmanager_job_lastCheckpointSize", "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
                "flink_taskmanager_job_task_busyTimeMsPerSecond");
    }

    @Test
    void theQueryCheckCatchesAMisspeltMetricOrLabel() {
        assertThat(problemsOf("q", "sum by (output) (rate(" + OPERATOR + "output_rowsOut{job_name=~\"$flink_job\"}[$__rate_interval]))")).isEmpty();
        assertThat(problemsOf("q", "rate(" + OPERATOR + "numRecordIn[1m])")).hasSize(1).allSatisfy(p -> assertThat(p).contains("no such metric"));
        assertThat(problemsOf("q", "sum by (outptu) (" + OPERATOR + "output_rowsOut)")).hasSize(1).allSatisfy(p -> assertThat(p).contains("no such label"));
        assertThat(problemsOf("q", "{__name__=~\"" + OPERATOR + "deadLeters_.+\"}")).hasSize(1).allSatisfy(p -> assertThat(p).contains("matches no known metric"));
        assertThat(problemsOf("q", "rtae(" + OPERATOR + "deadLetters[1m])")).hasSize(1).allSatisfy(p -> assertThat(p).contains("unknown function"));
    }

    @Test
    void theJobsRegisterTheMetricsThisListNames() throws IOException {
        String sources;
        try (Stream<Path> files = Files.walk(ROOT.resolve("process-job/src/main/java"))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).map(f -> {
                try {
                    return Files.readString(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).collect(Collectors.joining("\n"));
        }
        Map<String, String> all = new LinkedHashMap<>(JOB_METRICS);
        all.putAll(JOB_METRICS_PER_REASON);
        List<String> missing = new ArrayList<>();
        all.forEach((metric, registration) -> {
            if (!Pattern.compile(registration).matcher(sources).find()) {
                missing.add(metric + ": process-job registers no " + registration);
            }
        });
        assertThat(missing).isEmpty();
    }

    @Test
    void theDashboardReadsTheProvisionedDataSource() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(DIR.resolve("grafana/provisioning/datasources"))) {
            files = list.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).toList();
        }
        List<JsonNode> sources = new ArrayList<>();
        files.forEach(f -> yaml(f).path("datasources").forEach(sources::add));
        assertThat(sources).as("provisioned data sources").hasSize(1);
        JsonNode source = sources.get(0);
        String uid = source.path("uid").asText();
        assertThat(uid).isNotBlank();
        assertThat(source.path("type").asText()).isEqualTo("prometheus");
        // It reaches the compose Prometheus by its service name and container port.
        JsonNode compose = compose();
        String prometheusName = null;
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) compose.path("services")::fields) {
            if (e.getValue().path("image").asText().startsWith("prom/prometheus:")) {
                prometheusName = e.getKey();
            }
        }
        assertThat(source.path("url").asText()).isEqualTo("http://" + prometheusName + ":9090");

        List<String> problems = new ArrayList<>();
        int references = 0;
        List<JsonNode> nodes = new ArrayList<>(List.of(dashboard()));
        while (!nodes.isEmpty()) {
            JsonNode node = nodes.remove(nodes.size() - 1);
            if (node.isObject()) {
                JsonNode ds = node.path("datasource");
                if (ds.isTextual()) {
                    problems.add("a data source by name (" + ds.asText() + "), not by uid");
                } else if (ds.isObject() && !ds.path("type").asText().equals("grafana")) {
                    references++;
                    if (!ds.path("uid").asText().equals(uid)) {
                        problems.add("data source uid '" + ds.path("uid").asText() + "' is not the provisioned '" + uid + "'");
                    }
                }
            }
            node.forEach(nodes::add);
        }
        for (JsonNode panel : panels(dashboard())) {
            if (!panel.path("type").asText().equals("row") && !panel.path("datasource").isObject()) {
                problems.add("panel '" + panel.path("title").asText() + "' names no data source");
            }
        }
        assertThat(problems).isEmpty();
        assertThat(references).isGreaterThan(10);
    }

    @Test
    void grafanaAndPrometheusGetTheseFilesAndGrafanaAdmitsNoAnonymousViewer() throws IOException {
        JsonNode compose = compose();
        JsonNode grafana = service(compose, "grafana/grafana:");
        JsonNode prometheus = service(compose, "prom/prometheus:");

        assertThat(hostPath(grafana, "/etc/grafana/provisioning/datasources"))
                .contains(DIR.resolve("grafana/provisioning/datasources"));
        assertThat(hostPath(grafana, "/etc/grafana/provisioning/dashboards"))
                .contains(DIR.resolve("grafana/provisioning/dashboards"));
        JsonNode provider = yaml(DIR.resolve("grafana/provisioning/dashboards/pulse.yaml")).path("providers").get(0);
        assertThat(hostPath(grafana, provider.path("options").path("path").asText()))
                .as("the dashboards provider's path, mounted").contains(DASHBOARD.getParent());
        JsonNode env = grafana.path("environment");
        String home = env.path("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH").asText();
        if (!home.isEmpty()) {
            assertThat(hostPath(grafana, home)).contains(DASHBOARD);
        }
        assertThat(env.path("GF_AUTH_ANONYMOUS_ENABLED").asText()).isEqualTo("false");
        assertThat(env.path("GF_SECURITY_ADMIN_PASSWORD").asText()).matches("\\$\\{PULSE_[A-Z_]*PASSWORD:\\?.+}");

        String config = null;
        for (JsonNode arg : prometheus.path("command")) {
            if (arg.asText().startsWith("--config.file=")) {
                config = arg.asText().substring("--config.file=".length());
            }
        }
        assertThat(config).as("prometheus --config.file").isNotNull();
        assertThat(hostPath(prometheus, config)).contains(DIR.resolve("prometheus.yml"));
    }

    @Test
    void prometheusScrapesComposeServicesWhereTheirReporterListens() throws IOException {
        JsonNode services = compose().path("services");
        JsonNode prometheus = yaml(DIR.resolve("prometheus.yml"));
        List<String> problems = new ArrayList<>();
        Set<String> scraped = new TreeSet<>();
        for (JsonNode job : prometheus.path("scrape_configs")) {
            Map<String, String> targets = new LinkedHashMap<>(); // host -> port
            job.path("static_configs").forEach(c -> c.path("targets").forEach(t -> {
                String[] hostPort = t.asText().split(":");
                targets.put(hostPort[0], hostPort.length > 1 ? hostPort[1] : "?");
            }));
            job.path("dns_sd_configs").forEach(c -> c.path("names").forEach(n -> targets.put(n.asText(), c.path("port").asText())));
            if (targets.isEmpty()) {
                problems.add(job.path("job_name").asText() + ": no target this test understands");
            }
            targets.forEach((host, port) -> {
                String where = job.path("job_name").asText() + ": " + host + ":" + port;
                JsonNode service = services.path(host);
                if (service.isMissingNode()) {
                    problems.add(where + " names no compose service");
                    return;
                }
                scraped.add(host);
                Map<String, String> props = flinkProperties(service);
                if (!REPORTER.equals(props.get("metrics.reporter.prom.factory.class"))) {
                    problems.add(where + ": the service runs no Prometheus reporter");
                } else if (!port.equals(props.getOrDefault("metrics.reporter.prom.port", "9249"))) {
                    problems.add(where + ": its reporter listens on " + props.getOrDefault("metrics.reporter.prom.port", "9249"));
                }
                service.path("ports").forEach(p -> {
                    if (p.asText().endsWith(":" + port)) {
                        problems.add(where + ": the reporter port is published on the host (" + p.asText() + ")");
                    }
                });
            });
        }
        services.fields().forEachRemaining(e -> {
            if (REPORTER.equals(flinkProperties(e.getValue()).get("metrics.reporter.prom.factory.class")) && !scraped.contains(e.getKey())) {
                problems.add(e.getKey() + " runs a Prometheus reporter that nothing scrapes");
            }
        });
        assertThat(problems).isEmpty();
        assertThat(scraped).contains("flink-jobmanager", "flink-taskmanager");
    }

    @Test
    void theLocalStacksPrometheusScrapesTheStacksReporterPorts() {
        JsonNode local = yaml(DIR.resolve("prometheus-local.yml"));
        Set<String> targets = new TreeSet<>();
        local.path("scrape_configs").forEach(job -> job.path("static_configs").forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText()))));
        assertThat(targets).containsExactlyInAnyOrder(
                "127.0.0.1:" + LocalStack.PORTS.get("FLINK_PROM_PORT_JM"),
                "127.0.0.1:" + LocalStack.PORTS.get("FLINK_PROM_PORT_TM"));
    }
}
