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
    void theLauncherTakesEveryPortFromTheOneList() throws Exception {
        String launcher = Files.readString(Path.of("stack/stack.sh"));
        assertThat(LocalStack.PORTS).hasSizeGreaterThan(10);
        for (int port : LocalStack.DEFAULT_PORTS) {
            assertThat(launcher).as("stack.sh names no port of the list itself").doesNotContain(Integer.toString(port));
        }
        Matcher used = Pattern.compile("\\$\\{?([A-Z_]+_PORT(?:_[A-Z]+)?)\\b").matcher(launcher);
        while (used.find()) {
            if (!used.group(1).endsWith("_OFFSET")) {
                assertThat(LocalStack.PORTS).as("stack.sh uses %s", used.group(1)).containsKey(used.group(1));
            }
        }
    }

    @Test
    void theLauncherReadsTheListWithAnOffset() throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "PULSE_PORT_OFFSET=-1000; . stack/stack.sh; echo $KAFKA_PORT $MOCK_PORT")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).isZero();
        assertThat(out).isEqualTo((LocalStack.PORTS.get("KAFKA_PORT") - 1000) + " " + (LocalStack.PORTS.get("MOCK_PORT") - 1000));
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
