package io.pulse.process.activity;

import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionCount;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * aggregated_counts (seed 004), keyed by user: session windows with a gap, window = [first event,
 * last event + gap), one row per window, group_key = user_id + ':' + window start in epoch ms.
 *
 * <p>The semantics of Flink's event-time session windows with a counting aggregate: an event opens
 * [t, t + gap) and merges with every window it touches (ends are inclusive when touching, as
 * Flink's); the row is emitted when the watermark reaches window end - 1; an event whose window
 * would merge into nothing still open (end - 1 + allowed lateness at or behind the watermark) is
 * late, goes to the late output and is not counted; within allowed lateness a window that already
 * fired emits its updated row at once, and is dropped at end - 1 + allowed lateness. All of a
 * user's open windows live in one value (start, end, count, fired per window) with one timer, at
 * the earliest time one of them is due: two state accesses per event instead of Flink's merging
 * window set, window state and a timer per window. Run by a {@link CachingKeyedProcessOperator},
 * the values of active users stay on the heap between checkpoints.
 */
public final class SessionWindowCounter extends OneValuePerKeyFunction<Activity, SessionCount, SessionWindowCounter.Windows> {
    private static final int START = 0;
    private static final int END = 1;
    private static final int COUNT = 2;
    private static final int FIRED = 3;
    private static final int STRIDE = 4;

    /**
     * A user's open windows, sorted by start, STRIDE longs each, in the first {@code size} longs of
     * {@code windows} (the rest is room: windows open and close in place); and the user's one timer.
     */
    public static class Windows {
        public long[] windows = new long[0];
        public int size;
        public long timer = KeyTimer.NONE;

        public static final TypeInformation<Windows> TYPE = Types.POJO(Windows.class,
                Map.of("windows", Types.PRIMITIVE_ARRAY(Types.LONG), "size", Types.INT, "timer", Types.LONG));
    }

    private final long gap;
    private final long allowedLateness;
    private final OutputTag<Activity> late;

    public SessionWindowCounter(Duration gap, Duration allowedLateness, OutputTag<Activity> late) {
        super("session-windows", Windows.TYPE);
        if (gap.toMillis() <= 0 || allowedLateness.isNegative()) {
            throw new IllegalArgumentException("session gap must be positive and allowed lateness not negative (got gap "
                    + gap + ", allowed lateness " + allowedLateness + "): fix session.gap / lateness.allowed in the job settings");
        }
        this.gap = gap.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
        this.late = late;
    }

    @Override
    long timerOf(Windows value) {
        return value.timer;
    }

    public static String groupKey(String userId, long windowStart) {
        return userId + ":" + windowStart;
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<SessionCount> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        Windows user = state.value();
        long t = activity.eventTime;
        long[] w = user == null ? null : user.windows;
        int size = user == null ? 0 : user.size;
        // The windows touching [t, t + gap] are one run of the sorted, disjoint windows.
        int first = 0;
        while (first < size && w[first + END] < t) {
            first += STRIDE;
        }
        int end = first;
        long start = t;
        long windowEnd = t + gap;
        long count = 1;
        while (end < size && touches(w, end, t)) {
            start = Math.min(start, w[end + START]);
            windowEnd = Math.max(windowEnd, w[end + END]);
            count += w[end + COUNT];
            end += STRIDE;
        }
        if (count == 1 && cleanupTime(windowEnd) <= watermark) {
            ctx.output(late, activity); // merges into nothing still open
            return;
        }
        if (user == null) {
            user = new Windows();
        }
        if (end == first) { // a window of its own, at its place by start
            if (size + STRIDE > user.windows.length) {
                user.windows = java.util.Arrays.copyOf(user.windows, Math.max(4 * STRIDE, user.windows.length * 2));
            }
            w = user.windows;
            System.arraycopy(w, first, w, first + STRIDE, size - first);
            user.size = size + STRIDE;
        } else if (end - first > STRIDE) { // merges several windows into the first of them
            System.arraycopy(w, end, w, first + STRIDE, size - end);
            user.size = size - (end - first - STRIDE);
        }
        emitAndTime(user, user.windows, first, start, windowEnd, count, watermark, ctx, out);
    }

    /** True when the window at offset i touches [t, t + gap] (ends inclusive, as Flink's merging). */
    private boolean touches(long[] w, int i, long t) {
        return w[i + START] <= t + gap && w[i + END] >= t;
    }

    /** Sets the window at offset i, emits its row at once when the watermark has passed its end (within allowed lateness), and times it. */
    private void emitAndTime(Windows user, long[] w, int i, long start, long end, long count, long watermark, Context ctx,
                             Collector<SessionCount> out) throws Exception {
        boolean fireNow = end - 1 <= watermark; // only within allowed lateness
        w[i + START] = start;
        w[i + END] = end;
        w[i + COUNT] = count;
        w[i + FIRED] = fireNow ? 1 : 0;
        if (fireNow) {
            out.collect(new SessionCount(groupKey(ctx.getCurrentKey(), start), count, end));
        }
        user.timer = KeyTimer.by(timers, user.timer, dueTime(w, i));
        state.update(user);
    }

    @Override
    void onKeyTimer(Windows user, OnTimerContext ctx, Collector<SessionCount> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        long[] w = user.windows;
        int kept = 0;
        long next = Long.MAX_VALUE;
        for (int i = 0; i < user.size; i += STRIDE) {
            if (w[i + FIRED] == 0 && w[i + END] - 1 <= watermark) {
                out.collect(new SessionCount(groupKey(ctx.getCurrentKey(), w[i + START]), w[i + COUNT], w[i + END]));
                w[i + FIRED] = 1;
            }
            if (w[i + FIRED] == 1 && cleanupTime(w[i + END]) <= watermark) {
                continue; // past allowed lateness: dropped
            }
            System.arraycopy(w, i, w, kept, STRIDE);
            next = Math.min(next, dueTime(w, kept));
            kept += STRIDE;
        }
        if (kept == 0) {
            state.clear();
            return;
        }
        user.size = kept;
        user.timer = KeyTimer.move(timers, next);
        state.update(user);
    }

    /** When the window at offset i next needs the timer: its row, or (fired) its end of allowed lateness. */
    private long dueTime(long[] w, int i) {
        return w[i + FIRED] == 0 ? w[i + END] - 1 : cleanupTime(w[i + END]);
    }

    /** Window end - 1 + allowed lateness, at most Long.MAX_VALUE (as Flink's cleanup time). */
    private long cleanupTime(long end) {
        long cleanup = end - 1 + allowedLateness;
        return cleanup >= end - 1 ? cleanup : Long.MAX_VALUE;
    }
}
