package io.pulse.model.settings;

import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * How a job or tool reaches Kafka: the bootstrap servers and the client properties passed through
 * from the settings {@code kafka.properties.<name>} (security.protocol, sasl.*, ssl.*, ...), which
 * every Kafka client of the process (sources, sinks, admin) gets under its own.
 */
public record KafkaClient(String bootstrap, Map<String, String> properties) implements Serializable {
    /** The settings prefix of the pass-through client properties. */
    public static final String PREFIX = "kafka.properties.";

    public KafkaClient {
        properties = new TreeMap<>(properties);
    }

    public static KafkaClient of(String bootstrap) {
        return new KafkaClient(bootstrap, Map.of());
    }

    /** {@code kafka.bootstrap} and every {@code kafka.properties.*} of resolved settings. */
    public static KafkaClient from(Map<String, String> settings) {
        Map<String, String> properties = new TreeMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith(PREFIX) && key.length() > PREFIX.length()) {
                properties.put(key.substring(PREFIX.length()), value);
            }
        });
        return new KafkaClient(settings.get("kafka.bootstrap"), properties);
    }

    /** The client properties with bootstrap.servers, for a producer, consumer or admin client. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.putAll(properties);
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    /**
     * Connects once and fails with what to fix when Kafka cannot be reached or refuses the
     * credentials: jobs call it before they build their graph, so a wrong password is an error at
     * start, not a job that restarts forever.
     */
    public void check(Duration timeout) {
        Properties p = clientProperties();
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
                throw new IllegalArgumentException("Kafka at " + bootstrap + " refused the connection's security (" + cause.getMessage()
                        + "): check kafka.properties.security.protocol, sasl.mechanism, sasl.jaas.config and ssl.* in the settings", cause);
            }
            throw new IllegalArgumentException("Kafka at " + bootstrap + " is not reachable with " + describe() + " (" + cause
                    + "): check kafka.bootstrap and kafka.properties.security.protocol", cause);
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("Kafka at " + bootstrap + " is not reachable (no answer within " + timeout.toSeconds()
                    + " s with " + describe() + "): check kafka.bootstrap, and that kafka.properties.security.protocol matches the listener", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking Kafka", e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new IllegalArgumentException("the Kafka client settings are not valid: " + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")") + "; check kafka.properties.*", e);
        }
    }

    /** The pass-through properties for messages, secrets masked. */
    public String describe() {
        Map<String, String> shown = new TreeMap<>();
        properties.forEach((k, v) -> shown.put(k, SettingsLoader.isSecret(k) ? "******" : v));
        return shown.isEmpty() ? "no client properties" : "client properties " + shown;
    }
}
