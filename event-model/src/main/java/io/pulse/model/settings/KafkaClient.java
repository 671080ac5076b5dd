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

    /** How long a job's Kafka transaction may stay open unless kafka.properties.transaction.timeout.ms says otherwise. */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofHours(1);

    /** The transaction timeout the jobs' transactional producers use: kafka.properties.transaction.timeout.ms, else an hour. */
    public Duration transactionTimeout() {
        String set = properties.get("transaction.timeout.ms");
        try {
            return set == null ? DEFAULT_TRANSACTION_TIMEOUT : Duration.ofMillis(Long.parseLong(set.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting 'kafka.properties.transaction.timeout.ms' must be milliseconds, got '" + set + "'");
        }
    }

    private static final Map<String, Duration> CAPS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The transaction timeout for the jobs' transactional sinks, checked against the brokers' cap
     * (transaction.max.timeout.ms): how long an outage of Kafka or Flink between a checkpoint and its
     * commit may last before the broker aborts that checkpoint's records. A timeout set in
     * kafka.properties above the cap fails with what to set (the producers would refuse it); the
     * default (an hour) above the cap is lowered to it, with a warning that says what that risks.
     * Brokers that do not show their configuration are not checked.
     */
    public Duration transactionTimeoutAllowed() {
        Duration wanted = transactionTimeout();
        Duration cap = CAPS.computeIfAbsent(bootstrap, b -> brokerTransactionCap(Duration.ofSeconds(30)));
        if (cap.isZero() || wanted.compareTo(cap) <= 0) {
            return wanted;
        }
        String raise = "raise the brokers' transaction.max.timeout.ms to " + wanted.toMillis();
        if (properties.containsKey("transaction.timeout.ms")) {
            throw new IllegalArgumentException("Kafka at " + bootstrap + " caps transactions at " + cap.toMillis()
                    + " ms (transaction.max.timeout.ms), below kafka.properties.transaction.timeout.ms=" + wanted.toMillis()
                    + ": " + raise + ", or set kafka.properties.transaction.timeout.ms to at most " + cap.toMillis());
        }
        System.err.println("WARNING: Kafka at " + bootstrap + " caps transactions at " + cap.toMinutes() + " min (transaction.max.timeout.ms="
                + cap.toMillis() + "): the jobs' sinks use that, so an outage of Kafka or Flink longer than " + cap.toMinutes()
                + " min between a checkpoint and its commit loses that checkpoint's records; " + raise + " to outlast an hour");
        return cap;
    }

    /** The brokers' transaction.max.timeout.ms; zero when they do not show it. */
    private Duration brokerTransactionCap(Duration timeout) {
        Properties p = clientProperties();
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        try (Admin admin = Admin.create(p)) {
            java.util.Collection<org.apache.kafka.common.Node> nodes = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (nodes.isEmpty()) {
                return Duration.ZERO;
            }
            org.apache.kafka.common.config.ConfigResource broker = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.BROKER, nodes.iterator().next().idString());
            org.apache.kafka.clients.admin.ConfigEntry max = admin.describeConfigs(java.util.List.of(broker)).all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(broker).get("transaction.max.timeout.ms");
            return max == null || max.value() == null ? Duration.ZERO : Duration.ofMillis(Long.parseLong(max.value()));
        } catch (ExecutionException | TimeoutException | NumberFormatException | org.apache.kafka.common.KafkaException e) {
            return Duration.ZERO;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Duration.ZERO;
        }
    }

    /** The pass-through properties for messages, secrets masked. */
    public String describe() {
        Map<String, String> shown = new TreeMap<>();
        properties.forEach((k, v) -> shown.put(k, SettingsLoader.isSecret(k) ? "******" : SettingsLoader.maskUrlPassword(v)));
        return shown.isEmpty() ? "no client properties" : "client properties " + shown;
    }
}
