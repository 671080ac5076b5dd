package io.pulse.process.pipeline;

import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionKpi;
import io.pulse.process.state.CachingKeyedProcessOperator;
import io.pulse.process.state.KeyedCache;
import io.pulse.process.state.KeyedValueCache;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * session_kpis (seed 000): epoch-aligned tumbling windows per (user, device) holding the first and
 * last event time, login and purchase flags and the number of actions; one row per window,
 * session_id = user_id + '_' + yyyyMMddHHmmss of the window start (UTC).
 *
 * <p>The semantics of Flink's tumbling event-time windows with EventTimeTrigger: the row is emitted
 * when the watermark reaches the window's last millisecond; an event whose window ended (last
 * millisecond + allowed lateness at or behind the watermark) is late, goes to the late output and
 * is not counted; within allowed lateness an event updates the row at once; the window is dropped
 * when the watermark passes last millisecond + allowed lateness.
 *
 * <p>Keyed by user (so it shares one partitioning with the other per-user operators, see
 * {@link ProcessPipeline#byUser}): all of a user's open windows, on every device, live in one value
 * with one timer, at the earliest time one of them is due, read and written through a
 * {@link KeyedValueCache} (run by a {@link CachingKeyedProcessOperator}).
 */
public final class SessionKpiWindows extends KeyedProcessFunction<String, Activity, SessionKpi>
        implements CachingKeyedProcessOperator.CachedState {
    private static final DateTimeFormatter SESSION_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
    private static final int START = 0;
    private static final int FIRST = 1;
    private static final int LAST = 2;
    private static final int COUNT = 3;
    private static final int FLAGS = 4;
    private static final int STRIDE = 5;
    private static final long LOGIN = 1;
    private static final long PURCHASE = 2;
    private static final long FIRED = 4;

    /**
     * One user's open windows, STRIDE longs each in {@code windows} and the window's device at the
     * same index / STRIDE in {@code devices}; the user's one timer.
     */
    public static class Windows {
        public String userId;
        public String[] devices = new String[0];
        public long[] windows = new long[0];
        public long timer = KeyTimer.NONE;

        public static final TypeInformation<Windows> TYPE = Types.POJO(Windows.class, Map.of("userId", Types.STRING,
                "devices", Types.OBJECT_ARRAY(Types.STRING), "windows", Types.PRIMITIVE_ARRAY(Types.LONG), "timer", Types.LONG));
    }

    private final long size;
    private final long allowedLateness;
    private final OutputTag<Activity> late;
    private transient KeyedValueCache<Windows> state;

    public SessionKpiWindows(Duration size, Duration allowedLateness, OutputTag<Activity> late) {
        if (size.toMillis() <= 0 || allowedLateness.isNegative()) {
            throw new IllegalArgumentException("session_kpis window size must be positive and allowed lateness not negative (got "
                    + size + ", " + allowedLateness + "): fix lateness.allowed in the job settings");
        }
        this.size = size.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
        this.late = late;
    }

    /** session_id of seed 000: user_id + '_' + yyyyMMddHHmmss of the window start, UTC. */
    public static String sessionId(String userId, long windowStart) {
        return userId + "_" + SESSION_ID_TIME.format(Instant.ofEpochMilli(windowStart));
    }

    @Override
    public void open(Configuration parameters) {
        state = new KeyedValueCache<>(getRuntimeContext(), new ValueStateDescriptor<>("kpi-windows", Windows.TYPE));
    }

    @Override
    public List<KeyedCache> caches() {
        return List.of(state);
    }

    @Override
    public void processElement(Activity a, Context ctx, Collector<SessionKpi> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        long start = TimeWindow.getWindowStartWithOffset(a.eventTime, 0, size);
        long lastMillis = start + size - 1;
        if (cleanupTime(lastMillis) <= watermark) {
            ctx.output(late, a);
            return;
        }
        Windows key = state.value();
        if (key == null) {
            key = new Windows();
            key.userId = a.userId;
        }
        String device = a.deviceOrUnknown();
        long[] w = key.windows;
        int at = 0;
        while (at < w.length && !(w[at + START] == start && key.devices[at / STRIDE].equals(device))) {
            at += STRIDE;
        }
        if (at == w.length) { // a new window: appended (the order of a user's windows does not matter)
            w = Arrays.copyOf(w, at + STRIDE);
            w[at + START] = start;
            w[at + FIRST] = Long.MAX_VALUE;
            w[at + LAST] = Long.MIN_VALUE;
            key.windows = w;
            key.devices = Arrays.copyOf(key.devices, at / STRIDE + 1);
            key.devices[at / STRIDE] = device;
        }
        w[at + FIRST] = Math.min(w[at + FIRST], a.eventTime);
        w[at + LAST] = Math.max(w[at + LAST], a.eventTime);
        w[at + COUNT]++;
        if ("login".equals(a.eventType)) {
            w[at + FLAGS] |= LOGIN;
        } else if ("purchase".equals(a.eventType)) {
            w[at + FLAGS] |= PURCHASE;
        }
        if (lastMillis <= watermark) { // within allowed lateness: the row is updated at once
            w[at + FLAGS] |= FIRED;
            out.collect(row(key, w, at));
        }
        long due = dueTime(w, at);
        key.timer = KeyTimer.by(ctx.timerService(), key.timer, due);
        state.update(key);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SessionKpi> out) throws Exception {
        Windows key = state.value();
        if (key == null || key.timer != timestamp) {
            return; // not this key's current timer (cannot happen while timers are deleted when replaced)
        }
        key.timer = KeyTimer.NONE;
        long watermark = ctx.timerService().currentWatermark();
        long[] w = key.windows;
        int kept = 0;
        long next = Long.MAX_VALUE;
        for (int i = 0; i < w.length; i += STRIDE) {
            long lastMillis = w[i + START] + size - 1;
            if ((w[i + FLAGS] & FIRED) == 0 && lastMillis <= watermark) {
                w[i + FLAGS] |= FIRED;
                out.collect(row(key, w, i));
            }
            if (cleanupTime(lastMillis) <= watermark) {
                continue; // past allowed lateness: dropped
            }
            System.arraycopy(w, i, w, kept, STRIDE);
            key.devices[kept / STRIDE] = key.devices[i / STRIDE];
            next = Math.min(next, dueTime(w, kept));
            kept += STRIDE;
        }
        if (kept == 0) {
            state.clear();
            return;
        }
        key.windows = Arrays.copyOf(w, kept);
        key.devices = Arrays.copyOf(key.devices, kept / STRIDE);
        key.timer = KeyTimer.move(ctx.timerService(), key.timer, next);
        state.update(key);
    }

    private SessionKpi row(Windows key, long[] w, int i) {
        long start = w[i + START];
        return new SessionKpi(sessionId(key.userId, start), key.devices[i / STRIDE], key.userId, start, start + size, w[i + FIRST], w[i + LAST],
                (w[i + LAST] - w[i + FIRST]) / 1000, (w[i + FLAGS] & LOGIN) != 0, (w[i + FLAGS] & PURCHASE) != 0, w[i + COUNT]);
    }

    /** When the window at offset i next needs the timer: its row, or (fired) the end of its allowed lateness. */
    private long dueTime(long[] w, int i) {
        long lastMillis = w[i + START] + size - 1;
        return (w[i + FLAGS] & FIRED) == 0 ? lastMillis : cleanupTime(lastMillis);
    }

    /** The window's last millisecond plus the allowed lateness, at most Long.MAX_VALUE (as Flink's). */
    private long cleanupTime(long lastMillis) {
        long cleanup = lastMillis + allowedLateness;
        return cleanup >= lastMillis ? cleanup : Long.MAX_VALUE;
    }
}
