package io.pulse.process.pipeline;

import io.pulse.process.model.SessionCount;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * aggregated_counts rows (seed 004): one per session window of a user, window = [first event,
 * last event + gap), group_key = user_id + ':' + window start in epoch ms.
 */
public final class SessionWindowCounter extends ProcessWindowFunction<Long, SessionCount, String, TimeWindow> {
    public static String groupKey(String userId, long windowStart) {
        return userId + ":" + windowStart;
    }

    @Override
    public void process(String userId, Context ctx, Iterable<Long> counts, Collector<SessionCount> out) {
        out.collect(new SessionCount(groupKey(userId, ctx.window().getStart()), counts.iterator().next(), ctx.window().getEnd()));
    }
}
