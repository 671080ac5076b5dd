package io.pulse.process.source;

import io.pulse.model.codec.InputLimits;
import io.pulse.model.settings.KafkaClient;
import io.pulse.process.model.Engagement;
import io.pulse.process.time.SplitWatermarks;

/** The FLIP-27 Kafka source of engagement_events (the ingest job's output); reads committed records only. */
public final class EngagementKafkaSource {
    private EngagementKafkaSource() {}

    public static io.pulse.runtime.kafka.SplitTrackingKafkaSource<Engagement> create(KafkaClient kafka, String topic, String groupId, InputLimits limits,
                                                             int maxDeadLetterPayload, SplitWatermarks<Engagement> watermarks) {
        // The ingest job writes in Kafka transactions: an aborted one must not be scored.
        return BacklogTracking.committedRecords(kafka, topic, groupId,
                new EngagementRecordDeserializer(limits, maxDeadLetterPayload), watermarks);
    }
}
