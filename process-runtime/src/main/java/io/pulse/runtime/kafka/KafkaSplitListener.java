package io.pulse.runtime.kafka;

import java.io.Serializable;
import org.apache.flink.api.connector.source.SourceReaderContext;

/**
 * Told, by a {@link SplitTrackingKafkaSource}, which partitions a source reader is assigned and the
 * offset of each record before its elements are emitted. One instance per source subtask: the source
 * and whatever else of the operator holds the same listener (its watermark strategy) are deserialized
 * together, so they share it. Methods run on the task thread.
 */
public interface KafkaSplitListener extends Serializable {
    /** A split's starting offset: the partition's earliest record. */
    long EARLIEST = -2;
    /** A split's starting offset: the partition's end. */
    long LATEST = -1;
    /** A split's starting offset: the consumer group's committed offset (else the earliest). */
    long COMMITTED = -3;

    /** The reader of subtask {@code context.getIndexOfSubtask()} starts; the returned resource closes with it. */
    AutoCloseable readerStarting(SourceReaderContext context) throws Exception;

    /** The reader is assigned {@code topic}-{@code partition} from {@code startingOffset} (an offset, or one of the constants above). */
    void assigned(String topic, int partition, long startingOffset);

    /**
     * The highest watermark a subtask of this source reported as it went idle
     * ({@code context.sendSourceEventToCoordinator(new HighestWatermark(w))} reports one).
     */
    default void highestWatermark(long watermark) {
    }

    /** The reader is about to emit the elements of the record at {@code offset} of {@code topic}-{@code partition}. */
    void emitting(String topic, int partition, long offset);
}
