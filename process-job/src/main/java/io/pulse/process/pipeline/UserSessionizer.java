package io.pulse.process.pipeline;

import io.pulse.process.model.Activity;
import io.pulse.process.model.UserSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * user_sessions (seed 002), per user in event-time order. Events are buffered until the watermark
 * passes them, so arrivals out of order within the bound are sorted first; an event at or behind
 * the watermark is late. A session opens at session_start or at the first event with none open;
 * closes at session_end or logout (inclusive: "ended"), when the next event is the timeout or more
 * after the last one, or when the watermark passes last + timeout ("timeout"); a session_start
 * while one is open closes it first ("superseded"). Events with the same time are taken as
 * session_start, other events, logout, session_end, then by event id.
 *
 * <p>Timers: one per buffered event time (events are applied exactly when the watermark passes
 * them, in order with the timeouts), and one timeout timer per session, re-armed lazily.
 */
public final class UserSessionizer extends KeyedProcessFunction<String, Activity, UserSession> {
    public static final OutputTag<Activity> LATE = new OutputTag<>("late-" + OperatorNames.USER_SESSIONS, Activity.TYPE);
    public static final String ENDED = "ended";
    public static final String TIMEOUT = "timeout";
    public static final String SUPERSEDED = "superseded";

    /** The session being built. */
    public static class Open {
        public long start;
        public long last;
        public long count;
        public long timeoutTimer = Long.MIN_VALUE;

        public static final TypeInformation<Open> TYPE = Types.POJO(Open.class, Map.of("start", Types.LONG,
                "last", Types.LONG, "count", Types.LONG, "timeoutTimer", Types.LONG));
    }

    static final Comparator<Activity> ORDER = Comparator.<Activity>comparingLong(a -> a.eventTime)
            .thenComparingInt(a -> rank(a.eventType))
            .thenComparing(a -> a.eventId);

    private final long timeout;
    private transient MapState<Long, List<Activity>> buffer;
    private transient ValueState<Open> open;

    public UserSessionizer(Duration timeout) {
        this.timeout = timeout.toMillis();
    }

    static int rank(String type) {
        return switch (type) {
            case "session_start" -> 0;
            case "logout" -> 2;
            case "session_end" -> 3;
            default -> 1;
        };
    }

    @Override
    public void open(Configuration parameters) {
        buffer = getRuntimeContext().getMapState(new MapStateDescriptor<>("buffer", Types.LONG, Types.LIST(Activity.TYPE)));
        open = getRuntimeContext().getState(new ValueStateDescriptor<>("open", Open.TYPE));
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<UserSession> out) throws Exception {
        if (activity.eventTime <= ctx.timerService().currentWatermark()) {
            ctx.output(LATE, activity);
            return;
        }
        List<Activity> atTime = buffer.get(activity.eventTime);
        if (atTime == null) {
            atTime = new ArrayList<>(1);
            ctx.timerService().registerEventTimeTimer(activity.eventTime);
        }
        atTime.add(activity);
        buffer.put(activity.eventTime, atTime);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<UserSession> out) throws Exception {
        String user = ctx.getCurrentKey();
        Open session = open.value();
        List<Activity> due = buffer.get(timestamp);
        if (due != null) {
            buffer.remove(timestamp);
            due.sort(ORDER);
            for (Activity a : due) {
                session = apply(user, session, a, out);
            }
        }
        if (session != null && session.last + timeout <= timestamp) {
            session = close(user, session, session.last, TIMEOUT, out);
        }
        if (session != null) {
            // The timeout timer is re-armed lazily: an event moves the deadline later, and rather than
            // delete and register a timer per event (the operator's largest cost), the pending one
            // fires at the old deadline and registers the new one then.
            if (session.timeoutTimer == timestamp) {
                session.timeoutTimer = Long.MIN_VALUE;
            }
            if (session.timeoutTimer == Long.MIN_VALUE) {
                session.timeoutTimer = session.last + timeout;
                ctx.timerService().registerEventTimeTimer(session.timeoutTimer);
            }
            open.update(session);
        } else {
            open.clear();
        }
    }

    private Open apply(String user, Open session, Activity a, Collector<UserSession> out) {
        if (session != null && a.eventTime - session.last >= timeout) {
            session = close(user, session, session.last, TIMEOUT, out);
        }
        if ("session_start".equals(a.eventType) && session != null) {
            session = close(user, session, session.last, SUPERSEDED, out);
        }
        if (session == null) {
            session = new Open();
            session.start = a.eventTime;
            session.last = a.eventTime;
            session.count = 1;
        } else {
            session.last = a.eventTime;
            session.count++;
        }
        if ("session_end".equals(a.eventType) || "logout".equals(a.eventType)) {
            session = close(user, session, a.eventTime, ENDED, out);
        }
        return session;
    }

    private static Open close(String user, Open session, long end, String reason, Collector<UserSession> out) {
        // A pending timeout timer stays: it finds no session, or a later one, when it fires.
        out.collect(new UserSession(user, session.start, end, (end - session.start) / 1000, session.count, reason));
        return null;
    }
}
