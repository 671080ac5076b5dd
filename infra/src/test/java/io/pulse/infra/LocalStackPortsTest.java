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
