package io.pulse.model.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {
    private static final Map<String, String> DEFAULTS = Map.of("kafka.bootstrap", "127.0.0.1:59092",
            "postgres.password", "", "checkpoint.interval", "10s", "slot.name", "pulse_ingest");

    @TempDir Path dir;

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws Exception {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "slot.name=from_file\ncheckpoint.interval=30s\nkafka.bootstrap=file:1\n");
        Map<String, String> env = Map.of("PULSE_KAFKA_BOOTSTRAP", "env:2", "PULSE_SLOT_NAME", "from_env");
        Map<String, String> values = SettingsLoader.load(DEFAULTS,
                new String[] {"--settings", file.toString(), "--slot.name=from_flag"}, env::get);
        assertThat(values).containsEntry("slot.name", "from_flag")
                .containsEntry("kafka.bootstrap", "env:2")
                .containsEntry("checkpoint.interval", "30s");
    }

    @Test
    void unknownKeyListsTheKnownOnes() {
        assertThatThrownBy(() -> SettingsLoader.load(DEFAULTS, new String[] {"--slot-name", "x"}, k -> null))
                .hasMessageContaining("unknown setting 'slot-name'").hasMessageContaining("slot.name");
    }

    @Test
    void kafkaClientPropertiesPassThroughUnderTheirPrefixAndPrintMasked() throws Exception {
        Map<String, String> defaults = new java.util.TreeMap<>(DEFAULTS);
        defaults.put(KafkaClient.PREFIX + "*", "");
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "kafka.properties.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"pulse\" password=\"hunter2\";\n");
        Map<String, String> values = SettingsLoader.load(defaults,
                new String[] {"--settings", file.toString(), "--kafka.properties.security.protocol", "SASL_SSL"}, k -> null);
        assertThat(values).doesNotContainKey("kafka.properties.*");
        KafkaClient kafka = KafkaClient.from(values);
        assertThat(kafka.bootstrap()).isEqualTo("127.0.0.1:59092");
        assertThat(kafka.properties()).containsEntry("security.protocol", "SASL_SSL").containsKey("sasl.jaas.config");
        assertThat(kafka.clientProperties()).containsEntry("bootstrap.servers", "127.0.0.1:59092");
        assertThat(SettingsLoader.describe(values)).contains("kafka.properties.sasl.jaas.config = ******").doesNotContain("hunter2");
        assertThat(kafka.describe()).contains("security.protocol=SASL_SSL").doesNotContain("hunter2");
        assertThatThrownBy(() -> SettingsLoader.load(defaults, new String[] {"--kafka.propertie.security.protocol", "SSL"}, k -> null))
                .hasMessageContaining("unknown setting 'kafka.propertie.security.protocol'");
        assertThatThrownBy(() -> SettingsLoader.load(defaults, new String[] {"--kafka.properties.*", "x"}, k -> null))
                .hasMessageContaining("unknown setting 'kafka.properties.*'");
    }

    @Test
    void secretsPrintMasked() {
        String banner = SettingsLoader.describe(Map.of("postgres.password", "hunter2", "slot.name", "s"));
        assertThat(banner).contains("postgres.password = ******").doesNotContain("hunter2").contains("slot.name = s");
    }

    @Test
    void keysAndUrlsThatCarryCredentialsPrintMasked() {
        String banner = SettingsLoader.describe(Map.of(
                "kafka.properties.ssl.keystore.key", "-----BEGIN PRIVATE KEY-----abc",
                "kafka.properties.basic.auth.user.info", "user:hunter2",
                "kafka.properties.sasl.oauthbearer.client.credentials.client.secret", "s3cret",
                "mock-external.url", "https://pulse:hunter3@example.com:8443/events",
                "redis.key-prefix", "tenant-a:"));
        assertThat(banner).doesNotContain("BEGIN PRIVATE KEY").doesNotContain("hunter2").doesNotContain("s3cret").doesNotContain("hunter3")
                .contains("mock-external.url = https://pulse:******@example.com:8443/events").contains("redis.key-prefix = tenant-a:");
        assertThat(new KafkaClient("127.0.0.1:9092", Map.of("ssl.keystore.key", "KEY", "sasl.jaas.config", "x")).describe())
                .doesNotContain("KEY").doesNotContain("=x");
    }

    @Test
    void typedReadsNameTheKeyOnBadValues() {
        Settings settings = new Settings(Map.of("checkpoint.interval", "10 seconds", "n", "x"));
        assertThatThrownBy(() -> settings.duration("checkpoint.interval")).hasMessageContaining("'checkpoint.interval' must be a duration");
        assertThatThrownBy(() -> settings.integer("n")).hasMessageContaining("'n' must be a whole number");
        assertThat(new Settings(Map.of("d", "500ms")).duration("d")).isEqualTo(Duration.ofMillis(500));
        assertThat(new Settings(Map.of("d", "2m")).duration("d")).isEqualTo(Duration.ofMinutes(2));
    }
}
