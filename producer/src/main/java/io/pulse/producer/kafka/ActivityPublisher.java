package io.pulse.producer.kafka;

import io.pulse.model.settings.KafkaClient;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends records to one topic with an idempotent producer ({@code acks=all}), optionally inside a
 * transaction, counting acknowledgements and failures. Unreachable brokers and missing topics are
 * reported as {@link KafkaUnavailableException} with the fix in the message, never as a hang.
 */
public final class ActivityPublisher implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final boolean transactional;
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();

    private ActivityPublisher(KafkaProducer<String, byte[]> producer, String topic, boolean transactional) {
        this.producer = producer;
        this.topic = topic;
        this.transactional = transactional;
    }

    /** Checks the broker and the topic, then opens the producer (transactional when an id is given). */
    public static ActivityPublisher open(String bootstrap, String topic, String transactionalId) {
        return open(KafkaClient.of(bootstrap), topic, transactionalId);
    }

    /** As {@link #open(String, String, String)}, with the client properties (SASL, SSL, ...) of {@code kafka}. */
    public static ActivityPublisher open(KafkaClient kafka, String topic, String transactionalId) {
        String bootstrap = kafka.bootstrap();
        checkReachable(kafka, topic);
        Properties props = new Properties();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        props.putAll(kafka.clientProperties()); // bootstrap.servers and the user's properties win
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "900000");
        }
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        if (transactionalId != null) {
            producer.initTransactions();
        }
        return new ActivityPublisher(producer, topic, transactionalId != null);
    }

    static void checkReachable(KafkaClient kafka, String topic) {
        String bootstrap = kafka.bootstrap();
        try {
            kafka.check(CONNECT_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new KafkaUnavailableException(e.getMessage() + " (the local stack: ./pulse up; another cluster: --bootstrap HOST:PORT)");
        }
        Properties props = kafka.clientProperties();
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(CONNECT_TIMEOUT.toMillis()));
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!admin.listTopics().names().get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).contains(topic)) {
                throw new KafkaUnavailableException("Kafka at " + bootstrap + " has no topic '" + topic
                        + "': start the local stack with ./pulse up (it creates the topics) or create it");
            }
        } catch (TimeoutException | ExecutionException e) {
            throw new KafkaUnavailableException("Kafka at " + bootstrap + " is not reachable: start the local stack "
                    + "with ./pulse up, or pass --bootstrap HOST:PORT");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while connecting to Kafka at " + bootstrap);
        }
    }

    public void begin() {
        producer.beginTransaction();
    }

    public void commit() {
        producer.commitTransaction();
    }

    public void abort() {
        if (transactional) {
            producer.abortTransaction();
        }
    }

    public void send(String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            if (error == null) {
                acked.incrementAndGet();
            } else {
                failed.incrementAndGet();
                firstError.compareAndSet(null, error);
            }
        });
    }

    public void flush() {
        producer.flush();
    }

    public long acked() {
        return acked.get();
    }

    public long failed() {
        return failed.get();
    }

    public Exception firstError() {
        return firstError.get();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
