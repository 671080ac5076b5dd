package io.pulse.process.source;

import io.pulse.model.codec.InputLimits;
import io.pulse.model.settings.KafkaClient;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.time.SplitWatermarks;

/** The FLIP-27 Kafka source of user_activity: decoded in the reader; committed records only. */
public final class ActivityKafkaSource {
    private ActivityKafkaSource() {}

    public static io.pulse.runtime.kafka.SplitTrackingKafkaSource<DecodedRecord> create(KafkaClient kafka, String topic, String groupId, InputLimits limits,
                                                                int maxDeadLetterPayload, SplitWatermarks<DecodedRecord> watermarks) {
        // Replays are transactional: an aborted replay must not be counted.
        return BacklogTracking.committedRecords(kafka, topic, groupId, new ActivityRecordDeserializer(limits, maxDeadLetterPayload),
                watermarks);
    }
}
