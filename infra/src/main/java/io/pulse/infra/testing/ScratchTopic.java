package io.pulse.infra.testing;

import io.pulse.infra.StackEndpoints;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** A Kafka topic of its own for one test (the stack does not auto-create topics), deleted on close. */
public final class ScratchTopic implements AutoCloseable {
    private final StackEndpoints endpoints;
    private final String name;

    private ScratchTopic(StackEndpoints endpoints, String name) {
        this.endpoints = endpoints;
        this.name = name;
    }

    public static ScratchTopic create(StackEndpoints endpoints, String prefix, int partitions) {
        return create(endpoints, prefix, partitions, Map.of());
    }

    /** A topic with these topic configs (e.g. {@code max.message.bytes}). */
    public static ScratchTopic create(StackEndpoints endpoints, String prefix, int partitions, Map<String, String> configs) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(adminProps(endpoints))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
        return new ScratchTopic(endpoints, name);
    }

    public String name() {
        return name;
    }

    /**
     * Every committed record now in the topic ({@code read_committed}), partition by partition in
     * offset order, read up to the end offsets taken when called.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, endpoints.kafkaBootstrap());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(name)) {
                partitions.add(new TopicPartition(name, info.partition()));
            }
            partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<List<ConsumerRecord<byte[], byte[]>>> byPartition = new ArrayList<>();
            partitions.forEach(p -> byPartition.add(new ArrayList<>()));
            while (!partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + name + " to its end offsets " + end + " in 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    byPartition.get(partitions.indexOf(new TopicPartition(r.topic(), r.partition()))).add(r);
                }
            }
            byPartition.forEach(out::addAll);
        }
        return out;
    }

    /**
     * Reads until at least {@code count} committed records are there: a transaction's commit markers
     * reach the partitions a moment after the producer's commit returns, and until then
     * read_committed readers see none of its records.
     */
    public List<ConsumerRecord<byte[], byte[]>> awaitRecords(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> records = readAll();
        while (records.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected at least " + count + " committed records in " + name + " within "
                        + timeout + ", found " + records.size());
            }
            records = readAll();
        }
        return records;
    }

    @Override
    public void close() {
        try (Admin admin = Admin.create(adminProps(endpoints))) {
            admin.deleteTopics(List.of(name)).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot delete topic " + name, e);
        }
    }

    private static Properties adminProps(StackEndpoints endpoints) {
        Properties props = new Properties();
        props.put("bootstrap.servers", endpoints.kafkaBootstrap());
        return props;
    }
}
