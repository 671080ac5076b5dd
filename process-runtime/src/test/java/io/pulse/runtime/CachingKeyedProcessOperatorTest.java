package io.pulse.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

class CachingKeyedProcessOperatorTest {
    /** Counts records per key; emits "key=count"; a record "key!" clears the key. */
    static final class Counter extends KeyedProcessFunction<String, String, String> implements CachingKeyedProcessOperator.CachedState {
        private transient KeyedValueCache<Long> count;

        @Override
        public void open(Configuration parameters) {
            count = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public List<KeyedCache> caches() {
            return List.of(count);
        }

        @Override
        public void processElement(String value, Context ctx, Collector<String> out) throws Exception {
            if (value.endsWith("!")) {
                count.clear();
                return;
            }
            Long n = count.value();
            long next = n == null ? 1 : n + 1;
            count.update(next);
            out.collect(ctx.getCurrentKey() + "=" + next);
        }
    }

    /** Like Counter, but its value is a mutable array changed in place, as the job's operators do. */
    static final class InPlaceCounter extends KeyedProcessFunction<String, String, String>
            implements CachingKeyedProcessOperator.CachedState {
        private transient KeyedValueCache<long[]> count;

        @Override
        public void open(Configuration parameters) {
            count = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("count",
                    org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public List<KeyedCache> caches() {
            return List.of(count);
        }

        @Override
        public void processElement(String value, Context ctx, Collector<String> out) throws Exception {
            long[] n = count.value();
            if (n == null) {
                n = new long[1];
            }
            n[0]++;
            count.update(n);
            out.collect(ctx.getCurrentKey() + "=" + n[0]);
        }
    }

    @Test
    void aValueChangedInPlaceAfterTheBarrierDoesNotReachTheHeapBackendsCheckpoint() throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(new InPlaceCounter(), 100),
                (String v) -> v, Types.STRING);
        h.open(); // the harness's state backend keeps objects on the heap, by reference
        send(h, "a");
        h.prepareSnapshotPreBarrier(1);
        send(h, "a"); // after the barrier: changes the cached array in place
        OperatorSubtaskState checkpoint = h.snapshot(1, 1); // written now, as an asynchronous snapshot would be later
        h.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(new InPlaceCounter(), 100),
                (String v) -> v, Types.STRING);
        restored.initializeState(checkpoint);
        restored.open();
        send(restored, "a");
        assertThat(restored.extractOutputValues()).containsExactly("a=2"); // the checkpoint holds a=1
        restored.close();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness(int capacity) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(new Counter(), capacity),
                v -> v.substring(0, 1), Types.STRING);
    }

    private static void send(KeyedOneInputStreamOperatorTestHarness<String, String, String> h, String... values) throws Exception {
        for (String v : values) {
            h.processElement(new StreamRecord<>(v));
        }
    }

    @Test
    void valuesStayOnTheHeapUntilTheCheckpointWritesThem() throws Exception {
        var h = harness(100);
        h.open();
        send(h, "a", "b", "a", "c");
        assertThat(h.numKeyedStateEntries()).isZero();
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.numKeyedStateEntries()).isEqualTo(3);
        send(h, "c!");
        h.prepareSnapshotPreBarrier(2);
        assertThat(h.numKeyedStateEntries()).isEqualTo(2);
        assertThat(h.extractOutputValues()).containsExactly("a=1", "b=1", "a=2", "c=1");
        h.close();
    }

    @Test
    void evictionWritesTheLeastRecentlyUsedKeyAndRestoreContinuesTheCounts() throws Exception {
        var h = harness(2);
        h.open();
        send(h, "a", "b", "a", "c"); // c evicts b, the least recently used
        assertThat(h.numKeyedStateEntries()).isEqualTo(1);
        send(h, "b"); // read back from the state
        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState checkpoint = h.snapshot(1, 1);
        send(h, "a"); // after the checkpoint: lost with the instance
        h.close();

        var restored = harness(2);
        restored.initializeState(checkpoint);
        restored.open();
        send(restored, "a", "b", "c");
        assertThat(h.extractOutputValues()).containsExactly("a=1", "b=1", "a=2", "c=1", "b=2", "a=3");
        assertThat(restored.extractOutputValues()).containsExactly("a=3", "b=3", "c=2");
        restored.close();
    }

    @Test
    void capacityZeroReadsAndWritesTheStateOnEveryRecord() throws Exception {
        var h = harness(0);
        h.open();
        send(h, "a", "b", "a");
        assertThat(h.numKeyedStateEntries()).isEqualTo(2);
        send(h, "a!");
        assertThat(h.numKeyedStateEntries()).isEqualTo(1);
        assertThat(h.extractOutputValues()).containsExactly("a=1", "b=1", "a=2");
        h.close();
    }
    /** Keeps a second state of its own past its cache: what the operator refuses. */
    static final class StateBehindTheCache extends KeyedProcessFunction<String, String, String>
            implements CachingKeyedProcessOperator.CachedState {
        private transient KeyedValueCache<Long> count;
        private transient org.apache.flink.api.common.state.ValueState<Long> direct;

        @Override
        public void open(Configuration parameters) {
            count = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("count", Types.LONG));
            direct = getRuntimeContext().getState(new ValueStateDescriptor<>("direct", Types.LONG));
        }

        @Override
        public List<KeyedCache> caches() {
            return List.of(count);
        }

        @Override
        public void processElement(String value, Context ctx, Collector<String> out) throws Exception {
            direct.update(1L);
        }
    }

    @Test
    void aFunctionWithAStateOutsideItsCachesFailsWhenTheOperatorOpens() throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(new StateBehindTheCache(), 100),
                (String v) -> v, Types.STRING);
        org.assertj.core.api.Assertions.assertThatThrownBy(h::open)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(StateBehindTheCache.class.getName())
                .hasMessageContaining("opened 2 keyed states but its caches() hold only [count]")
                .hasMessageContaining("capacity 0");
        h.close();

        var uncached = new KeyedOneInputStreamOperatorTestHarness<>(new CachingKeyedProcessOperator<>(new StateBehindTheCache(), 0),
                (String v) -> v, Types.STRING);
        uncached.open(); // with capacity 0 the backend always has the record's key: allowed
        send(uncached, "a");
        assertThat(uncached.numKeyedStateEntries()).isEqualTo(1);
        uncached.close();
    }
}
