package io.pulse.process.source;

import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.InputLimits;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.process.model.DecodedRecord;
import io.pulse.process.model.Engagement;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import io.pulse.process.UnreportedCounter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The edge of the job for engagement_events, as the ingest job writes them: the row's new value as
 * Avro, or a tombstone (key = event_id) for a delete, which becomes a {@link Engagement#deletion} so
 * the leaderboard can take the event back (counted, {@code engagementDeletes}). A value that does not
 * decode, or is outside the input limits (null content_id, user_id or event_type, a negative
 * duration_ms, a time before 1970 or too far ahead, over-long or control-character text), becomes
 * {@link Engagement#rejected} for dead_letter; whatever decoding throws is
 * {@link RejectReason#DECODE_ERROR}. Never thrown.
 */
public final class EngagementRecordDeserializer implements KafkaRecordDeserializationSchema<Engagement> {
    private static final long serialVersionUID = 1L;
    private final InputLimits limits;
    private final int maxDeadLetterPayload;
    private transient AvroSingleObjectCodec<EngagementEvent> avro;
    private transient Counter deletes;

    public EngagementRecordDeserializer(InputLimits limits, int maxDeadLetterPayload) {
        this.limits = limits;
        this.maxDeadLetterPayload = maxDeadLetterPayload;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
        deletes = context.getMetricGroup().counter("engagementDeletes");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Engagement> out) {
        Engagement e = decode(record, System.currentTimeMillis());
        if (e != null) {
            out.collect(e);
        }
    }

    /** The change a record holds at processing time {@code now}; null for a tombstone without a key (nothing to take back). */
    Engagement decode(ConsumerRecord<byte[], byte[]> record, long now) {
        if (avro == null) { // used without open(), as in a unit test
            avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
            deletes = new UnreportedCounter();
        }
        try {
            if (record.value() == null) {
                if (record.key() == null) {
                    return rejected(record, RejectReason.EMPTY, "tombstone without a key");
                }
                String eventId = new String(record.key(), StandardCharsets.UTF_8);
                DecodeResult.Rejected bad = limits.checkEngagement(eventId, "-", "-", "-", null, null, 0, now);
                if (bad != null) {
                    return rejected(record, bad.reason(), "tombstone key: " + bad.detail());
                }
                deletes.inc();
                return Engagement.deletion(eventId);
            }
            if (record.value().length > limits.maxRecordBytes()) {
                return rejected(record, RejectReason.TOO_LARGE, "record has " + record.value().length + " bytes, the limit is "
                        + limits.maxRecordBytes());
            }
            AvroSingleObjectCodec.Result<EngagementEvent> result = avro.decode(record.value());
            if (result.failure() != null) {
                return rejected(record, RejectReason.ENGAGEMENT_MALFORMED,
                        result.failure().reason() + ": " + result.failure().detail());
            }
            EngagementEvent v = result.value();
            if (v.getEventTime() == null) {
                return rejected(record, RejectReason.MISSING_EVENT_TIME, "engagement change has no event_time");
            }
            long time = v.getEventTime().toEpochMilli();
            DecodeResult.Rejected bad = limits.checkEngagement(v.getEventId(), v.getContentId(), v.getUserId(), v.getEventType(),
                    v.getDurationMs(), v.getDevice(), time, now);
            if (bad != null) {
                return rejected(record, bad.reason(), bad.detail());
            }
            return Engagement.from(v);
        } catch (RuntimeException | StackOverflowError e) {
            return rejected(record, RejectReason.DECODE_ERROR, UserEventCodec.describe(e));
        }
    }

    private Engagement rejected(ConsumerRecord<byte[], byte[]> record, RejectReason reason, String detail) {
        return Engagement.rejected(DecodedRecord.rejected(reason.name(), detail, record.topic(), record.partition(), record.offset(),
                record.key(), record.value(), maxDeadLetterPayload));
    }

    long deletes() {
        return deletes.getCount();
    }

    @Override
    public TypeInformation<Engagement> getProducedType() {
        return Engagement.TYPE;
    }
}
