package io.pulse.producer.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.model.codec.RejectReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayFileTest {
    @TempDir Path dir;

    @Test
    void linesComeInFileOrderAndBadOnesCarryTheirLineNumber() throws Exception {
        Path file = dir.resolve("events.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"user_id\":\"A\",\"event_type\":\"login\",\"event_time\":\"2025-07-24T12:00:00Z\"}",
                "",
                "{\"user_id\":\"B\",\"event_type\":\"login\",\"event_time\":\"2025-07-24T12:00:01Z\"}",
                "not json",
                "{\"event_type\":\"click\",\"event_time\":\"2025-07-24T12:00:02Z\"}",
                "{\"user_id\":\"A\",\"event_type\":\"logout\",\"event_time\":\"2025-07-24T12:00:03Z\"}"));
        List<ReplayLine> lines = new ArrayList<>();
        new ReplayFile(file).forEachLine(lines::add);

        assertThat(lines).extracting(ReplayLine::lineNumber).containsExactly(1L, 3L, 4L, 5L, 6L);
        assertThat(lines).extracting(ReplayLine::accepted).containsExactly(true, true, false, false, true);
        assertThat(lines.get(2).rejection().reason()).isEqualTo(RejectReason.JSON_NOT_AN_OBJECT);
        assertThat(lines.get(3).rejection().reason()).isEqualTo(RejectReason.MISSING_USER_ID);
        assertThat(lines.get(4).event().getEventType()).isEqualTo("logout");
    }

    @Test
    void missingFileSaysSo() {
        assertThatThrownBy(() -> new ReplayFile(dir.resolve("nope.jsonl")).forEachLine(l -> { }))
                .hasMessageContaining("does not exist");
    }
}
