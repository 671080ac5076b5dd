package io.pulse.process.source;

import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import io.pulse.process.model.Engagement;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads Kafka engagement_events as the ingest job writes them: the row's new value as Avro, or a
 * tombstone (key = event_id) for a delete, which becomes a {@link Engagement#deletion} so the
 * leaderboard can take the event back; deletes are counted ({@code engagementDeletes}). A value that
 * does not decode is counted ({@code engagementUndecodable}) and skipped, never thrown.
 */
public final class EngagementRecordDeserializer implements KafkaRecordDeserializationSchema<Engagement> {
    private static final long serialVersionUID = 1L;
    private transient AvroSingleObjectCodec<EngagementEvent> avro;
    private transient Counter deletes;
    private transient Counter undecodable;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
        deletes = context.getMetricGroup().counter("engagementDeletes");
        undecodable = context.getMetricGroup().counter("engagementUndecodable");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Engagement> out) {
        if (avro == null) { // used without open(), as in a unit test
            avro = new AvroSingleObjectCodec<>(EngagementEvent.class);
            deletes = new SimpleCounter();
            undecodable = new SimpleCounter();
        }
        if (record.value() == null) {
            deletes.inc();
            if (record.key() != null) {
                out.collect(Engagement.deletion(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8)));
            }
            return;
        }
        AvroSingleObjectCodec.Result<EngagementEvent> result = avro.decode(record.value());
        if (result.failure() != null) {
            undecodable.inc();
            return;
        }
        out.collect(Engagement.from(result.value()));
    }

    long deletes() {
        return deletes.getCount();
    }

    long undecodable() {
        return undecodable.getCount();
    }

    @Override
    public TypeInformation<Engagement> getProducedType() {
        return Engagement.TYPE;
    }
}
