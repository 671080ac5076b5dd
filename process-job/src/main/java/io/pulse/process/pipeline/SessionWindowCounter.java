package io.pulse.process.pipeline;

import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionCount;
import io.pulse.process.state.CachingKeyedProcessOperator;
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

    /** A user's open windows, sorted by start, STRIDE longs each; and the user's one timer. */
    public static class Windows {
        public long[] windows = new long[0];
        public long timer = KeyTimer.NONE;

        public static final TypeInformation<Windows> TYPE = Types.POJO(Windows.class,
                Map.of("windows", Types.PRIMITIVE_ARRAY(Types.LONG), "timer", Types.LONG));
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
        long[] old = user == null ? new long[0] : user.windows;
        long t = activity.eventTime;
        int touched = -1;
        int touching = 0;
        for (int i = 0; i < old.length; i += STRIDE) {
            if (touches(old, i, t)) {
                touched = i;
                touching++;
            }
        }
        if (touching == 1) { // the usual merge: into one window, in place (the order by start stays)
            long start = Math.min(t, old[touched + START]);
            long end = Math.max(t + gap, old[touched + END]);
            emitAndTime(user, old, touched, start, end, old[touched + COUNT] + 1, watermark, ctx, out);
            return;
        }
        long start = t;
        long end = t + gap;
        long count = 1;
        int kept = 0;
        long[] merged = new long[old.length + STRIDE - touching * STRIDE];
        int insertAt = -1;
        for (int i = 0; i < old.length; i += STRIDE) {
            if (touches(old, i, t)) {
                start = Math.min(start, old[i + START]);
                end = Math.max(end, old[i + END]);
                count += old[i + COUNT];
                continue;
            }
            if (insertAt < 0 && old[i + START] > t) {
                insertAt = kept;
                kept += STRIDE;
            }
            System.arraycopy(old, i, merged, kept, STRIDE);
            kept += STRIDE;
        }
        if (count == 1 && cleanupTime(end) <= watermark) {
            ctx.output(late, activity); // merges into nothing still open
            return;
        }
        if (insertAt < 0) {
            insertAt = kept;
        }
        if (user == null) {
            user = new Windows();
        }
        user.windows = merged;
        emitAndTime(user, merged, insertAt, start, end, count, watermark, ctx, out);
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
        for (int i = 0; i < w.length; i += STRIDE) {
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
        user.windows = kept == w.length ? w : java.util.Arrays.copyOf(w, kept);
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
