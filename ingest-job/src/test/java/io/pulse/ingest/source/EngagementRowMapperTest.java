package io.pulse.ingest.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.ingest.pipeline.EngagementChange;
import io.pulse.model.avro.EngagementEvent;
import io.pulse.model.codec.AvroSingleObjectCodec;
import java.time.Instant;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class EngagementRowMapperTest {
    /** The row shape Debezium produces for engagement_events (uuid and timestamptz as strings). */
    private static final Schema ROW = SchemaBuilder.struct()
            .field("event_id", Schema.STRING_SCHEMA)
            .field("content_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("user_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("event_type", Schema.OPTIONAL_STRING_SCHEMA)
            .field("duration_ms", Schema.OPTIONAL_INT32_SCHEMA)
            .field("device", Schema.OPTIONAL_STRING_SCHEMA)
            .field("event_time", Schema.STRING_SCHEMA)
            .build();

    private final EngagementRowMapper mapper = new EngagementRowMapper();
    private final AvroSingleObjectCodec<EngagementEvent> avro = new AvroSingleObjectCodec<>(EngagementEvent.class);

    private static Struct row(String id, String type, Integer duration) {
        return new Struct(ROW).put("event_id", id).put("content_id", "c-1").put("user_id", "u-1")
                .put("event_type", type).put("duration_ms", duration).put("device", "Web")
                .put("event_time", "2025-07-24T12:00:00.25+02:00");
    }

    @Test
    void insertCarriesTheNewRowAsAvro() {
        EngagementChange change = mapper.map("c", null, row("e-1", "view", 1200));
        assertThat(change.eventId).isEqualTo("e-1");
        EngagementEvent event = avro.decode(change.value).value();
        assertThat(event.getEventType()).isEqualTo("view");
        assertThat(event.getDurationMs()).isEqualTo(1200);
        assertThat(event.getEventTime()).isEqualTo(Instant.parse("2025-07-24T10:00:00.250Z"));
        assertThat(event.getOp()).isEqualTo("c");
    }

    @Test
    void snapshotReadAndUpdateCarryTheirOp() {
        assertThat(avro.decode(mapper.map("r", null, row("e-1", "like", null)).value).value().getOp()).isEqualTo("r");
        EngagementEvent updated = avro.decode(mapper.map("u", row("e-1", "view", 1), row("e-1", "complete", 9000)).value).value();
        assertThat(updated.getOp()).isEqualTo("u");
        assertThat(updated.getEventType()).isEqualTo("complete");
        assertThat(updated.getDurationMs()).isEqualTo(9000);
    }

    @Test
    void deleteIsATombstoneKeyedByTheOldRow() {
        EngagementChange change = mapper.map("d", row("e-9", "view", 1), null);
        assertThat(change.eventId).isEqualTo("e-9");
        assertThat(change.isDelete()).isTrue();
    }

    @Test
    void recordsWithoutAnOpAreNotChanges() {
        assertThat(mapper.map(null, null, null)).isNull();
    }
}
