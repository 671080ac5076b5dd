package io.pulse.process.engagement;

import io.pulse.process.model.ContentScore;
import io.pulse.process.model.Engagement;
import java.time.Duration;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns the upsert stream of engagement_events (keyed by event_id: a new value or a deletion) into
 * score changes, so the leaderboard holds the score of each event's current value exactly once: the
 * first value adds its score, an update takes the previous contribution back and adds the new one, a
 * delete takes it back. The last value of an event is kept until every window that can contain it
 * has closed (event time + window size + allowed lateness); a change after that is late for those
 * windows anyway and goes to late_events through the window assigner.
 */
public final class EngagementChangelog extends KeyedProcessFunction<String, Engagement, ContentScore> {
    private final EngagementScorer scorer;
    private final long retention;
    private transient ValueState<ContentScore> current;

    public EngagementChangelog(EngagementScorer scorer, Duration windowSize, Duration allowedLateness) {
        this.scorer = scorer;
        this.retention = windowSize.plus(allowedLateness).toMillis();
    }

    @Override
    public void open(Configuration parameters) {
        current = getRuntimeContext().getState(new ValueStateDescriptor<>("current", ContentScore.TYPE));
    }

    @Override
    public void processElement(Engagement e, Context ctx, Collector<ContentScore> out) throws Exception {
        ContentScore previous = current.value();
        if (e.deleted) {
            if (previous != null) {
                out.collect(previous.retraction());
                clear(previous, ctx);
            }
            return;
        }
        ContentScore next = new ContentScore(e.eventId, e.userId, e.eventType, e.contentId, e.eventTime,
                scorer.score(e.eventType), 1);
        if (previous != null) {
            if (previous.sameContribution(next)) {
                current.update(next);
                return;
            }
            out.collect(previous.retraction());
            ctx.timerService().deleteEventTimeTimer(expiry(previous));
        }
        current.update(next);
        ctx.timerService().registerEventTimeTimer(expiry(next));
        out.collect(next);
    }

    private long expiry(ContentScore s) {
        return s.eventTime + retention;
    }

    private void clear(ContentScore previous, Context ctx) {
        ctx.timerService().deleteEventTimeTimer(expiry(previous));
        current.clear();
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ContentScore> out) {
        current.clear();
    }
}
