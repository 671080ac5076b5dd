package io.pulse.process.engagement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EngagementScorerTest {
    @Test
    void defaultWeightsAreThoseOfDesign() {
        EngagementScorer scorer = EngagementScorer.defaults();
        assertThat(scorer.score("view")).isEqualTo(1);
        assertThat(scorer.score("like")).isEqualTo(3);
        assertThat(scorer.score("comment")).isEqualTo(4);
        assertThat(scorer.score("share")).isEqualTo(5);
        assertThat(scorer.score("complete")).isEqualTo(2);
    }

    @Test
    void unknownOrMissingTypeScoresZero() {
        assertThat(EngagementScorer.defaults().score("bookmark")).isZero();
        assertThat(EngagementScorer.defaults().score(null)).isZero();
    }

    @Test
    void weightsAreConfigurable() {
        EngagementScorer scorer = EngagementScorer.parse("view=0.5, share=10");
        assertThat(scorer.score("view")).isEqualTo(0.5);
        assertThat(scorer.score("share")).isEqualTo(10);
        assertThat(scorer.score("like")).isZero();
    }

    @Test
    void badWeightsSayWhatIsWrong() {
        assertThatThrownBy(() -> EngagementScorer.parse("view:1")).hasMessageContaining("view=1,like=3");
        assertThatThrownBy(() -> EngagementScorer.parse("view=x")).hasMessageContaining("'view' is not a number");
        assertThatThrownBy(() -> EngagementScorer.parse("view=-1")).hasMessageContaining(">= 0");
    }
}
