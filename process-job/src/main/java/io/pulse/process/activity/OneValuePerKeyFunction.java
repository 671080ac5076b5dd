package io.pulse.process.activity;

import io.pulse.runtime.CachingKeyedProcessOperator;
import io.pulse.runtime.KeyTimers;
import io.pulse.runtime.KeyedCache;
import io.pulse.runtime.KeyedValueCache;
import java.util.List;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * A keyed function whose whole state per key is one cached value, which also holds the key's one
 * event-time timer (set on the {@link CachingKeyedProcessOperator}'s queue with {@link KeyTimer}):
 * session_kpis and page_view_counts ({@link TumblingWindowsFunction}), user_sessions and
 * aggregated_counts.
 */
abstract class OneValuePerKeyFunction<IN, OUT, V> extends KeyedProcessFunction<String, IN, OUT>
        implements CachingKeyedProcessOperator.OwnTimers, CachingKeyedProcessOperator.TimerState {
    private final String stateName;
    private final TypeInformation<V> type;
    /** The key's value (null: nothing kept for the key). */
    transient KeyedValueCache<V> state;
    /** Where the key's timer is set. */
    transient KeyTimers timers;

    OneValuePerKeyFunction(String stateName, TypeInformation<V> type) {
        this.stateName = stateName;
        this.type = type;
    }

    /** The key's timer as its value holds it ({@link KeyTimer#NONE}: none). */
    abstract long timerOf(V value);

    /**
     * The key's one timer fired (a replaced timer, which still fires, never gets here): the function
     * does what is due and then sets the next timer ({@link KeyTimer#move}) or clears the state.
     */
    abstract void onKeyTimer(V value, OnTimerContext ctx, Collector<OUT> out) throws Exception;

    @Override
    public final void onTimer(long timestamp, OnTimerContext ctx, Collector<OUT> out) throws Exception {
        V value = state.value();
        if (value != null && timerOf(value) == timestamp) {
            onKeyTimer(value, ctx, out);
        }
    }

    @Override
    public void open(Configuration parameters) {
        state = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>(stateName, type));
    }

    @Override
    public final List<KeyedCache> caches() {
        return List.of(state);
    }

    @Override
    public final void bind(CachingKeyedProcessOperator.OwnTimerQueue queue) {
        this.timers = queue.of(0);
    }

    @Override
    public final List<CachingKeyedProcessOperator.TimerState> timerStates() {
        return List.of(this);
    }

    @Override
    public final String timerStateName() {
        return stateName;
    }

    @Override
    public final long timer() throws Exception {
        V value = state.value();
        return value == null ? KeyTimer.NONE : timerOf(value);
    }
}
