package io.pulse.process.activity;

import io.pulse.runtime.CachingKeyedProcessOperator;
import io.pulse.runtime.KeyedValueCache;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Epoch-aligned tumbling event-time windows per key and tag (session_kpis: per user and device,
 * over events; page_view_counts: per page, over the tallies of the per-user subtasks), with the
 * semantics of Flink's tumbling windows and EventTimeTrigger:
 * the row is emitted when the watermark reaches the window's last millisecond; an event whose window
 * ended (last millisecond + allowed lateness at or behind the watermark) is late, goes to the late
 * output and is not counted; within allowed lateness an event updates the row at once; the window is
 * dropped when the watermark passes last millisecond + allowed lateness.
 *
 * <p>All of a key's open windows live in one value with one timer, at the earliest time one of them
 * is due, read and written through a {@link KeyedValueCache} (run by a
 * {@link CachingKeyedProcessOperator}). A window is {@link #stride()} longs: its start first, its
 * flags last, the subclass's accumulator between; the subclass says how an event adds to it and what
 * row it makes.
 */
abstract class TumblingWindowsFunction<IN, OUT> extends OneValuePerKeyFunction<IN, OUT, TumblingWindowsFunction.Windows> {
    static final int START = 0;
    /** In a window's flags: its row was emitted (the subclass may use the low bits). */
    static final long FIRED = 1L << 62;

    /** One key's open windows, {@link #stride()} longs each, and each window's tag at index / stride; the key's one timer. */
    public static class Windows {
        public String key;
        public String[] tags = new String[0];
        public long[] windows = new long[0];
        public long timer = KeyTimer.NONE;

        public static final TypeInformation<Windows> TYPE = Types.POJO(Windows.class, Map.of("key", Types.STRING,
                "tags", Types.OBJECT_ARRAY(Types.STRING), "windows", Types.PRIMITIVE_ARRAY(Types.LONG), "timer", Types.LONG));
    }

    /**
     * The bound on one key's open windows (session_kpis: a user's devices times open windows). An input
     * that would open one more goes to the late output, counted as {@code windowsPerKeyOverflow}: it is
     * not counted in the output, and scanning a key's windows per input stays short.
     */
    static final int MAX_WINDOWS_PER_KEY = 1_000;

    final long size;
    private final long allowedLateness;
    private transient org.apache.flink.metrics.Counter overflow;

    TumblingWindowsFunction(String output, String stateName, Duration size, Duration allowedLateness) {
        super(stateName, Windows.TYPE);
        if (size.toMillis() <= 0 || allowedLateness.isNegative()) {
            throw new IllegalArgumentException(output + " window size must be positive and allowed lateness not negative (got "
                    + size + ", " + allowedLateness + "): fix lateness.allowed in the job settings");
        }
        this.size = size.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
    }

    @Override
    long timerOf(Windows value) {
        return value.timer;
    }

    /** Longs per window: start, accumulator, flags. */
    abstract int stride();

    /** The input's event time: it falls into the window that contains it. */
    abstract long timeOf(IN in);

    /** What becomes of an input whose window has ended (not counted). */
    abstract void late(IN in, long watermark, Context ctx);

    /** The input's tag: windows of one key and different tags are separate. */
    abstract String tag(IN in);

    /** Sets the accumulator of a new window at offset {@code at} (all zero before). */
    abstract void init(long[] w, int at);

    /** Adds the input to the window at offset {@code at}. */
    abstract void add(long[] w, int at, IN in);

    /** The row of the window at offset {@code at}. */
    abstract OUT row(String key, String tag, long[] w, int at);

    @Override
    public void processElement(IN a, Context ctx, Collector<OUT> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        long start = TimeWindow.getWindowStartWithOffset(timeOf(a), 0, size);
        long lastMillis = start + size - 1;
        if (cleanupTime(lastMillis) <= watermark) {
            late(a, watermark, ctx);
            return;
        }
        Windows key = state.value();
        if (key == null) {
            key = new Windows();
            key.key = ctx.getCurrentKey();
        }
        int stride = stride();
        String tag = tag(a);
        long[] w = key.windows;
        String[] tags = key.tags;
        int window = 0; // the index of the window at offset at (no division per step)
        int at = 0;
        while (at < w.length && !(w[at + START] == start && sameTag(tags[window], tag))) {
            at += stride;
            window++;
        }
        if (at == w.length) { // a new window: appended (the order of a key's windows does not matter)
            if (window >= MAX_WINDOWS_PER_KEY) {
                if (overflow == null) {
                    overflow = getRuntimeContext().getMetricGroup().counter("windowsPerKeyOverflow");
                }
                overflow.inc();
                late(a, watermark, ctx);
                return;
            }
            w = Arrays.copyOf(w, at + stride);
            w[at + START] = start;
            init(w, at);
            key.windows = w;
            key.tags = Arrays.copyOf(tags, window + 1);
            key.tags[window] = tag;
        }
        add(w, at, a);
        int flags = at + stride - 1;
        if (lastMillis <= watermark) { // within allowed lateness: the row is updated at once
            w[flags] |= FIRED;
            out.collect(row(key.key, tag, w, at));
        }
        key.timer = KeyTimer.by(timers, key.timer, dueTime(w, at));
        state.update(key);
    }

    private static boolean sameTag(String kept, String tag) {
        return kept == tag || kept.equals(tag);
    }

    @Override
    void onKeyTimer(Windows key, OnTimerContext ctx, Collector<OUT> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        int stride = stride();
        long[] w = key.windows;
        int kept = 0;
        long next = Long.MAX_VALUE;
        for (int i = 0; i < w.length; i += stride) {
            long lastMillis = w[i + START] + size - 1;
            if ((w[i + stride - 1] & FIRED) == 0 && lastMillis <= watermark) {
                w[i + stride - 1] |= FIRED;
                out.collect(row(key.key, key.tags[i / stride], w, i));
            }
            if (cleanupTime(lastMillis) <= watermark) {
                continue; // past allowed lateness: dropped
            }
            System.arraycopy(w, i, w, kept, stride);
            key.tags[kept / stride] = key.tags[i / stride];
            next = Math.min(next, dueTime(w, kept));
            kept += stride;
        }
        if (kept == 0) {
            state.clear();
            return;
        }
        key.windows = Arrays.copyOf(w, kept);
        key.tags = Arrays.copyOf(key.tags, kept / stride);
        key.timer = KeyTimer.move(timers, next);
        state.update(key);
    }

    /** When the window at offset i next needs the timer: its row, or (fired) the end of its allowed lateness. */
    private long dueTime(long[] w, int i) {
        long lastMillis = w[i + START] + size - 1;
        return (w[i + stride() - 1] & FIRED) == 0 ? lastMillis : cleanupTime(lastMillis);
    }

    /** The window's last millisecond plus the allowed lateness, at most Long.MAX_VALUE (as Flink's). */
    private long cleanupTime(long lastMillis) {
        return cleanupTime(lastMillis, allowedLateness);
    }

    /** As {@link #cleanupTime(long)}, for the given allowed lateness. */
    static long cleanupTime(long lastMillis, long allowedLateness) {
        long cleanup = lastMillis + allowedLateness;
        return cleanup >= lastMillis ? cleanup : Long.MAX_VALUE;
    }
}
