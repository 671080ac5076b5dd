package io.pulse.process.activity;

import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionKpi;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The reference for session_kpis in tests: the seed-000 KPIs as an aggregate for Flink's own
 * tumbling window operator (what the job ran before {@link SessionKpiWindows}).
 */
final class SessionKpiAggregator implements AggregateFunction<Activity, SessionKpiAggregator.Acc, SessionKpiAggregator.Acc> {
    /** The running KPIs. */
    public static class Acc {
        public String userId;
        public String device;
        public long first = Long.MAX_VALUE;
        public long last = Long.MIN_VALUE;
        public boolean login;
        public boolean purchase;
        public long count;
    }

    @Override
    public Acc createAccumulator() {
        return new Acc();
    }

    @Override
    public Acc add(Activity a, Acc acc) {
        acc.userId = a.userId;
        acc.device = a.deviceOrUnknown();
        acc.first = Math.min(acc.first, a.eventTime);
        acc.last = Math.max(acc.last, a.eventTime);
        acc.login |= "login".equals(a.eventType);
        acc.purchase |= "purchase".equals(a.eventType);
        acc.count++;
        return acc;
    }

    @Override
    public Acc getResult(Acc acc) {
        return acc;
    }

    @Override
    public Acc merge(Acc a, Acc b) {
        Acc m = new Acc();
        m.userId = a.userId != null ? a.userId : b.userId;
        m.device = a.device != null ? a.device : b.device;
        m.first = Math.min(a.first, b.first);
        m.last = Math.max(a.last, b.last);
        m.login = a.login || b.login;
        m.purchase = a.purchase || b.purchase;
        m.count = a.count + b.count;
        return m;
    }

    /** Adds the window bounds and turns the KPIs into a row. */
    public static final class ToRow extends ProcessWindowFunction<Acc, SessionKpi, String, TimeWindow> {
        @Override
        public void process(String key, Context ctx, Iterable<Acc> results, Collector<SessionKpi> out) {
            Acc acc = results.iterator().next();
            TimeWindow w = ctx.window();
            out.collect(new SessionKpi(SessionKpiWindows.sessionId(acc.userId, w.getStart()), acc.device, acc.userId, w.getStart(), w.getEnd(),
                    acc.first, acc.last, (acc.last - acc.first) / 1000, acc.login, acc.purchase, acc.count));
        }
    }
}
