package io.pulse.runtime.kafka;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.serialization.DeserializationSchema;
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
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Flink's Kafka source, unchanged (its enumerator, splits, checkpoints and reader), with a
 * {@link KafkaSplitListener} told which partitions each reader is assigned and the offset of every
 * record it emits. Build the {@link KafkaSource} with {@link #deserializer} around the job's own
 * deserializer and the same listener.
 *
 * <p>The enumerator also passes {@link HighestWatermark}s between the readers: a reader reports the
 * watermark its subtask went idle at, and every reader is told the highest reported so far
 * ({@link KafkaSplitListener#highestWatermark}). Not checkpointed: after a restore the readers report again.
 */
public final class SplitTrackingKafkaSource<T>
        implements Source<T, KafkaPartitionSplit, KafkaSourceEnumState>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final KafkaSource<T> kafka;
    private final KafkaSplitListener listener;

    public SplitTrackingKafkaSource(KafkaSource<T> kafka, KafkaSplitListener listener) {
        this.kafka = kafka;
        this.listener = listener;
    }

    /** {@code deserializer}, telling {@code listener} each record's offset first. */
    public static <T> KafkaRecordDeserializationSchema<T> deserializer(KafkaRecordDeserializationSchema<T> deserializer,
                                                                       KafkaSplitListener listener) {
        return new PositionTelling<>(deserializer, listener);
    }

    public KafkaSplitListener listener() {
        return listener;
    }

    @Override
    public Boundedness getBoundedness() {
        return kafka.getBoundedness();
    }

    @Override
    public SourceReader<T, KafkaPartitionSplit> createReader(SourceReaderContext context) throws Exception {
        return new Reader<>(kafka.createReader(context), listener, context);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> createEnumerator(
            SplitEnumeratorContext<KafkaPartitionSplit> context) throws Exception {
        return new Enumerator(kafka.createEnumerator(context), context);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> restoreEnumerator(
            SplitEnumeratorContext<KafkaPartitionSplit> context, KafkaSourceEnumState checkpoint) throws Exception {
        return new Enumerator(kafka.restoreEnumerator(context, checkpoint), context);
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

    static long startingOffset(KafkaPartitionSplit split) {
        long start = split.getStartingOffset();
        if (start == KafkaPartitionSplit.EARLIEST_OFFSET) {
            return KafkaSplitListener.EARLIEST;
        }
        if (start == KafkaPartitionSplit.COMMITTED_OFFSET) {
            return KafkaSplitListener.COMMITTED;
        }
        if (start < 0) {
            return KafkaSplitListener.LATEST;
        }
        return start;
    }

    /** Kafka's reader, telling the listener the splits it is assigned. */
    private static final class Reader<T> implements SourceReader<T, KafkaPartitionSplit> {
        private final SourceReader<T, KafkaPartitionSplit> kafka;
        private final KafkaSplitListener listener;
        private final SourceReaderContext context;
        private AutoCloseable started;

        Reader(SourceReader<T, KafkaPartitionSplit> kafka, KafkaSplitListener listener, SourceReaderContext context) {
            this.kafka = kafka;
            this.listener = listener;
            this.context = context;
        }

        @Override
        public void start() {
            kafka.start();
            try {
                started = listener.readerStarting(context);
            } catch (Exception e) {
                throw new IllegalStateException("the Kafka source's split listener did not start", e);
            }
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
        public void addSplits(List<KafkaPartitionSplit> splits) {
            for (KafkaPartitionSplit s : splits) {
                listener.assigned(s.getTopic(), s.getPartition(), startingOffset(s));
            }
            kafka.addSplits(splits);
        }

        @Override
        public void notifyNoMoreSplits() {
            kafka.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent event) {
            if (event instanceof HighestWatermark highest) {
                listener.highestWatermark(highest.watermark());
                return;
            }
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
            try {
                if (started != null) {
                    started.close();
                }
            } finally {
                kafka.close();
            }
        }
    }

    /** Kafka's enumerator, passing {@link HighestWatermark}s between the readers. */
    private static final class Enumerator implements SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> {
        private final SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> kafka;
        private final SplitEnumeratorContext<KafkaPartitionSplit> context;
        private long highest = Long.MIN_VALUE;

        Enumerator(SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> kafka, SplitEnumeratorContext<KafkaPartitionSplit> context) {
            this.kafka = kafka;
            this.context = context;
        }

        @Override
        public void start() {
            kafka.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {
            kafka.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<KafkaPartitionSplit> splits, int subtaskId) {
            kafka.addSplitsBack(splits, subtaskId);
        }

        @Override
        public void addReader(int subtaskId) {
            kafka.addReader(subtaskId);
            if (highest > Long.MIN_VALUE) {
                context.sendEventToSourceReader(subtaskId, new HighestWatermark(highest));
            }
        }

        @Override
        public KafkaSourceEnumState snapshotState(long checkpointId) throws Exception {
            return kafka.snapshotState(checkpointId);
        }

        @Override
        public void close() throws IOException {
            kafka.close();
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
        public void handleSourceEvent(int subtaskId, SourceEvent event) {
            if (event instanceof HighestWatermark reported) {
                if (reported.watermark() > highest) {
                    highest = reported.watermark();
                    for (Integer reader : context.registeredReaders().keySet()) {
                        context.sendEventToSourceReader(reader, new HighestWatermark(highest));
                    }
                }
                return;
            }
            kafka.handleSourceEvent(subtaskId, event);
        }
    }

    /** The job's deserializer, telling the listener the offset of each record before its elements are emitted. */
    private static final class PositionTelling<T> implements KafkaRecordDeserializationSchema<T> {
        private static final long serialVersionUID = 1L;
        private final KafkaRecordDeserializationSchema<T> deserializer;
        private final KafkaSplitListener listener;

        PositionTelling(KafkaRecordDeserializationSchema<T> deserializer, KafkaSplitListener listener) {
            this.deserializer = deserializer;
            this.listener = listener;
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) throws Exception {
            deserializer.open(context);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out) throws IOException {
            listener.emitting(record.topic(), record.partition(), record.offset());
            deserializer.deserialize(record, out);
        }

        @Override
        public TypeInformation<T> getProducedType() {
            return deserializer.getProducedType();
        }
    }
}
