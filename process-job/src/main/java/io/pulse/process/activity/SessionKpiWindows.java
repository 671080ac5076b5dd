package io.pulse.process.activity;

import io.pulse.process.ProcessPipeline;
import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionKpi;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.flink.util.OutputTag;

/**
 * session_kpis (seed 000): tumbling windows per (user, device) holding the first and last event
 * time, login and purchase flags and the number of actions; one row per window, session_id =
 * user_id + '_' + yyyyMMddHHmmss of the window start (UTC). Keyed by user (so it shares one
 * partitioning with the other per-user operators, see {@link ProcessPipeline#byUser}), the device
 * is each window's tag; window semantics as {@link TumblingWindowsFunction}.
 */
public final class SessionKpiWindows extends TumblingWindowsFunction<Activity, SessionKpi> {
    private static final DateTimeFormatter SESSION_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
    private static final int FIRST = 1;
    private static final int LAST = 2;
    private static final int COUNT = 3;
    private static final int FLAGS = 4;
    private static final long LOGIN = 1;
    private static final long PURCHASE = 2;

    private final OutputTag<Activity> late;
    /** The window start of the last row and its text: the rows of one watermark share a few starts. */
    private transient long lastStart = Long.MIN_VALUE;
    private transient String lastStartText;

    public SessionKpiWindows(Duration size, Duration allowedLateness, OutputTag<Activity> late) {
        super("session_kpis", "kpi-windows", size, allowedLateness);
        this.late = late;
    }

    /** session_id of seed 000: user_id + '_' + yyyyMMddHHmmss of the window start, UTC. */
    public static String sessionId(String userId, long windowStart) {
        return sessionId(userId, SESSION_ID_TIME.format(Instant.ofEpochMilli(windowStart)));
    }

    private static String sessionId(String userId, String windowStartText) {
        return userId + "_" + windowStartText;
    }

    @Override
    int stride() {
        return 5;
    }

    @Override
    long timeOf(Activity a) {
        return a.eventTime;
    }

    @Override
    void late(Activity a, long watermark, Context ctx) {
        ctx.output(late, a);
    }

    @Override
    String tag(Activity a) {
        return a.deviceOrUnknown();
    }

    @Override
    void init(long[] w, int at) {
        w[at + FIRST] = Long.MAX_VALUE;
        w[at + LAST] = Long.MIN_VALUE;
    }

    @Override
    void add(long[] w, int at, Activity a) {
        w[at + FIRST] = Math.min(w[at + FIRST], a.eventTime);
        w[at + LAST] = Math.max(w[at + LAST], a.eventTime);
        w[at + COUNT]++;
        if ("login".equals(a.eventType)) {
            w[at + FLAGS] |= LOGIN;
        } else if ("purchase".equals(a.eventType)) {
            w[at + FLAGS] |= PURCHASE;
        }
    }

    @Override
    SessionKpi row(String userId, String device, long[] w, int i) {
        long start = w[i + START];
        if (start != lastStart || lastStartText == null) {
            lastStartText = SESSION_ID_TIME.format(Instant.ofEpochMilli(start));
            lastStart = start;
        }
        return new SessionKpi(sessionId(userId, lastStartText), device, userId, start, start + size, w[i + FIRST], w[i + LAST],
                (w[i + LAST] - w[i + FIRST]) / 1000, (w[i + FLAGS] & LOGIN) != 0, (w[i + FLAGS] & PURCHASE) != 0, w[i + COUNT]);
    }
}
