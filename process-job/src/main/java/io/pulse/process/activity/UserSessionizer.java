package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.model.Activity;
import io.pulse.process.model.UserSession;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * user_sessions (seed 002), per user in event-time order. Events are buffered until the watermark
 * passes them, so arrivals out of order within the bound are sorted first; an event at or behind
 * the watermark is late. A session opens at session_start or at the first event with none open;
 * closes at session_end or logout (inclusive: "ended"), when the next event is the timeout or more
 * after the last one, or when the watermark passes last + timeout ("timeout"); a session_start
 * while one is open closes it first ("superseded"). Events with the same time are taken as
 * session_start, other events, logout, session_end.
 *
 * <p>A row depends only on each event's time and on whether it starts, ends or neither, so the
 * buffer holds (time, rank) pairs, not events; the user's buffer and open session are one value
 * (one state read and write per event) with one event-time timer, at the earliest time a row can be
 * due ({@link #nextDue}): the first buffered session_start, logout or session_end, the first gap of
 * the timeout or more, or the last event + the timeout. Buffered events the watermark has passed are
 * applied when that timer fires, not one timer per event (which made this output fire a timer for
 * almost every record); the rows and the watermark that emits each are the same. Run by a
 * {@link CachingKeyedProcessOperator}, the values of active users stay on the heap between checkpoints.
 */
public final class UserSessionizer extends OneValuePerKeyFunction<Activity, UserSession, UserSessionizer.UserState> {
    public static final OutputTag<Activity> LATE = new OutputTag<>("late-" + OperatorNames.USER_SESSIONS, Activity.TYPE);
    public static final String ENDED = "ended";
    public static final String TIMEOUT = "timeout";
    public static final String SUPERSEDED = "superseded";

    private static final int START_RANK = 0;
    private static final int OTHER_RANK = 1;
    private static final int LOGOUT_RANK = 2;
    private static final int END_RANK = 3;
    /** Buffered events beyond which the timer comes at the first of them, so that a busy user's buffer stays short. */
    private static final int MAX_PENDING = 64;
    /**
     * The bound on a user's buffered events (a user sending faster than the watermark moves, or one
     * endless burst): past it, the earliest buffered event is applied before the watermark passes it,
     * counted as {@code sessionBufferOverflow}. Rows stay exact for events that arrive in order.
     */
    static final int MAX_BUFFERED = 10_000;

    private transient org.apache.flink.metrics.Counter overflow;

    /**
     * A user's buffered events as sorted (time, rank) pairs in the first {@code size} longs of
     * {@code pending} (the rest is room to grow: an event is inserted in place, not into a new array),
     * the open session (count 0: none) and the timer.
     */
    public static class UserState {
        public long[] pending = new long[0];
        public int size;
        public long start;
        public long last;
        public long count;
        public long timer = KeyTimer.NONE;

        public static final TypeInformation<UserState> TYPE = Types.POJO(UserState.class, Map.of(
                "pending", Types.PRIMITIVE_ARRAY(Types.LONG), "size", Types.INT, "start", Types.LONG, "last", Types.LONG,
                "count", Types.LONG, "timer", Types.LONG));
    }

    private final long timeout;

    public UserSessionizer(Duration timeout) {
        super("user-session", UserState.TYPE);
        if (timeout.toMillis() <= 0) {
            throw new IllegalArgumentException("the user-session timeout must be positive (got " + timeout
                    + "): fix user-session.timeout in the job settings");
        }
        this.timeout = timeout.toMillis();
    }

    @Override
    long timerOf(UserState value) {
        return value.timer;
    }

    /**
     * Order of events with the same time: session_start, other events, logout, session_end. Compared
     * with equals, not a switch on the string: a switch hashes every event's type (a new String per
     * record), equals mostly stops at the length.
     */
    static int rank(String type) {
        if ("session_start".equals(type)) {
            return START_RANK;
        }
        if ("logout".equals(type)) {
            return LOGOUT_RANK;
        }
        return "session_end".equals(type) ? END_RANK : OTHER_RANK;
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<UserSession> out) throws Exception {
        long time = activity.eventTime;
        if (time <= ctx.timerService().currentWatermark()) {
            ctx.output(LATE, activity);
            return;
        }
        UserState user = state.value();
        if (user == null) {
            user = new UserState();
        }
        int rank = rank(activity.eventType);
        boolean appended = insert(user, time, rank) == user.size - 2;
        if (user.size > 2 * MAX_BUFFERED) {
            long[] p = user.pending;
            apply(ctx.getCurrentKey(), user, p[0], p[1], out);
            System.arraycopy(p, 2, p, 0, user.size - 2);
            user.size -= 2;
            overflow().inc();
            appended = false;
        }
        user.timer = KeyTimer.by(timers, user.timer, appended ? dueAfterAppend(user, time, rank) : nextDue(user));
        state.update(user);
    }

    private org.apache.flink.metrics.Counter overflow() {
        if (overflow == null) {
            overflow = getRuntimeContext().getMetricGroup().counter("sessionBufferOverflow");
        }
        return overflow;
    }

    @Override
    void onKeyTimer(UserState user, OnTimerContext ctx, Collector<UserSession> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        String key = ctx.getCurrentKey();
        long[] p = user.pending;
        int applied = 0;
        while (applied < user.size && p[applied] <= watermark) {
            apply(key, user, p[applied], p[applied + 1], out);
            applied += 2;
        }
        if (user.count > 0 && user.last + timeout <= watermark) {
            close(key, user, user.last, TIMEOUT, out);
        }
        if (applied > 0) {
            System.arraycopy(p, applied, p, 0, user.size - applied);
            user.size -= applied;
        }
        long next = nextDue(user);
        if (next == Long.MAX_VALUE) {
            state.clear();
            return;
        }
        user.timer = KeyTimer.move(timers, next);
        state.update(user);
    }

    /**
     * The earliest watermark at which applying the buffered events can close a session (or must,
     * to keep the buffer short): the first buffered session_start, logout or session_end; the end of
     * the first gap of the timeout or more (last event before it + timeout); else the last event +
     * the timeout. Long.MAX_VALUE when nothing is buffered or open. An earlier timer (the due time
     * moved later, as when an arrival bridges a gap) only applies what the watermark has passed.
     */
    long nextDue(UserState user) {
        long[] p = user.pending;
        boolean any = user.count > 0;
        long last = user.last;
        long due = Long.MAX_VALUE;
        for (int i = 0; i < user.size; i += 2) {
            if (any && p[i] - last >= timeout) {
                due = last + timeout;
                break;
            }
            if (p[i + 1] != OTHER_RANK) {
                due = p[i];
                break;
            }
            any = true;
            last = p[i];
        }
        if (due == Long.MAX_VALUE && any) {
            due = last + timeout;
        }
        return user.size >= 2 * MAX_PENDING ? Math.min(due, p[0]) : due;
    }

    /**
     * For an event appended after every buffered one: a time the timer must come by, so that it is
     * still at or before {@link #nextDue}, without the scan. The timer only moves earlier
     * ({@link KeyTimer#by}) and was at or before the due time before the append; an append leaves
     * the first closing point where it was, moves a trailing "last + timeout" later, or (a
     * session_start, logout or session_end) makes its own time the due time.
     */
    private long dueAfterAppend(UserState user, long time, int rank) {
        long due = rank != OTHER_RANK ? time : time + timeout;
        return user.size >= 2 * MAX_PENDING ? Math.min(due, user.pending[0]) : due;
    }

    /** Applies one event, in event-time order, to the open session. */
    private void apply(String key, UserState user, long time, long rank, Collector<UserSession> out) {
        if (user.count > 0 && time - user.last >= timeout) {
            close(key, user, user.last, TIMEOUT, out);
        }
        if (rank == START_RANK && user.count > 0) {
            close(key, user, user.last, SUPERSEDED, out);
        }
        if (user.count == 0) {
            user.start = time;
        }
        user.last = time;
        user.count++;
        if (rank == LOGOUT_RANK || rank == END_RANK) {
            close(key, user, time, ENDED, out);
        }
    }

    private static void close(String key, UserState user, long end, String reason, Collector<UserSession> out) {
        out.collect(new UserSession(key, user.start, end, (end - user.start) / 1000, user.count, reason));
        user.count = 0;
    }

    /**
     * Inserts (time, rank) into the user's sorted pairs, after equal pairs (usually an append), in
     * place while there is room; returns the offset it went to.
     */
    static int insert(UserState user, long time, long rank) {
        long[] p = user.pending;
        int at = user.size;
        while (at > 0 && (p[at - 2] > time || (p[at - 2] == time && p[at - 1] > rank))) {
            at -= 2;
        }
        if (user.size + 2 > p.length) {
            p = Arrays.copyOf(p, Math.max(8, p.length * 2));
            user.pending = p;
        }
        System.arraycopy(p, at, p, at + 2, user.size - at);
        p[at] = time;
        p[at + 1] = rank;
        user.size += 2;
        return at;
    }
}
