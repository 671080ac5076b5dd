package io.pulse.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The stack's ports as the launcher and the Java side see them, and what private stacks rely on. */
class LocalStackPortsTest {
    @Test
    void theJavaSideKnowsEveryPortOfTheLauncher() throws Exception {
        Matcher port = Pattern.compile("(?m)^[A-Z_]+_PORT(?:_[A-Z]+)?=\\$\\(\\((\\d+) \\+ PULSE_PORT_OFFSET\\)\\)$")
                .matcher(Files.readString(Path.of("stack/stack.sh")));
        List<Integer> launcher = new ArrayList<>();
        while (port.find()) {
            launcher.add(Integer.parseInt(port.group(1)));
        }
        assertThat(launcher).hasSizeGreaterThan(10);
        assertThat(Arrays.stream(LocalStack.DEFAULT_PORTS).boxed().toList()).containsExactlyInAnyOrderElementsOf(launcher);
    }

    @Test
    void anOffsetWalkStopsAboveThePrivilegedPorts() {
        assertThat(LocalStack.candidateOffsets(-30000)).containsExactly(-30000, -31000, -32000, -33000, -34000, -35000, -36000);
        // From -50000 the lowest port (55432) would reach 432 at -55000 and go negative at -56000.
        assertThat(LocalStack.candidateOffsets(-50000)).containsExactly(-50000, -51000, -52000, -53000, -54000);
    }

    @Test
    void stacksWhoseOffsetsDifferByThousandsNeverShareAPort() {
        int[] ports = LocalStack.DEFAULT_PORTS;
        for (int a : ports) {
            for (int b : ports) {
                if (a != b) {
                    assertThat(Math.abs(a - b) % 1000).as("%d and %d", a, b).isNotZero();
                }
            }
        }
    }
}
