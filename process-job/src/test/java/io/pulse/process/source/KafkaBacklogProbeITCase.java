package io.pulse.process.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.process.time.SubtaskSplits;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import io.pulse.runtime.kafka.KafkaSplitListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link KafkaBacklogProbe} against the test stack's broker: a split is pending while committed
 * records follow its position, and caught up once it has emitted them, although the partition's last
 * stable offset lies beyond the last record (the commit marker); aborted and not-yet-committed
 * transactions hold no records for it; a split that has emitted nothing starts where the group's
 * committed offset is.
 */
class KafkaBacklogProbeITCase {
    private static StackEndpoints stack;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    private static KafkaProducer<byte[], byte[]> transactional(String id) {
        return io.pulse.process.TestJobs.transactionalProducer(stack.kafkaBootstrap(), id);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, int partition, int records) {
        for (int i = 0; i < records; i++) {
            producer.send(new ProducerRecord<>(topic, partition, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static KafkaBacklogProbe probe(SubtaskSplits splits, String bootstrap, String group) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        return new KafkaBacklogProbe(props, group, 0, splits, java.time.Duration.ofSeconds(15));
    }

    private static SubtaskSplits.Split split(SubtaskSplits splits, int partition) {
        return splits.assignedSplits().stream().filter(s -> s.partition == partition).findFirst().orElseThrow();
    }

    /** The reader has emitted the partition's records up to {@code offset}. */
    private static void emitted(SubtaskSplits splits, String topic, int partition, long offset) {
        splits.emitting(topic, partition, offset);
        splits.publishPositions();
    }

    @Test
    void aSplitIsPendingWhileCommittedRecordsFollowItsPositionAndCaughtUpOnceItHasEmittedThem() throws Exception {
        try (ScratchTopic topic = ScratchTopic.create(stack, "probe", 2);
             KafkaProducer<byte[], byte[]> producer = transactional("probe-" + topic.name())) {
            producer.beginTransaction();
            send(producer, topic.name(), 0, 3);
            producer.commitTransaction();
            SubtaskSplits splits = new SubtaskSplits();
            splits.assigned(topic.name(), 0, 0);
            splits.assigned(topic.name(), 1, 0);
            try (KafkaBacklogProbe probe = probe(splits, stack.kafkaBootstrap(), "probe-it")) {
                probe.runRound(1);
                assertThat(split(splits, 0).verdict()).isEqualTo(new SubtaskSplits.Verdict(1, 0, true));
                assertThat(split(splits, 1).verdict()).isEqualTo(new SubtaskSplits.Verdict(1, 0, false));
                assertThat(splits.unboundVerdict().pending()).isTrue();

                emitted(splits, topic.name(), 0, 1);
                probe.runRound(2);
                assertThat(split(splits, 0).verdict()).isEqualTo(new SubtaskSplits.Verdict(2, 2, true));

                emitted(splits, topic.name(), 0, 2); // the last record; the commit marker is at offset 3
                probe.runRound(3);
                assertThat(split(splits, 0).verdict()).isEqualTo(new SubtaskSplits.Verdict(3, 3, false));
            }
        }
    }

    @Test
    void abortedAndOpenTransactionsHoldNoRecordsUntilTheyCommit() throws Exception {
        try (ScratchTopic topic = ScratchTopic.create(stack, "probe-tx", 1);
             KafkaProducer<byte[], byte[]> aborted = transactional("probe-aborted-" + topic.name());
             KafkaProducer<byte[], byte[]> open = transactional("probe-open-" + topic.name())) {
            aborted.beginTransaction();
            send(aborted, topic.name(), 0, 5);
            aborted.flush();
            aborted.abortTransaction();
            SubtaskSplits splits = new SubtaskSplits();
            splits.assigned(topic.name(), 0, 0);
            try (KafkaBacklogProbe probe = probe(splits, stack.kafkaBootstrap(), "probe-tx-it")) {
                probe.runRound(1);
                assertThat(split(splits, 0).verdict().pending()).as("only aborted records and their marker").isFalse();

                open.beginTransaction();
                send(open, topic.name(), 0, 2);
                open.flush();
                probe.runRound(2);
                assertThat(split(splits, 0).verdict().pending()).as("records of a transaction not committed yet").isFalse();

                open.commitTransaction(); // returns before the broker has written the commit marker: records show once it has
                long[] round = {2};
                io.pulse.process.SinkContents.awaitTrue("the committed records seen", java.time.Duration.ofSeconds(10), () -> {
                    probe.runRound(++round[0]);
                    return split(splits, 0).verdict().pending();
                }, () -> "verdict " + split(splits, 0).verdict());
            }
        }
    }

    @Test
    void aSplitThatHasEmittedNothingStartsAtTheGroupsCommittedOffset() throws Exception {
        try (ScratchTopic topic = ScratchTopic.create(stack, "probe-group", 1);
             KafkaProducer<byte[], byte[]> producer = transactional("probe-group-" + topic.name())) {
            producer.beginTransaction();
            send(producer, topic.name(), 0, 4);
            producer.commitTransaction();
            String group = "probe-group-" + topic.name();
            SubtaskSplits splits = new SubtaskSplits();
            splits.assigned(topic.name(), 0, KafkaSplitListener.COMMITTED);
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", stack.kafkaBootstrap()))) {
                admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic.name(), 0), new OffsetAndMetadata(5)))
                        .all().get();
            }
            try (KafkaBacklogProbe probe = probe(splits, stack.kafkaBootstrap(), group)) {
                probe.runRound(1);
                assertThat(split(splits, 0).verdict()).isEqualTo(new SubtaskSplits.Verdict(1, 5, false));
                assertThat(splits.unboundVerdict().pending()).isFalse();
            }
        }
    }

    @Test
    void partitionsAddedToTheTopicMakeEverySplitPendingUntilTheSourceCanHaveBeenAssignedThem() throws Exception {
        try (ScratchTopic topic = ScratchTopic.create(stack, "probe-grow", 1);
             org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                     Map.of("bootstrap.servers", stack.kafkaBootstrap()))) {
            SubtaskSplits splits = new SubtaskSplits();
            splits.assigned(topic.name(), 0, 0);
            Properties props = new Properties();
            props.put("bootstrap.servers", stack.kafkaBootstrap());
            try (KafkaBacklogProbe probe = new KafkaBacklogProbe(props, "probe-grow", 0, splits, java.time.Duration.ofSeconds(3))) {
                probe.runRound(1);
                assertThat(split(splits, 0).verdict().pending()).isFalse();
                admin.createPartitions(Map.of(topic.name(), org.apache.kafka.clients.admin.NewPartitions.increaseTo(2))).all().get();
                long[] round = {1};
                io.pulse.process.SinkContents.awaitTrue("the probe sees the added partition", java.time.Duration.ofSeconds(30), () -> {
                    probe.runRound(++round[0]);
                    return probe.partitionsAdded();
                }, () -> "");
                assertThat(split(splits, 0).verdict().pending()).isTrue();
                assertThat(splits.unboundVerdict().pending()).isTrue();
                io.pulse.process.SinkContents.awaitTrue("the grace over", java.time.Duration.ofSeconds(30), () -> !probe.partitionsAdded(),
                        () -> "");
                probe.runRound(++round[0]);
                assertThat(split(splits, 0).verdict().pending()).isFalse();
            }
        }
    }

    @Test
    void whenKafkaCannotBeReachedEverySplitCountsAsPending() throws Exception {
        SubtaskSplits splits = new SubtaskSplits();
        splits.assigned("user_activity", 0, 0);
        try (KafkaBacklogProbe probe = probe(splits, "127.0.0.1:1", "probe-down")) {
            probe.runRound(1);
            assertThat(split(splits, 0).verdict().pending()).isTrue();
            assertThat(splits.unboundVerdict().pending()).isTrue();
        }
    }
}
