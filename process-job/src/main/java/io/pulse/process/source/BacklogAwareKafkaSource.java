package io.pulse.process.source;

import io.pulse.model.settings.KafkaClient;
import io.pulse.process.time.SplitWatermarks;
import io.pulse.process.time.SubtaskSplits;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Flink's Kafka source, of a topic's committed records, with event time per split that knows when a
 * split is really caught up ({@link SplitWatermarks}): the reader tells the strategy which
 * partitions it is assigned, the deserializer which offset each record has, and a
 * {@link KafkaBacklogProbe} per reader looks for records Kafka holds that the reader has not
 * emitted. Use it with its own strategy: {@code env.fromSource(source, source.watermarks(), name)}.
 * Splits, checkpoints and the enumerator are Kafka's own, unchanged.
 */
public final class BacklogAwareKafkaSource<T>
        implements Source<T, KafkaPartitionSplit, KafkaSourceEnumState>, ResultTypeQueryable<T>, SplitWatermarks.Carrier<T> {
    private static final long serialVersionUID = 1L;
    /** How often the enumerator looks for partitions added to the topic. */
    static final java.time.Duration PARTITION_DISCOVERY = java.time.Duration.ofSeconds(10);

    private final KafkaSource<T> kafka;
    /** The same instance the deserializer holds: one object graph, so one instance per subtask once deserialized. */
    private final SplitWatermarks<T> watermarks;
    private final KafkaClient client;
    private final String groupId;

    private BacklogAwareKafkaSource(KafkaSource<T> kafka, SplitWatermarks<T> watermarks, KafkaClient client, String groupId) {
        this.kafka = kafka;
        this.watermarks = watermarks;
        this.client = client;
        this.groupId = groupId;
    }

    /** A source of {@code topic}'s committed records; first start: the whole topic, after that the checkpoint's offsets. */
    public static <T> BacklogAwareKafkaSource<T> committedRecords(KafkaClient kafka, String topic, String groupId,
                                                                  KafkaRecordDeserializationSchema<T> deserializer,
                                                                  SplitWatermarks<T> watermarks) {
        KafkaSource<T> source = KafkaSource.<T>builder()
                .setProperties(kafka.clientProperties())
                .setBootstrapServers(kafka.bootstrap())
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new PositionRecording<>(deserializer, watermarks))
                .setProperty("isolation.level", "read_committed")
                // Well inside the out-of-orderness bound: records in a partition added while the job runs are read before
                // the other partitions' watermark has passed them.
                .setProperty("partition.discovery.interval.ms", Long.toString(PARTITION_DISCOVERY.toMillis()))
                .build();
        return new BacklogAwareKafkaSource<>(source, watermarks, kafka, groupId);
    }

    /** The event-time strategy this source feeds: pass it to {@code fromSource} with this source. */
    @Override
    public SplitWatermarks<T> watermarks() {
        return watermarks;
    }

    @Override
    public Boundedness getBoundedness() {
        return kafka.getBoundedness();
    }

    @Override
    public SourceReader<T, KafkaPartitionSplit> createReader(SourceReaderContext context) throws Exception {
        SubtaskSplits splits = watermarks.subtask();
        Properties probe = client.clientProperties();
        probe.setProperty("bootstrap.servers", client.bootstrap());
        KafkaBacklogProbe backlog = new KafkaBacklogProbe(probe, groupId, context.getIndexOfSubtask(), splits,
                PARTITION_DISCOVERY.plusSeconds(5));
        context.metricGroup().gauge("watermarkWaitsForAddedPartitions", () -> backlog.partitionsAdded() ? 1 : 0);
        return new Reader<>(kafka.createReader(context), splits, backlog);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> createEnumerator(
            SplitEnumeratorContext<KafkaPartitionSplit> context) throws Exception {
        return kafka.createEnumerator(context);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> restoreEnumerator(
            SplitEnumeratorContext<KafkaPartitionSplit> context, KafkaSourceEnumState checkpoint) throws Exception {
        return kafka.restoreEnumerator(context, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<KafkaPartitionSplit> getSplitSerializer() {
        return kafka.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<KafkaSourceEnumState> getEnumeratorCheckpointSerializer() {
        return kafka.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return kafka.getProducedType();
    }

    /** Kafka's reader, telling the splits it is assigned and running the backlog probe while it runs. */
    private static final class Reader<T> implements SourceReader<T, KafkaPartitionSplit> {
        private final SourceReader<T, KafkaPartitionSplit> kafka;
        private final SubtaskSplits splits;
        private final KafkaBacklogProbe backlog;

        Reader(SourceReader<T, KafkaPartitionSplit> kafka, SubtaskSplits splits, KafkaBacklogProbe backlog) {
            this.kafka = kafka;
            this.splits = splits;
            this.backlog = backlog;
        }

        @Override
        public void start() {
            kafka.start();
            splits.attach(backlog);
            backlog.start();
        }

        @Override
        public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
            return kafka.pollNext(output);
        }

        @Override
        public List<KafkaPartitionSplit> snapshotState(long checkpointId) {
            return kafka.snapshotState(checkpointId);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return kafka.isAvailable();
        }

        @Override
        public void addSplits(List<KafkaPartitionSplit> added) {
            for (KafkaPartitionSplit s : added) {
                splits.assigned(s.getTopic(), s.getPartition(), s.getStartingOffset());
            }
            kafka.addSplits(added);
        }

        @Override
        public void notifyNoMoreSplits() {
            kafka.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent event) {
            kafka.handleSourceEvents(event);
        }

        @Override
        public void pauseOrResumeSplits(Collection<String> toPause, Collection<String> toResume) {
            kafka.pauseOrResumeSplits(toPause, toResume);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            kafka.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            kafka.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void close() throws Exception {
            splits.detach(backlog);
            try {
                backlog.close();
            } finally {
                kafka.close();
            }
        }
    }

    /** The job's deserializer, telling the subtask's splits the offset of each record before its elements are emitted. */
    private static final class PositionRecording<T> implements KafkaRecordDeserializationSchema<T> {
        private static final long serialVersionUID = 1L;
        private final KafkaRecordDeserializationSchema<T> deserializer;
        private final SplitWatermarks<T> watermarks;
        private transient SubtaskSplits splits;

        PositionRecording(KafkaRecordDeserializationSchema<T> deserializer, SplitWatermarks<T> watermarks) {
            this.deserializer = deserializer;
            this.watermarks = watermarks;
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) throws Exception {
            splits = watermarks.subtask();
            deserializer.open(context);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out) throws IOException {
            splits.emitting(record.topic(), record.partition(), record.offset());
            deserializer.deserialize(record, out);
        }

        @Override
        public TypeInformation<T> getProducedType() {
            return deserializer.getProducedType();
        }
    }
}
