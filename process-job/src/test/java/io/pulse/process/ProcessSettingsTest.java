package io.pulse.process;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Settings the process job refuses at start, each with what to set instead. */
class ProcessSettingsTest {
    @Test
    void allowedLatenessAboveZeroIsRefusedWithWhatToRaiseInstead() {
        assertThatThrownBy(() -> ProcessSettings.load("--lateness.allowed", "1m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'lateness.allowed' must be 0s").hasMessageContaining("watermark.out-of-orderness");
    }

    @Test
    void contentHashesMayNotExpireBeforeTheWindowsThatNameThem() {
        assertThatThrownBy(() -> ProcessSettings.load("--redis.content-ttl", "30m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'redis.content-ttl'").hasMessageContaining("'leaderboard.ttl'");
    }
}
