package io.pulse.producer.cli;

import io.pulse.model.settings.KafkaClient;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/** How the producer's commands reach Kafka: bootstrap servers and client properties (SASL, TLS). */
final class KafkaOptions {
    @Option(names = "--bootstrap", description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}",
            defaultValue = "${env:PULSE_KAFKA_BOOTSTRAP:-127.0.0.1:59092}")
    String bootstrap;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka client property (repeatable), "
            + "e.g. security.protocol=SASL_SSL, sasl.mechanism=PLAIN, sasl.jaas.config=..., ssl.truststore.location=...")
    Map<String, String> properties = new TreeMap<>();

    @Option(names = "--kafka-properties-file", paramLabel = "FILE", description = "Kafka client properties from a file (Kafka's"
            + " client config format; --kafka-property wins). Default: ${DEFAULT-VALUE} (the secure local stack's)",
            defaultValue = "${env:PULSE_KAFKA_PROPERTIES_FILE:-}")
    String propertiesFile;

    KafkaClient client() {
        Map<String, String> merged = new TreeMap<>();
        if (propertiesFile != null && !propertiesFile.isBlank()) {
            Properties file = new Properties();
            try (Reader in = Files.newBufferedReader(Path.of(propertiesFile))) {
                file.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("--kafka-properties-file " + propertiesFile + " cannot be read: " + e.getMessage(), e);
            }
            file.stringPropertyNames().forEach(name -> merged.put(name, file.getProperty(name)));
        }
        merged.putAll(properties);
        return new KafkaClient(bootstrap, merged);
    }
}
