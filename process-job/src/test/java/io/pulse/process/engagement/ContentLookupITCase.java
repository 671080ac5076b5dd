package io.pulse.process.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.testing.ScratchDatabase;
import io.pulse.model.avro.EnrichedEngagement;
import io.pulse.model.settings.PostgresConnection;
import io.pulse.process.model.Engagement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** The lookup join against the real PostgreSQL of the test stack. */
class ContentLookupITCase {
    private static final UUID VIDEO = UUID.nameUUIDFromBytes("video".getBytes());
    private static final UUID MISSING = UUID.nameUUIDFromBytes("missing".getBytes());

    private static Engagement engagement(String id, UUID content, String type) {
        Engagement e = new Engagement();
        e.eventId = id;
        e.contentId = content == null ? "not-a-uuid" : content.toString();
        e.userId = "u-1";
        e.eventType = type;
        e.durationMs = 1500;
        e.device = "Web";
        e.eventTime = 1_753_358_400_000L;
        return e;
    }

    @Test
    void eventsAreEnrichedAndMissingContentGivesNullsNotDrops() throws Exception {
        try (ScratchDatabase db = ScratchDatabase.create(LocalStack.sharedEndpoints(), "lookup_it")) {
            try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement(
                    "INSERT INTO content (content_id, title, content_type, length_seconds) VALUES (?, 'Big Buck Bunny', 'video', 596)")) {
                st.setObject(1, VIDEO);
                st.executeUpdate();
            }
            PostgresConnection pg = new PostgresConnection(db.host(), db.port(), db.name(), db.user(), "");
            List<Engagement> input = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                input.add(engagement("v-" + i, VIDEO, i % 2 == 0 ? "like" : "share"));
            }
            input.add(engagement("m-1", MISSING, "view"));
            input.add(engagement("x-1", null, "complete"));

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            List<EnrichedEngagement> out = new ArrayList<>();
            AsyncDataStream.orderedWait(env.fromData(Engagement.TYPE, input.toArray(new Engagement[0])),
                            new ContentLookup(pg, EngagementScorer.defaults(), 2, 100, Duration.ofMinutes(1)), 10, TimeUnit.SECONDS, 50)
                    .executeAndCollect().forEachRemaining(out::add);

            Map<String, EnrichedEngagement> byId = new HashMap<>();
            out.forEach(e -> byId.put(e.getEventId(), e));
            assertThat(byId).hasSize(32);
            EnrichedEngagement like = byId.get("v-0");
            assertThat(like.getTitle()).isEqualTo("Big Buck Bunny");
            assertThat(like.getContentType()).isEqualTo("video");
            assertThat(like.getLengthSeconds()).isEqualTo(596);
            assertThat(like.getScore()).isEqualTo(3.0);
            assertThat(byId.get("v-1").getScore()).isEqualTo(5.0);
            assertThat(byId.get("m-1").getTitle()).isNull();
            assertThat(byId.get("m-1").getScore()).isEqualTo(1.0);
            assertThat(byId.get("x-1").getContentType()).isNull();
            assertThat(byId.get("x-1").getScore()).isEqualTo(2.0);
        }
    }
}
