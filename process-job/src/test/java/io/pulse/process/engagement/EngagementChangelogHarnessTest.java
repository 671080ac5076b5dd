package io.pulse.process.engagement;

import static io.pulse.process.Fixtures.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.ContentScore;
import io.pulse.process.model.Engagement;
import io.pulse.process.model.LeaderboardWindow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class EngagementChangelogHarnessTest {
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    private static Engagement value(String id, String content, String type, long time) {
        Engagement e = new Engagement();
        e.eventId = id;
        e.contentId = content;
        e.userId = "u1";
        e.eventType = type;
        e.eventTime = time;
        return e;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Engagement, ContentScore> harness() throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new EngagementChangelog(EngagementScorer.defaults(), TEN_MINUTES, Duration.ZERO)), e -> e.eventId, Types.STRING);
        harness.open();
        return harness;
    }

    private static List<String> changes(KeyedOneInputStreamOperatorTestHarness<String, Engagement, ContentScore> h) {
        return h.extractOutputValues().stream().map(s -> s.contentId + " " + s.score + " x" + s.count).toList();
    }

    @Test
    void anUpdateTakesThePreviousScoreBackAndADeleteTakesItsScoreBack() throws Exception {
        var harness = harness();
        harness.processElement(new StreamRecord<>(value("e1", "c1", "view", at(1)), at(1)));
        harness.processElement(new StreamRecord<>(value("e1", "c1", "share", at(1)), at(1))); // update: view -> share
        harness.processElement(new StreamRecord<>(value("e1", "c1", "share", at(1)), at(1))); // same value again: no change
        harness.processElement(new StreamRecord<>(Engagement.deletion("e1"), Long.MIN_VALUE));
        harness.processElement(new StreamRecord<>(Engagement.deletion("e9"), Long.MIN_VALUE)); // never seen: nothing
        assertThat(changes(harness)).containsExactly("c1 1.0 x1", "c1 -1.0 x-1", "c1 5.0 x1", "c1 -5.0 x-1");
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }

    @Test
    void theLastValueIsForgottenOnceEveryWindowThatCanHoldItHasClosed() throws Exception {
        var harness = harness();
        harness.processElement(new StreamRecord<>(value("e1", "c1", "like", at(1)), at(1)));
        harness.processWatermark(at(11) - 1);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        harness.processWatermark(at(11));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }

    @Test
    void aContentWhoseEventsWereAllTakenBackLeavesTheWindow() throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new LeaderboardCollector(TEN_MINUTES)),
                (LeaderboardWindowAssigner.WindowScore s) -> s.windowStart, Types.LONG);
        harness.open();
        harness.processElement(new StreamRecord<>(new LeaderboardWindowAssigner.WindowScore(at(0), "c1", 3, 1), at(1)));
        harness.processElement(new StreamRecord<>(new LeaderboardWindowAssigner.WindowScore(at(0), "c2", 1, 1), at(1)));
        harness.processElement(new StreamRecord<>(new LeaderboardWindowAssigner.WindowScore(at(0), "c1", -3, -1), at(2)));
        harness.processWatermark(at(10) - 1);
        assertThat(harness.extractOutputValues()).containsExactly(new LeaderboardWindow(at(0), at(10), Map.of("c2", 1.0)));
        assertThat(harness.numKeyedStateEntries()).isZero();
        harness.close();
    }
}
