package io.pulse.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The runtime against a plain computation on seeded random streams: a gap session per key (sum of
 * values, closed by its own timer when the watermark passes last time + gap), run with no cache, a
 * cache smaller than the number of keys (evictions all the time) and a large one, failing over at
 * random points (checkpoint, new operator restored from it). Every run emits exactly the sessions
 * the plain computation closes, in watermark order.
 */
class CachingOperatorRandomizedTest {
    private static final long GAP = 100;

    /** (sum, last time, timer) per key; one own timer at last + gap. */
    static final class GapSum extends KeyedProcessFunction<String, long[], String>
            implements CachingKeyedProcessOperator.OwnTimers, CachingKeyedProcessOperator.TimerState {
        private transient KeyedValueCache<long[]> state;
        private transient KeyTimers timers;

        @Override
        public void open(Configuration parameters) {
            state = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("sum", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(long[] event, Context ctx, Collector<String> out) throws Exception {
            long[] s = state.value();
            if (s == null) {
                s = new long[] {0, Long.MIN_VALUE, KeyTimers.NONE};
            }
            s[0] += event[1];
            s[1] = Math.max(s[1], event[0]);
            if (s[2] != s[1] + GAP) {
                s[2] = s[1] + GAP;
                timers.set(s[2]);
            }
            state.update(s);
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
            long[] s = state.value();
            if (s != null && s[2] == timestamp) {
                out.collect(ctx.getCurrentKey() + ":" + s[0] + "@" + timestamp);
                state.clear();
            }
        }

        @Override
        public List<KeyedCache> caches() {
            return List.of(state);
        }

        @Override
        public void bind(CachingKeyedProcessOperator.OwnTimerQueue queue) {
            timers = queue.of(0);
        }

        @Override
        public List<CachingKeyedProcessOperator.TimerState> timerStates() {
            return List.of(this);
        }

        @Override
        public String timerStateName() {
            return "sum";
        }

        @Override
        public long timer() throws Exception {
            long[] s = state.value();
            return s == null ? KeyTimers.NONE : s[2];
        }
    }

    /** An event (key, time, value) or, with key null, a watermark at time. */
    private record Step(String key, long time, long value) {}

    private static List<Step> stream(long seed) {
        Random random = new Random(seed);
        List<Step> steps = new ArrayList<>();
        long clock = 0;
        long watermark = Long.MIN_VALUE;
        for (int i = 0; i < 2_000; i++) {
            clock += random.nextInt(20);
            steps.add(new Step("k" + random.nextInt(12), clock + random.nextInt(30), 1 + random.nextInt(9)));
            if (random.nextInt(5) == 0 && clock - 40 > watermark) {
                watermark = clock - 40;
                steps.add(new Step(null, watermark, 0));
            }
        }
        steps.add(new Step(null, Long.MAX_VALUE, 0));
        return steps;
    }

    /** What the plain computation emits: sessions closed per watermark, each watermark's in order of key and time. */
    private static List<String> expected(List<Step> steps) {
        Map<String, long[]> open = new TreeMap<>();
        List<String> out = new ArrayList<>();
        for (Step step : steps) {
            if (step.key != null) {
                long[] s = open.computeIfAbsent(step.key, k -> new long[] {0, Long.MIN_VALUE});
                s[0] += step.value;
                s[1] = Math.max(s[1], step.time);
            } else {
                List<String> closed = new ArrayList<>();
                open.entrySet().removeIf(e -> {
                    if (e.getValue()[1] + GAP <= step.time) {
                        closed.add(e.getKey() + ":" + e.getValue()[0] + "@" + (e.getValue()[1] + GAP));
                        return true;
                    }
                    return false;
                });
                closed.sort(null);
                out.addAll(closed);
                out.add("watermark " + step.time);
            }
        }
        return out;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, long[], String> harness(int capacity) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(new GapSum(), capacity),
                (long[] e) -> "k" + e[2], Types.STRING);
    }

    @ParameterizedTest(name = "seed {0}, cache {1}")
    @CsvSource({"1, 0", "1, 3", "1, 1000", "2, 0", "2, 3", "2, 1000", "3, 5", "4, 1"})
    void sameSessionsAsThePlainComputationAcrossFailovers(long seed, int capacity) throws Exception {
        List<Step> steps = stream(seed);
        Random failures = new Random(seed * 31 + capacity);
        List<String> out = new ArrayList<>();
        List<String> sinceWatermark = new ArrayList<>();
        var h = harness(capacity);
        h.open();
        long checkpoint = 0;
        for (Step step : steps) {
            if (step.key != null) {
                h.processElement(new StreamRecord<>(new long[] {step.time, step.value, Long.parseLong(step.key.substring(1))}, step.time));
            } else {
                h.processWatermark(new Watermark(step.time));
                sinceWatermark.addAll(h.extractOutputValues());
                h.getOutput().clear();
                sinceWatermark.sort(null);
                out.addAll(sinceWatermark);
                sinceWatermark.clear();
                out.add("watermark " + step.time);
            }
            if (failures.nextInt(100) == 0) { // checkpoint, then the next instance restores it
                h.prepareSnapshotPreBarrier(++checkpoint);
                OperatorSubtaskState snapshot = h.snapshot(checkpoint, checkpoint);
                sinceWatermark.addAll(h.extractOutputValues());
                h.close();
                h = harness(capacity);
                h.initializeState(snapshot);
                h.open();
            }
        }
        h.close();
        assertThat(out).isEqualTo(expected(steps));
    }
}
