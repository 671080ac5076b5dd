package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FaultInjectorTest {
    @Test
    void zeroRateNeverFails() {
        FaultInjector faults = new FaultInjector(0, 0, 1);
        for (int i = 0; i < 1000; i++) {
            assertThat(faults.next()).isEqualTo(FaultInjector.Outcome.OK);
        }
    }

    @Test
    void shareOfFailuresIsTheRateAndBothKindsOccur() {
        FaultInjector faults = new FaultInjector(0.3, 0, 7);
        int before = 0, after = 0, n = 20_000;
        for (int i = 0; i < n; i++) {
            switch (faults.next()) {
                case FAIL_BEFORE_STORE -> before++;
                case FAIL_AFTER_STORE -> after++;
                default -> { }
            }
        }
        assertThat((before + after) / (double) n).isBetween(0.29, 0.31);
        assertThat(before).isPositive();
        assertThat(after).isPositive();
    }

    @Test
    void sameSeedSameDecisions() {
        FaultInjector a = new FaultInjector(0.5, 0, 99);
        FaultInjector b = new FaultInjector(0.5, 0, 99);
        for (int i = 0; i < 100; i++) {
            assertThat(a.next()).isEqualTo(b.next());
        }
    }

    @Test
    void rateOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> new FaultInjector(1.5, 0, 1)).hasMessageContaining("within 0..1");
    }
}
