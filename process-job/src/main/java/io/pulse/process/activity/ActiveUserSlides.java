package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.model.Activity;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * First half of active_users, keyed by user (chained behind "partition by user"): the slides
 * (1-minute steps) in which the user was active, kept while a window containing one is open, and
 * for an event in a slide new to the user, every open window (5 minutes, sliding, epoch-aligned,
 * half-open) that the user was not in yet. Those are counted per window across the subtask's users
 * ({@link WindowCounts}) and sent as (window start, users) before the watermark that closes the
 * window, and before each watermark status and checkpoint barrier
 * ({@link CachingKeyedProcessOperator.HeldOutput}). {@link ActiveUsersCounter} adds the subtasks'
 * counts up per window: every user lives in one subtask and is counted once per
 * window, so the sum is the exact number of distinct users, with no set of users per window anywhere.
 *
 * <p>Flink's own sliding windows would count an event in its open windows and drop it from the
 * closed ones without a trace; here an event that misses any of its windows also goes to the late
 * output, once, and counts in the open ones. The state of a user goes once every window of the
 * user's last slide has closed (one timer, in the state, on the operator's queue).
 */
public final class ActiveUserSlides extends OneValuePerKeyFunction<Activity, Tuple2<Long, Long>, ActiveUserSlides.Slides>
        implements CachingKeyedProcessOperator.HeldOutput<Tuple2<Long, Long>> {
    public static final OutputTag<Activity> LATE = new OutputTag<>("late-" + OperatorNames.ACTIVE_USERS, Activity.TYPE);
    /** What it sends: (window start, users new to the window since the last time). */
    public static final TypeInformation<Tuple2<Long, Long>> COUNTS = Types.TUPLE(Types.LONG, Types.LONG);

    /** The starts of a user's active slides whose latest window is open, ascending; the user's one timer. */
    public static class Slides {
        public long[] starts = new long[0];
        public long timer = KeyTimer.NONE;

        public static final TypeInformation<Slides> TYPE = Types.POJO(Slides.class,
                Map.of("starts", Types.PRIMITIVE_ARRAY(Types.LONG), "timer", Types.LONG));
    }

    private final SlidingWindows windows;
    /** The subtask's users per window since the last emission. */
    private transient WindowCounts counts;

    public ActiveUserSlides(Duration size, Duration slide, Duration allowedLateness) {
        super("active-slides", Slides.TYPE);
        this.windows = new SlidingWindows(size, slide, allowedLateness);
    }

    @Override
    long timerOf(Slides value) {
        return value.timer;
    }

    @Override
    public void open(org.apache.flink.configuration.Configuration parameters) {
        super.open(parameters);
        counts = new WindowCounts();
    }

    @Override
    public void emitHeld(long watermark, CachingKeyedProcessOperator.Emitter<Tuple2<Long, Long>> out) {
        counts.emit(watermark, windows.size, out::collect);
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<Tuple2<Long, Long>> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        long t = activity.eventTime;
        long slide = windows.lastStart(t); // also the start of the latest window containing t, which closes last
        if (windows.isClosed(slide, watermark)) {
            ctx.output(LATE, activity); // in no open window
            return;
        }
        long earliest = slide - windows.size + windows.slide;
        Slides user = state.value();
        long[] starts = user == null ? new long[0] : user.starts;
        if (Arrays.binarySearch(starts, slide) < 0) {
            for (long start = slide; start >= earliest && !windows.isClosed(start, watermark); start -= windows.slide) {
                if (!anyIn(starts, start, start + windows.size)) {
                    counts.add(start);
                }
            }
            if (user == null) {
                user = new Slides();
            }
            user.starts = withOpen(starts, slide, watermark);
            user.timer = KeyTimer.by(timers, user.timer, lastCleanup(user.starts));
            state.update(user);
        }
        if (windows.isClosed(earliest, watermark)) {
            ctx.output(LATE, activity); // missed a closed window, counted in the open ones
        }
    }

    @Override
    void onKeyTimer(Slides user, OnTimerContext ctx, Collector<Tuple2<Long, Long>> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        user.starts = withOpen(user.starts, Long.MIN_VALUE, watermark);
        if (user.starts.length == 0) {
            state.clear();
            return;
        }
        user.timer = KeyTimer.move(timers, lastCleanup(user.starts));
        state.update(user);
    }

    /** When every window of the latest slide has closed. */
    private long lastCleanup(long[] starts) {
        long latest = starts[starts.length - 1];
        long cleanup = latest + windows.size - 1 + windows.allowedLateness;
        return cleanup >= latest ? cleanup : Long.MAX_VALUE;
    }

    /** True when a start in the sorted array lies in [from, to). */
    static boolean anyIn(long[] sorted, long from, long to) {
        int at = Arrays.binarySearch(sorted, from);
        if (at >= 0) {
            return true;
        }
        int next = -at - 1;
        return next < sorted.length && sorted[next] < to;
    }

    /** The slides whose latest window is still open, plus {@code add} (Long.MIN_VALUE: none), sorted. */
    private long[] withOpen(long[] starts, long add, long watermark) {
        int from = 0;
        while (from < starts.length && windows.isClosed(starts[from], watermark)) {
            from++;
        }
        if (add == Long.MIN_VALUE) {
            return from == 0 ? starts : Arrays.copyOfRange(starts, from, starts.length);
        }
        int at = Arrays.binarySearch(starts, from, starts.length, add);
        at = at >= 0 ? at : -at - 1;
        long[] kept = new long[starts.length - from + 1];
        System.arraycopy(starts, from, kept, 0, at - from);
        kept[at - from] = add;
        System.arraycopy(starts, at, kept, at - from + 1, starts.length - at);
        return kept;
    }
}
