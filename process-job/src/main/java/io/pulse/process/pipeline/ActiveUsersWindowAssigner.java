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

    private final SlidingWindows windows;
    /**
     * (window start -> users already sent) for the open windows of this subtask: a user active all
     * window long is sent once, not once per event. Not checkpointed on purpose: after a restore it
     * starts empty and the counter downstream, which keeps the exact sets, drops the repeats.
     */
    private transient java.util.TreeMap<Long, java.util.Set<String>> sent;

    public ActiveUsersWindowAssigner(Duration size, Duration slide, Duration allowedLateness) {
        this.windows = new SlidingWindows(size, slide, allowedLateness);
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<Assignment> out) {
        long watermark = ctx.timerService().currentWatermark();
        if (sent == null) {
            sent = new java.util.TreeMap<>();
        }
        // Forget windows that can no longer take users.
        while (!sent.isEmpty() && windows.isClosed(sent.firstKey(), watermark)) {
            sent.pollFirstEntry();
        }
        long t = activity.eventTime;
        boolean missedOne = false;
        for (long start = windows.lastStart(t); windows.contains(start, t); start -= windows.slide) {
            if (windows.isClosed(start, watermark)) {
                missedOne = true;
            } else if (sent.computeIfAbsent(start, s -> new java.util.HashSet<>()).add(activity.userId)) {
                out.collect(new Assignment(start, activity.userId));
            }
        }
        if (missedOne) {
            ctx.output(LATE, activity);
        }
    }
}
