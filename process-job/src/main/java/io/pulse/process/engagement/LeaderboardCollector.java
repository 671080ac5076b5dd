package io.pulse.process.engagement;

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
 * Second half of the leaderboard, keyed by window start: sums the score changes per content of one
 * window (with the number of events behind each sum, so a content whose events were all taken back
 * leaves the window) and emits the whole window when the watermark passes its end, so the sink can
 * write it whole.
 */
public final class LeaderboardCollector
        extends KeyedProcessFunction<Long, LeaderboardWindowAssigner.WindowScore, LeaderboardWindow> {
    private final long size;
    private transient MapState<String, double[]> sums; // content -> {score, events}

    public LeaderboardCollector(Duration size) {
        this.size = size.toMillis();
    }

    @Override
    public void open(Configuration parameters) {
        sums = getRuntimeContext().getMapState(new MapStateDescriptor<>("scores", Types.STRING,
                        org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(LeaderboardWindowAssigner.WindowScore s, Context ctx, Collector<LeaderboardWindow> out) throws Exception {
        double[] sum = sums.get(s.contentId);
        if (sum == null) {
            sum = new double[2];
        }
        sum[0] += s.score;
        sum[1] += s.count;
        sums.put(s.contentId, sum);
        ctx.timerService().registerEventTimeTimer(s.windowStart + size - 1);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<LeaderboardWindow> out) throws Exception {
        Map<String, Double> scores = new HashMap<>();
        for (Map.Entry<String, double[]> e : sums.entries()) {
            if (e.getValue()[1] > 0) {
                scores.put(e.getKey(), e.getValue()[0]);
            }
        }
        long start = ctx.getCurrentKey();
        out.collect(new LeaderboardWindow(start, start + size, scores));
        sums.clear();
    }
}
