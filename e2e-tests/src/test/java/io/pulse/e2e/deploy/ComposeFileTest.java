package io.pulse.e2e.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pulse.infra.LocalStack;
import io.pulse.ingest.IngestSettings;
import io.pulse.model.settings.SettingsLoader;
import io.pulse.process.ProcessSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code infra/docker-compose.yml} as a user would run it, checked without Docker: pinned images,
 * a healthcheck on every long-running service, ports on 127.0.0.1 only, no default passwords (each
 * required variable in {@code .env.example}), and only settings the jobs know.
 */
class ComposeFileTest {
    private static final Path ROOT = LocalStack.repoRoot();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(:?[-?])?([^}]*)}");

    private static JsonNode compose() throws IOException {
        return KubernetesManifestsTest.YAML.readTree(ROOT.resolve("infra/docker-compose.yml").toFile());
    }

    private static boolean oneShot(JsonNode service) {
        return service.path("labels").path("io.pulse.one-shot").asText().equals("true");
    }

    @Test
    void everyImageIsPinnedToAVersion() throws IOException {
        List<String> problems = new ArrayList<>();
        compose().path("services").fields().forEachRemaining(e -> {
            String image = e.getValue().path("image").asText();
            if (!image.matches("[a-z0-9./_-]+:v?\\d+\\.\\d+(\\.[0-9._]+)?(-[a-z0-9]+)?")) {
                problems.add(e.getKey() + ": image '" + image + "' is not pinned to a version (name:[v]MAJOR.MINOR[.PATCH])");
            }
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void everyImageIsTheOneInfraImagesPropertiesPins() throws IOException {
        java.util.Properties pinned = new java.util.Properties();
        try (var in = java.nio.file.Files.newBufferedReader(ROOT.resolve("infra/images.properties"))) {
            pinned.load(in);
        }
        java.util.Set<String> versions = new java.util.HashSet<>();
        java.util.Set<String> repositories = new java.util.HashSet<>();
        for (String server : pinned.stringPropertyNames()) {
            String image = pinned.getProperty(server);
            versions.add(image);
            repositories.add(image.substring(0, image.lastIndexOf(':')));
        }
        List<String> problems = new ArrayList<>();
        java.util.Set<String> used = new java.util.HashSet<>();
        compose().path("services").fields().forEachRemaining(e -> {
            String image = e.getValue().path("image").asText();
            String repository = image.contains(":") ? image.substring(0, image.lastIndexOf(':')) : image;
            if (repositories.contains(repository) && !versions.contains(image)) {
                problems.add(e.getKey() + ": " + image + " is not the version infra/images.properties pins");
            }
            used.add(image);
        });
        java.util.regex.Matcher from = java.util.regex.Pattern.compile("(?m)^FROM (\\S+)")
                .matcher(Files.readString(ROOT.resolve("infra/compose/Dockerfile")));
        while (from.find()) {
            String image = from.group(1);
            String repository = image.substring(0, image.lastIndexOf(':'));
            if (repositories.contains(repository) && !versions.contains(image)) {
                problems.add("infra/compose/Dockerfile: " + image + " is not the version infra/images.properties pins");
            }
            used.add(image);
        }
        for (String server : pinned.stringPropertyNames()) {
            if (!used.contains(pinned.getProperty(server))) {
                problems.add("infra/images.properties pins " + server + "=" + pinned.getProperty(server) + ", which compose does not run");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyLongRunningServiceHasAHealthcheckAndWaitsOnlyForHealthyOnes() throws IOException {
        JsonNode services = compose().path("services");
        List<String> problems = new ArrayList<>();
        services.fields().forEachRemaining(e -> {
            if (!oneShot(e.getValue()) && !e.getValue().has("healthcheck")) {
                problems.add(e.getKey() + ": no healthcheck (label it io.pulse.one-shot if it runs once)");
            }
            JsonNode deps = e.getValue().path("depends_on");
            if (deps.isArray()) {
                problems.add(e.getKey() + ": depends_on as a list waits only for a start; name a condition");
            }
            deps.fields().forEachRemaining(d -> {
                String condition = d.getValue().path("condition").asText();
                JsonNode dep = services.path(d.getKey());
                if (dep.isMissingNode()) {
                    problems.add(e.getKey() + ": depends on an unknown service " + d.getKey());
                } else if (condition.equals("service_healthy") && !dep.has("healthcheck")) {
                    problems.add(e.getKey() + ": waits for " + d.getKey() + " to be healthy, which has no healthcheck");
                } else if (condition.equals("service_completed_successfully") && !oneShot(dep)) {
                    problems.add(e.getKey() + ": waits for " + d.getKey() + " to complete, which is not a one-shot service");
                }
            });
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void portsArePublishedOn127001Only() throws IOException {
        List<String> problems = new ArrayList<>();
        compose().path("services").fields().forEachRemaining(e -> e.getValue().path("ports").forEach(p -> {
            if (!p.asText().startsWith("127.0.0.1:")) {
                problems.add(e.getKey() + ": port " + p.asText() + " listens on every interface");
            }
        }));
        assertThat(problems).isEmpty();
    }

    @Test
    void noPasswordHasADefaultAndEveryRequiredVariableIsInTheEnvExample() throws IOException {
        String text = Files.readString(ROOT.resolve("infra/docker-compose.yml"));
        String example = Files.readString(ROOT.resolve(".env.example"));
        List<String> problems = new ArrayList<>();
        Matcher m = VARIABLE.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            String op = m.group(2) == null ? "" : m.group(2);
            boolean secret = name.contains("PASSWORD") || name.contains("SECRET");
            if (secret && !op.endsWith("?")) {
                problems.add("${" + name + op + m.group(3) + "}: a secret must be required (${" + name + ":?...}), never defaulted");
            }
            if (op.endsWith("?") && !example.contains(name + "=")) {
                problems.add(name + " is required but not in .env.example");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theJobsGetOnlySettingsTheyKnow() throws IOException {
        Set<String> known = new TreeSet<>();
        ProcessSettings.keys().forEach(k -> known.add(SettingsLoader.envName(k)));
        IngestSettings.keys().forEach(k -> known.add(SettingsLoader.envName(k)));
        List<String> problems = new ArrayList<>();
        JsonNode jobs = compose().path("services").path("pulse-jobs");
        assertThat(jobs.isMissingNode()).isFalse();
        jobs.path("environment").fieldNames().forEachRemaining(name -> {
            if (name.startsWith("PULSE_") && !known.contains(name)) {
                problems.add("pulse-jobs: " + name + " is no job's setting");
            }
        });
        assertThat(jobs.path("environment").size()).as("the jobs' settings").isGreaterThan(5);
        assertThat(problems).isEmpty();
        String script = Files.readString(ROOT.resolve("infra/compose/submit-jobs.sh"));
        assertThat(script).contains("submit pulse-ingest ").contains("submit pulse-process ");
        String dockerfile = Files.readString(ROOT.resolve("infra/compose/Dockerfile"));
        assertThat(jobs.path("build").path("target").asText()).isEqualTo("jobs");
        assertThat(Map.of("ingest", "ingest-job-*-job.jar", "process", "process-job-*-job.jar")).allSatisfy((dir, jar) -> {
            assertThat(script).contains("/jobs/" + dir + " '" + jar + "'");
            assertThat(dockerfile).contains(" /out/jobs/" + dir + "/").contains(jar);
        });
    }
}
