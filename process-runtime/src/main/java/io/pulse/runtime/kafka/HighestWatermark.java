package io.pulse.runtime.kafka;

import org.apache.flink.api.connector.source.SourceEvent;

/**
 * A source subtask's watermark as its last partition went idle (reader to enumerator), or the highest
 * any subtask reported (enumerator to every reader): see {@link SplitTrackingKafkaSource}.
 */
public record HighestWatermark(long watermark) implements SourceEvent {
}
