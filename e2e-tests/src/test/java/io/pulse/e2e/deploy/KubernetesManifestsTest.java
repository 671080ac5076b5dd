package io.pulse.e2e.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.MappingIterator;
import io.pulse.infra.LocalStack;
import io.pulse.ingest.IngestSettings;
import io.pulse.model.settings.SettingsLoader;
import io.pulse.process.ProcessSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every manifest of {@code deploy/kubernetes} against what will read it: custom resources against
 * the released CRD schemas of the operators they target (strictly: a misspelt field fails), the
 * jobs' settings against the settings the jobs know, and the job image against the deployments.
 */
class KubernetesManifestsTest {
    static final Path DIR = LocalStack.repoRoot().resolve("deploy/kubernetes");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String FLINK_OPERATOR_CRD = "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";

    record Doc(Path file, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return file.getFileName() + " " + kind() + "/" + node.path("metadata").path("name").asText();
        }
    }

    static List<Doc> documents(Path dir) throws IOException {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                    while (it.hasNext()) {
                        JsonNode node = it.next();
                        if (node != null && !node.isNull() && !node.isMissingNode() && node.size() > 0) {
                            docs.add(new Doc(file, node));
                        }
                    }
                }
            }
        }
        return docs;
    }

    /** "group/version/Kind" to the openAPIV3Schema of every served version of each CRD. */
    static Map<String, JsonNode> schemas() throws IOException {
        List<JsonNode> crds = new ArrayList<>();
        for (String release : List.of("crds/strimzi-1.2.0", "crds/prometheus-operator-0.93.0")) {
            try (Stream<Path> files = Files.list(DIR.resolve(release))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                    crds.add(YAML.readTree(file.toFile()));
                }
            }
        }
        try (InputStream in = KubernetesManifestsTest.class.getClassLoader().getResourceAsStream(FLINK_OPERATOR_CRD)) {
            assertThat(in).as(FLINK_OPERATOR_CRD + " from flink-kubernetes-operator-api").isNotNull();
            crds.add(YAML.readTree(in));
        }
        Map<String, JsonNode> schemas = new TreeMap<>();
        for (JsonNode crd : crds) {
            String group = crd.path("spec").path("group").asText();
            String kind = crd.path("spec").path("names").path("kind").asText();
            for (JsonNode version : crd.path("spec").path("versions")) {
                if (version.path("served").asBoolean()) {
                    schemas.put(group + "/" + version.path("name").asText() + "/" + kind, version.path("schema").path("openAPIV3Schema"));
                }
            }
        }
        return schemas;
    }

    @Test
    void everyCustomResourceFitsTheReleasedSchemaOfItsKind() throws IOException {
        Map<String, JsonNode> schemas = schemas();
        assertThat(schemas).containsKeys("kafka.strimzi.io/v1/Kafka", "kafka.strimzi.io/v1/KafkaTopic",
                "kafka.strimzi.io/v1/KafkaNodePool", "flink.apache.org/v1beta1/FlinkDeployment", "monitoring.coreos.com/v1/PodMonitor");
        List<String> problems = new ArrayList<>();
        int custom = 0;
        List<Doc> docs = new ArrayList<>(documents(DIR));
        docs.addAll(documents(DIR.resolve("monitoring")));
        for (Doc doc : docs) {
            String apiVersion = doc.node().path("apiVersion").asText();
            if (!apiVersion.contains(".") || apiVersion.startsWith("kustomize.config.k8s.io/")) {
                continue; // core kinds: below
            }
            custom++;
            JsonNode schema = schemas.get(apiVersion + "/" + doc.kind());
            if (schema == null) {
                problems.add(doc.name() + ": no released schema for " + apiVersion + " " + doc.kind() + " (known: " + schemas.keySet() + ")");
                continue;
            }
            checkMetadata(doc, problems);
            StructuralSchema.violations(doc.node(), schema).forEach(v -> problems.add(doc.name() + ": " + v));
        }
        assertThat(custom).as("custom resources checked").isGreaterThanOrEqualTo(10);
        assertThat(problems).as("manifest problems").isEmpty();
    }

    private static void checkMetadata(Doc doc, List<String> problems) {
        JsonNode metadata = doc.node().path("metadata");
        Set<String> allowed = Set.of("name", "namespace", "labels", "annotations");
        metadata.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) {
                problems.add(doc.name() + ": metadata." + f + ": not a field these manifests use (" + allowed + ")");
            }
        });
        if (!metadata.path("name").asText("").matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
            problems.add(doc.name() + ": metadata.name must be a DNS-1123 name");
        }
    }

    @Test
    void theReadmeInstallsTheOperatorsTheManifestsAreCheckedAgainstAndKafkaIsOneStrimziSupports() throws IOException {
        String readme = Files.readString(LocalStack.repoRoot().resolve("README.md"));
        Matcher strimzi = Pattern.compile("strimzi-kafka-operator/releases/download/(\\S+)/strimzi-cluster-operator-(\\S+)\\.yaml").matcher(readme);
        assertThat(strimzi.find()).as("the README installs a pinned Strimzi release").isTrue();
        assertThat(strimzi.group(1)).isEqualTo(strimzi.group(2));
        assertThat(DIR.resolve("crds/strimzi-" + strimzi.group(1))).as("the CRDs the manifests are checked against").isDirectory();
        Matcher operator = Pattern.compile("archive.apache.org/dist/flink/flink-kubernetes-operator-(\\S+)/").matcher(readme);
        assertThat(operator.find()).as("the README installs a pinned Flink Kubernetes Operator").isTrue();
        String crdJar = String.valueOf(KubernetesManifestsTest.class.getClassLoader().getResource(FLINK_OPERATOR_CRD));
        Matcher jar = Pattern.compile("flink-kubernetes-operator-api-([0-9.]+)\\.jar").matcher(crdJar);
        assertThat(jar.find()).as("the operator's CRD comes from its released jar: " + crdJar).isTrue();
        assertThat(jar.group(1)).as("the operator the README installs is the one whose CRD checks the manifests").isEqualTo(operator.group(1));

        JsonNode versions = YAML.readTree(DIR.resolve("crds/strimzi-" + strimzi.group(1) + "/kafka-versions.yml").toFile());
        Set<String> supported = new TreeSet<>();
        versions.forEach(v -> {
            if (v.path("supported").asBoolean()) {
                supported.add(v.path("version").asText());
            }
        });
        Doc kafka = allDocuments().stream().filter(d -> d.kind().equals("Kafka")).findFirst().orElseThrow();
        assertThat(supported).as("Kafka versions Strimzi " + strimzi.group(1) + " supports").contains(
                kafka.node().path("spec").path("kafka").path("version").asText());
    }

    @Test
    void coreResourcesUseOnlyTheirFields() throws IOException {
        Map<String, Set<String>> fields = Map.of(
                "Namespace", Set.of("apiVersion", "kind", "metadata"),
                "ConfigMap", Set.of("apiVersion", "kind", "metadata", "data"),
                "Secret", Set.of("apiVersion", "kind", "metadata", "type", "stringData"),
                "Kustomization", Set.of("apiVersion", "kind", "resources"),
                "Deployment", Set.of("apiVersion", "kind", "metadata", "spec"),
                "Service", Set.of("apiVersion", "kind", "metadata", "spec"));
        List<String> problems = new ArrayList<>();
        for (Doc doc : allDocuments()) {
            Set<String> allowed = fields.get(doc.kind());
            if (!doc.node().path("apiVersion").asText().contains(".") || doc.kind().equals("Kustomization")) {
                if (allowed == null) {
                    problems.add(doc.name() + ": a kind this test does not know; add its fields here");
                    continue;
                }
                doc.node().fieldNames().forEachRemaining(f -> {
                    if (!allowed.contains(f)) {
                        problems.add(doc.name() + ": unknown field " + f);
                    }
                });
                if (!doc.kind().equals("Kustomization")) {
                    checkMetadata(doc, problems);
                }
                for (String map : List.of("data", "stringData")) {
                    doc.node().path(map).fields().forEachRemaining(e -> {
                        if (!e.getValue().isTextual()) {
                            problems.add(doc.name() + ": " + map + "." + e.getKey() + " must be a string");
                        }
                    });
                }
            }
        }
        assertThat(problems).as("manifest problems").isEmpty();
    }

    private static List<Doc> allDocuments() throws IOException {
        return documents(DIR);
    }

    @Test
    void everySettingsKeyAndSecretIsOneTheJobsKnow() throws IOException {
        Doc settings = allDocuments().stream().filter(d -> d.kind().equals("ConfigMap")).findFirst().orElseThrow();
        Map<String, Set<String>> known = Map.of("process.properties", ProcessSettings.keys(), "ingest.properties", IngestSettings.keys());
        assertThat(iterable(settings.node().path("data").fieldNames())).containsExactlyInAnyOrderElementsOf(known.keySet());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Set<String>> job : known.entrySet()) {
            Properties props = new Properties();
            props.load(new StringReader(settings.node().path("data").path(job.getKey()).asText()));
            for (String key : props.stringPropertyNames()) {
                if (!job.getValue().contains(key) && !(key.startsWith("kafka.properties.") && job.getValue().contains("kafka.properties.*"))) {
                    problems.add(job.getKey() + ": unknown setting '" + key + "'");
                }
                if (key.contains("password") || key.contains("secret")) {
                    problems.add(job.getKey() + ": '" + key + "' belongs in a Secret, not in the ConfigMap");
                }
            }
        }
        Set<String> envNames = new TreeSet<>();
        ProcessSettings.keys().forEach(k -> envNames.add(SettingsLoader.envName(k)));
        IngestSettings.keys().forEach(k -> envNames.add(SettingsLoader.envName(k)));
        Set<String> awsNames = Set.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
        for (Doc secret : documents(DIR).stream().filter(d -> d.kind().equals("Secret")).toList()) {
            for (String name : iterable(secret.node().path("stringData").fieldNames())) {
                if (!envNames.contains(name) && !awsNames.contains(name)) {
                    problems.add(secret.name() + ": " + name + " is no job's PULSE_<KEY> (nor an S3 credential)");
                }
            }
        }
        assertThat(problems).as("settings problems").isEmpty();
    }

    @Test
    void theDeploymentsRunWhatTheImageHolds() throws Exception {
        String dockerfile = Files.readString(DIR.resolve("Dockerfile"));
        Matcher from = Pattern.compile("(?m)^FROM (\\S+):(\\S+)$").matcher(dockerfile);
        assertThat(from.find()).as("a FROM with a tag").isTrue();
        assertThat(from.group(2)).as("the base image is pinned").matches("\\d+\\.\\d+\\.\\d+-java17");
        // One image per job: the build argument JOB names the module, whose jar alone goes into usrlib.
        Matcher copy = Pattern.compile("(?m)^COPY .* /opt/flink/usrlib/(\\S+)$").matcher(dockerfile);
        assertThat(copy.find()).as("a COPY into usrlib").isTrue();
        assertThat(copy.group(1)).isEqualTo("${JOB}.jar");
        assertThat(copy.find()).as("one jar in usrlib").isFalse();
        assertThat(dockerfile).contains("mvn -B -q -pl \"$JOB\" -am package");
        Doc settings = allDocuments().stream().filter(d -> d.kind().equals("ConfigMap")).findFirst().orElseThrow();
        List<Doc> deployments = allDocuments().stream().filter(d -> d.kind().equals("FlinkDeployment")).toList();
        assertThat(deployments).hasSize(2);
        for (Doc d : deployments) {
            JsonNode job = d.node().path("spec").path("job");
            String jar = job.path("jarURI").asText().replace("local:///opt/flink/usrlib/", "");
            Matcher image = Pattern.compile(".*/pulse-(\\S+-job):\\S+").matcher(d.node().path("spec").path("image").asText());
            assertThat(image.matches()).as(d.name() + " image " + d.node().path("spec").path("image").asText()).isTrue();
            assertThat(jar).as(d.name() + " runs the jar its image holds").isEqualTo(image.group(1) + ".jar");
            String entry = job.path("entryClass").asText();
            assertThat(getClass().getClassLoader().getResource(entry.replace('.', '/') + ".class")).as(d.name() + " entry class " + entry).isNotNull();
            assertThat(d.node().path("spec").path("flinkVersion").asText()).as(d.name())
                    .isEqualTo("v" + from.group(2).replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2"));
            List<String> args = new ArrayList<>();
            job.path("args").forEach(a -> args.add(a.asText()));
            assertThat(args).as(d.name() + " args").hasSize(2).first().isEqualTo("--settings");
            assertThat(args.get(1)).startsWith("/opt/pulse/");
            assertThat(settings.node().path("data").has(args.get(1).substring("/opt/pulse/".length()))).as(d.name() + " settings file").isTrue();
            assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
            JsonNode conf = d.node().path("spec").path("flinkConfiguration");
            for (String key : List.of("state.checkpoints.dir", "state.savepoints.dir", "high-availability.storageDir")) {
                assertThat(conf.path(key).asText()).as(d.name() + " " + key).startsWith("s3p://");
            }
            assertThat(conf.path("high-availability.type").asText()).isEqualTo("kubernetes");
        }
    }

    @Test
    void theKustomizationListsEveryManifestButTheSecretsExample() throws IOException {
        Doc kustomization = allDocuments().stream().filter(d -> d.kind().equals("Kustomization")).findFirst().orElseThrow();
        Set<String> listed = new TreeSet<>();
        kustomization.node().path("resources").forEach(r -> listed.add(r.asText()));
        Set<String> files = new TreeSet<>();
        try (Stream<Path> all = Files.list(DIR)) {
            all.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml"))
                    .filter(f -> !f.equals("kustomization.yaml") && !f.equals("secrets.example.yaml")).forEach(files::add);
        }
        assertThat(listed).isEqualTo(files);
    }

    static <T> List<T> iterable(Iterator<T> it) {
        List<T> list = new ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
