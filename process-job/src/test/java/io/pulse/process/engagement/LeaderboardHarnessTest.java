package io.pulse.process.engagement;

import static io.pulse.process.Fixtures.at;
import static io.pulse.process.Fixtures.atSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.ContentScore;
import io.pulse.process.model.LeaderboardWindow;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LeaderboardHarnessTest {
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);
    private static final Duration ONE_MINUTE = Duration.ofMinutes(1);

    private static StreamRecord<ContentScore> score(String content, long time, double score) {
        return new StreamRecord<>(new ContentScore(content, time, score), time);
    }

    @Test
    void aScoreCountsInTenHopWindowsAndALateOneIsRoutedOnce() throws Exception {
        var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new LeaderboardWindowAssigner(TEN_MINUTES, ONE_MINUTE, Duration.ZERO)));
        harness.open();
        harness.processElement(score("c1", atSeconds(15 * 60 + 5), 3));
        assertThat(harness.extractOutputValues()).hasSize(10);
        harness.processWatermark(at(20) - 1); // windows ending at 16..20 minutes have closed
        harness.processElement(score("c1", atSeconds(15 * 60 + 5), 3));
        assertThat(harness.extractOutputValues()).hasSize(15);
        assertThat(harness.getSideOutput(LeaderboardWindowAssigner.LATE)).hasSize(1);
        harness.close();
    }

    @Test
    void aClosedWindowIsEmittedWholeWithSumsPerContentAndNoStateLeft() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<Long, LeaderboardWindowAssigner.WindowScore, LeaderboardWindow> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new LeaderboardCollector(TEN_MINUTES)),
                        s -> s.windowStart, Types.LONG);
        harness.open();
        harness.processElement(new StreamRecord<>(new LeaderboardWindowAssigner.WindowScore(at(0), "c1", 1), at(1)));
        harness.processElement(new StreamRecord<>(new LeaderboardWindowAssigner.WindowScore(at(0), "c2", 5), at(2)));
        harness.processElement(new StreamRecord<>(new LeaderboardWindowAssigner.WindowScore(at(0), "c1", 3), at(3)));
        harness.processWatermark(at(10) - 1);
        assertThat(harness.extractOutputValues()).containsExactly(new LeaderboardWindow(at(0), at(10), Map.of("c1", 4.0, "c2", 5.0)));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }
}
