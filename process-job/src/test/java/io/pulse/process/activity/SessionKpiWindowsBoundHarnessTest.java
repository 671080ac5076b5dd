package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.ProcessPipeline;
import static io.pulse.process.Fixtures.at;
import static io.pulse.process.Fixtures.atSeconds;
import static io.pulse.process.Fixtures.event;
import static io.pulse.process.Fixtures.harnessOf;
import static io.pulse.process.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionKpi;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/**
 * The bound on one key's open windows ({@link TumblingWindowsFunction#MAX_WINDOWS_PER_KEY}), through
 * session_kpis as ProcessPipeline wires it: a window per (user, device), so a user with more devices in
 * one 5-minute window than the bound would otherwise grow one state value (and its scan per event)
 * without end.
 */
class SessionKpiWindowsBoundHarnessTest {
    private static final Duration NO_LATENESS = Duration.ZERO;
    private static final int BOUND = TumblingWindowsFunction.MAX_WINDOWS_PER_KEY;
    private final OutputTag<Activity> late = ProcessPipeline.lateTag(OperatorNames.SESSION_KPIS);

    private KeyedOneInputStreamOperatorTestHarness<String, Activity, SessionKpi> harness() throws Exception {
        return harnessOf(s -> SingleOutputOperators.sessionKpis(ProcessPipeline.byUser(s), NO_LATENESS, late,
                ProcessPipeline.Options.DEFAULT_STATE_CACHE_KEYS), Types.STRING);
    }

    private static void assertNoStateLeft(KeyedOneInputStreamOperatorTestHarness<String, Activity, SessionKpi> harness) throws Exception {
        harness.processWatermark(Long.MAX_VALUE);
        harness.prepareSnapshotPreBarrier(1); // a checkpoint writes what operators keep on the heap to the state
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(PendingTimers.of(harness)).isZero();
        harness.close();
    }

    /** One event of user 123 on device d-{@code device} in the window [12:00, 12:05). */
    private static Activity onDevice(int device) {
        return event("123", "click", atSeconds(10 + device % 200)).withDevice("d-" + device);
    }

    private List<Activity> lateEvents(KeyedOneInputStreamOperatorTestHarness<String, Activity, SessionKpi> harness) {
        var side = harness.getSideOutput(late);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void theEventOfOneDeviceTooManyInAWindowGoesToTheLateOutputAndTheOthersRowsAreEmitted() throws Exception {
        var harness = harness();
        for (int d = 0; d < BOUND; d++) {
            harness.processElement(record(onDevice(d)));
        }
        Activity oneTooMany = onDevice(BOUND);
        harness.processElement(record(oneTooMany));
        assertThat(lateEvents(harness)).containsExactly(oneTooMany);

        harness.processWatermark(at(5) - 1);
        List<SessionKpi> rows = harness.extractOutputValues();
        assertThat(rows).hasSize(BOUND);
        Set<String> devices = new HashSet<>();
        rows.forEach(r -> devices.add(r.device()));
        assertThat(devices).hasSize(BOUND).contains("d-0", "d-" + (BOUND - 1)).doesNotContain("d-" + BOUND);
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.userId()).isEqualTo("123");
            assertThat(r.sessionStart()).isEqualTo(at(0));
            assertThat(r.totalActions()).isEqualTo(1);
        });
        assertNoStateLeft(harness);
    }

    @Test
    void atTheBoundAnEventOfAnOpenWindowStillCounts() throws Exception {
        var harness = harness();
        for (int d = 0; d < BOUND; d++) {
            harness.processElement(record(onDevice(d)));
        }
        harness.processElement(record(event("123", "purchase", atSeconds(100)).withDevice("d-0")));
        assertThat(lateEvents(harness)).isEmpty();

        harness.processWatermark(at(5) - 1);
        assertThat(harness.extractOutputValues()).filteredOn(r -> r.device().equals("d-0"))
                .singleElement().satisfies(r -> {
                    assertThat(r.totalActions()).isEqualTo(2);
                    assertThat(r.didPurchase()).isTrue();
                });
        assertNoStateLeft(harness);
    }

    @Test
    void onceTheWindowsAreClosedTheNextWindowTakesANewDevice() throws Exception {
        var harness = harness();
        for (int d = 0; d < BOUND; d++) {
            harness.processElement(record(onDevice(d)));
        }
        harness.processWatermark(at(5) - 1); // the 1,000 windows fire and, without allowed lateness, are dropped
        Activity next = event("123", "click", at(6)).withDevice("d-" + BOUND);
        harness.processElement(record(next));
        harness.processWatermark(at(10) - 1);
        assertThat(lateEvents(harness)).isEmpty();
        assertThat(harness.extractOutputValues()).hasSize(BOUND + 1).last()
                .satisfies(r -> assertThat(r.device()).isEqualTo("d-" + BOUND));
        assertNoStateLeft(harness);
    }
}
