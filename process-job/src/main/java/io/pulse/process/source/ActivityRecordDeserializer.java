package io.pulse.process.source;

import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.InputLimits;
import io.pulse.model.codec.RejectReason;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The edge of the job for user_activity: decodes each record with the event-model codec and holds it
 * to the input limits (event time against processing time included) in the source, so event time,
 * and so the watermark, only ever comes from accepted records. A record that does not pass is handed
 * on with its reason and coordinates, never thrown: whatever the decoding throws becomes
 * {@link RejectReason#DECODE_ERROR}.
 */
public final class ActivityRecordDeserializer implements KafkaRecordDeserializationSchema<DecodedRecord> {
    private static final long serialVersionUID = 1L;
    private final InputLimits limits;
    private final int maxDeadLetterPayload;
    private transient UserEventCodec codec;

    public ActivityRecordDeserializer(InputLimits limits, int maxDeadLetterPayload) {
        this.limits = limits;
        this.maxDeadLetterPayload = maxDeadLetterPayload;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        codec = new UserEventCodec(limits);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedRecord> out) {
        out.collect(decode(record, System.currentTimeMillis()));
    }

    /** The record decoded and checked at processing time {@code now}. */
    public DecodedRecord decode(ConsumerRecord<byte[], byte[]> record, long now) {
        if (codec == null) {
            codec = new UserEventCodec(limits);
        }
        if (record.value() == null) {
            return rejected(record, RejectReason.EMPTY, "tombstone (null value)");
        }
        try {
            DecodeResult result = codec.decode(record.value());
            if (result instanceof DecodeResult.Decoded decoded) {
                DecodeResult.Rejected outside = limits.checkTime(decoded.event().getEventTime().toEpochMilli(), now);
                if (outside != null) {
                    return rejected(record, outside.reason(), outside.detail());
                }
                return DecodedRecord.valid(Activity.fromDecoded(decoded.event()));
            }
            DecodeResult.Rejected rejected = (DecodeResult.Rejected) result;
            return rejected(record, rejected.reason(), rejected.detail());
        } catch (RuntimeException | StackOverflowError e) {
            return rejected(record, RejectReason.DECODE_ERROR, UserEventCodec.describe(e));
        }
    }

    private DecodedRecord rejected(ConsumerRecord<byte[], byte[]> record, RejectReason reason, String detail) {
        return DecodedRecord.rejected(reason.name(), detail, record.topic(), record.partition(), record.offset(), record.key(),
                record.value(), maxDeadLetterPayload);
    }

    @Override
    public TypeInformation<DecodedRecord> getProducedType() {
        return DecodedRecord.TYPE;
    }
}
