package io.pulse.process.activity;

import io.pulse.process.model.ActiveUsers;
import io.pulse.runtime.CachingKeyedProcessOperator;
import io.pulse.runtime.KeyedCache;
import io.pulse.runtime.KeyedValueCache;
import java.util.List;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Last step of active_users, keyed by window start: adds up the counts of users that
 * {@link ActiveUserSlides} sends from every per-user subtask (each user counted once, in its own
 * subtask), and emits the row when the watermark passes the window's end. With allowed lateness,
 * later users update the row until the window is cleaned up. Run by a
 * {@link CachingKeyedProcessOperator}, the counts of the open windows stay on the heap between
 * checkpoints.
 */
public final class ActiveUsersCounter extends KeyedProcessFunction<Long, Tuple2<Long, Long>, ActiveUsers>
        implements CachingKeyedProcessOperator.CachedState {
    private final long size;
    private final long allowedLateness;
    private transient KeyedValueCache<Long> count;

    public ActiveUsersCounter(java.time.Duration size, java.time.Duration allowedLateness) {
        this.size = size.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
    }

    @Override
    public void open(Configuration parameters) {
        count = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public List<KeyedCache> caches() {
        return List.of(count);
    }

    @Override
    public void processElement(Tuple2<Long, Long> users, Context ctx, Collector<ActiveUsers> out) throws Exception {
        long windowStart = users.f0;
        Long before = count.value();
        long n = before == null ? users.f1 : before + users.f1;
        count.update(n);
        long lastMillis = windowStart + size - 1;
        if (ctx.timerService().currentWatermark() >= lastMillis) {
            // Fired already; a user allowed in late updates the row.
            out.collect(new ActiveUsers(windowStart, windowStart + size, n));
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
            count.clear();
        }
    }
}
