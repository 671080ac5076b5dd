package io.pulse.process.pipeline;

import io.pulse.process.model.ActiveUsers;
import io.pulse.process.state.CachingKeyedProcessOperator;
import io.pulse.process.state.KeyedCache;
import io.pulse.process.state.KeyedSetCache;
import io.pulse.process.state.KeyedValueCache;
import java.util.List;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Second half of active_users, keyed by window start: the exact set of users of one window, and
 * the row when the watermark passes its end. With allowed lateness, later users update the row
 * until the window is cleaned up. Run by a {@link CachingKeyedProcessOperator}, the sets and counts
 * of the open windows are kept on the heap and written to the state at each checkpoint.
 */
public final class DistinctUserCounter extends KeyedProcessFunction<Long, ActiveUsersWindowAssigner.Assignment, ActiveUsers>
        implements CachingKeyedProcessOperator.CachedState {
    private final long size;
    private final long allowedLateness;
    private transient KeyedSetCache<String> users;
    private transient KeyedValueCache<Long> count;

    public DistinctUserCounter(java.time.Duration size, java.time.Duration allowedLateness) {
        this.size = size.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
    }

    @Override
    public void open(Configuration parameters) {
        users = new KeyedSetCache<>(getRuntimeContext().getMapState(new MapStateDescriptor<>("users", Types.STRING, Types.BOOLEAN)));
        count = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public List<KeyedCache> caches() {
        return List.of(users, count);
    }

    @Override
    public void processElement(ActiveUsersWindowAssigner.Assignment a, Context ctx, Collector<ActiveUsers> out) throws Exception {
        if (!users.add(a.userId)) {
            return;
        }
        Long before = count.value();
        long n = before == null ? 1 : before + 1;
        count.update(n);
        long lastMillis = a.windowStart + size - 1;
        if (ctx.timerService().currentWatermark() >= lastMillis) {
            // Fired already; a user allowed in late updates the row.
            out.collect(new ActiveUsers(a.windowStart, a.windowStart + size, n));
        } else if (before == null) {
            ctx.timerService().registerEventTimeTimer(lastMillis);
        }
        if (allowedLateness > 0 && before == null) {
            ctx.timerService().registerEventTimeTimer(lastMillis + allowedLateness);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ActiveUsers> out) throws Exception {
        long start = ctx.getCurrentKey();
        long lastMillis = start + size - 1;
        Long n = count.value();
        if (timestamp == lastMillis && n != null) {
            out.collect(new ActiveUsers(start, start + size, n));
        }
        if (timestamp == lastMillis + allowedLateness) {
            users.clear();
            count.clear();
        }
    }
}
