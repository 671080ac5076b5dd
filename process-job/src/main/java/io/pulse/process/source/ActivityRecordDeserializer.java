package io.pulse.process.source;

import io.pulse.model.codec.DecodeResult;
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
 * Decodes user_activity records in the source with the event-model codec, so event time (and so
 * the watermark) is known per Kafka partition. A record that does not decode is passed on with
 * its reason and coordinates, never thrown.
 */
public final class ActivityRecordDeserializer implements KafkaRecordDeserializationSchema<DecodedRecord> {
    private static final long serialVersionUID = 1L;
    private transient UserEventCodec codec;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        codec = new UserEventCodec();
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedRecord> out) {
        if (codec == null) {
            codec = new UserEventCodec();
        }
        if (record.value() == null) {
            out.collect(DecodedRecord.rejected(RejectReason.EMPTY.name(), "tombstone (null value)", record.topic(),
                    record.partition(), record.offset(), record.key(), new byte[0]));
            return;
        }
        DecodeResult result = codec.decode(record.value());
        if (result instanceof DecodeResult.Decoded decoded) {
            out.collect(DecodedRecord.valid(Activity.fromDecoded(decoded.event())));
        } else {
            DecodeResult.Rejected rejected = (DecodeResult.Rejected) result;
            out.collect(DecodedRecord.rejected(rejected.reason().name(), rejected.detail(), record.topic(),
                    record.partition(), record.offset(), record.key(), record.value()));
        }
    }

    @Override
    public TypeInformation<DecodedRecord> getProducedType() {
        return DecodedRecord.TYPE;
    }
}
