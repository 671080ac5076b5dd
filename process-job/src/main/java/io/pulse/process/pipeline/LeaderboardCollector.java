package io.pulse.process.pipeline;

import io.pulse.process.model.LeaderboardWindow;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Second half of the leaderboard, keyed by window start: sums the scores per content of one window
 * and emits the whole window when the watermark passes its end, so the sink can write it whole.
 */
public final class LeaderboardCollector
        extends KeyedProcessFunction<Long, LeaderboardWindowAssigner.WindowScore, LeaderboardWindow> {
    private final long size;
    private transient MapState<String, Double> sums;

    public LeaderboardCollector(Duration size) {
        this.size = size.toMillis();
    }

    @Override
    public void open(Configuration parameters) {
        sums = getRuntimeContext().getMapState(new MapStateDescriptor<>("scores", Types.STRING, Types.DOUBLE));
    }

    @Override
    public void processElement(LeaderboardWindowAssigner.WindowScore s, Context ctx, Collector<LeaderboardWindow> out) throws Exception {
        Double sum = sums.get(s.contentId);
        sums.put(s.contentId, sum == null ? s.score : sum + s.score);
        ctx.timerService().registerEventTimeTimer(s.windowStart + size - 1);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<LeaderboardWindow> out) throws Exception {
        Map<String, Double> scores = new HashMap<>();
        for (Map.Entry<String, Double> e : sums.entries()) {
            scores.put(e.getKey(), e.getValue());
        }
        long start = ctx.getCurrentKey();
        out.collect(new LeaderboardWindow(start, start + size, scores));
        sums.clear();
    }
}
