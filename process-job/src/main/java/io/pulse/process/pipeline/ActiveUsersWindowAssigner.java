package io.pulse.process.pipeline;

import io.pulse.process.model.Activity;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * First half of active_users: puts each activity into every sliding window (epoch-aligned,
 * half-open) that contains it and is still open. Flink's own sliding windows would count an event
 * in its open windows and drop it from the closed ones without a trace; here an event that misses
 * any of its windows also goes to the late output, once.
 */
public final class ActiveUsersWindowAssigner extends ProcessFunction<Activity, ActiveUsersWindowAssigner.Assignment> {
    public static final OutputTag<Activity> LATE = new OutputTag<>("late-" + OperatorNames.ACTIVE_USERS, Activity.TYPE);

    /** One user seen in one window. */
    public static class Assignment {
        public long windowStart;
        public String userId;

        public static final TypeInformation<Assignment> TYPE = Types.POJO(Assignment.class,
                Map.of("windowStart", Types.LONG, "userId", Types.STRING));

        public Assignment() {}

        public Assignment(long windowStart, String userId) {
            this.windowStart = windowStart;
            this.userId = userId;
        }
    }

    /** Window starts remembered per user: the windows one event can be in, plus room for out-of-order ones. */
    static final int REMEMBERED = 8;
    /** Users remembered before sweeping is worth it. */
    static final int MIN_SWEEP = 4096;
    private static final long FREE = Long.MIN_VALUE;

    private final SlidingWindows windows;
    /**
     * user -> starts of the open windows this subtask already sent the user to (FREE: an unused
     * slot), so a user active all window long is sent once, not once per event. A best effort, not
     * checkpointed on purpose: after a restore, or when a user's slots are full and the oldest is
     * forgotten, a repeat goes out and the counter downstream, which keeps the exact sets, drops it.
     */
    private transient java.util.HashMap<String, long[]> sent;
    private transient long sweptAt;
    /** Users remembered after the last sweep: the next one waits until there are twice as many. */
    private transient int keptAtSweep;

    public ActiveUsersWindowAssigner(Duration size, Duration slide, Duration allowedLateness) {
        this.windows = new SlidingWindows(size, slide, allowedLateness);
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<Assignment> out) {
        long watermark = ctx.timerService().currentWatermark();
        if (sent == null) {
            sent = new java.util.HashMap<>();
            sweptAt = Long.MIN_VALUE;
        }
        // A sweep reads every remembered user: only once their number has doubled since the last one
        // (and a slide of watermark has passed), so its cost per event stays constant.
        if (watermark != Long.MIN_VALUE && sent.size() >= Math.max(MIN_SWEEP, 2 * keptAtSweep)
                && (sweptAt == Long.MIN_VALUE || watermark - sweptAt >= windows.slide)) {
            forgetClosedWindows(watermark);
        }
        long t = activity.eventTime;
        long[] starts = null;
        boolean missedOne = false;
        for (long start = windows.lastStart(t); windows.contains(start, t); start -= windows.slide) {
            if (windows.isClosed(start, watermark)) {
                missedOne = true;
                continue;
            }
            if (starts == null) {
                starts = sent.computeIfAbsent(activity.userId, u -> newSlots());
            }
            if (remember(starts, start, watermark)) {
                out.collect(new Assignment(start, activity.userId));
            }
        }
        if (missedOne) {
            ctx.output(LATE, activity);
        }
    }

    private static long[] newSlots() {
        long[] slots = new long[REMEMBERED];
        java.util.Arrays.fill(slots, FREE);
        return slots;
    }

    /** Records start in the user's slots; false when it was there already. */
    private boolean remember(long[] slots, long start, long watermark) {
        int victim = 0;
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == start) {
                return false;
            }
            if (slots[victim] != FREE && (slots[i] == FREE || slots[i] < slots[victim])) {
                victim = i; // a free slot, else the earliest start (the first to close)
            }
        }
        slots[victim] = start;
        return true;
    }

    /** Drops users whose remembered windows have all closed. */
    private void forgetClosedWindows(long watermark) {
        sweptAt = watermark;
        sent.values().removeIf(slots -> {
            for (long start : slots) {
                if (start != FREE && !windows.isClosed(start, watermark)) {
                    return false;
                }
            }
            return true;
        });
        keptAtSweep = sent.size();
    }
}
