package io.pulse.ingest.source;

import io.pulse.ingest.pipeline.EngagementChange;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.cdc.debezium.DebeziumDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/** Debezium source records to {@link EngagementChange}s through {@link EngagementRowMapper}. */
public final class EngagementChangeDeserializer implements DebeziumDeserializationSchema<EngagementChange> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EngagementChangeDeserializer.class);
    private final EngagementRowMapper mapper = new EngagementRowMapper();

    @Override
    public void deserialize(SourceRecord record, Collector<EngagementChange> out) {
        if (!(record.value() instanceof Struct value)) {
            return; // Debezium's tombstone after a delete: ours is emitted from the delete itself
        }
        Field op = value.schema().field("op");
        if (op == null) {
            return; // heartbeat or schema change
        }
        EngagementChange change = mapper.map(value.getString("op"),
                value.schema().field("before") == null ? null : value.getStruct("before"),
                value.schema().field("after") == null ? null : value.getStruct("after"));
        if (change != null) {
            out.collect(change);
        } else if (value.getString("op") != null) {
            LOG.warn("skipped a change of kind '{}' in the WAL (a TRUNCATE, or a logical decoding message): it is no row change,"
                    + " and engagement_events carries none for it", value.getString("op"));
        }
    }

    @Override
    public TypeInformation<EngagementChange> getProducedType() {
        return TypeInformation.of(EngagementChange.class);
    }
}
