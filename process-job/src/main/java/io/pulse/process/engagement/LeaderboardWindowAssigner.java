package io.pulse.process.engagement;

import io.pulse.process.activity.SlidingWindows;
import io.pulse.process.model.ContentScore;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * First half of the leaderboard: puts each content score into every HOP window (10 min / 1 min by
 * default) that contains it and is still open; a score that misses a closed window goes to the late
 * output once (as with active_users, nothing is dropped silently).
 */
public final class LeaderboardWindowAssigner extends ProcessFunction<ContentScore, LeaderboardWindowAssigner.WindowScore> {
    public static final String OPERATOR = "leaderboard";
    public static final OutputTag<ContentScore> LATE = new OutputTag<>("late-" + OPERATOR, ContentScore.TYPE);

    /** One score in one window. */
    public static class WindowScore {
        public long windowStart;
        public String contentId;
        public double score;
        public int count;

        public static final TypeInformation<WindowScore> TYPE = Types.POJO(WindowScore.class, Map.of(
                "windowStart", Types.LONG, "contentId", Types.STRING, "score", Types.DOUBLE, "count", Types.INT));

        public WindowScore() {}

        public WindowScore(long windowStart, String contentId, double score) {
            this(windowStart, contentId, score, 1);
        }

        public WindowScore(long windowStart, String contentId, double score, int count) {
            this.windowStart = windowStart;
            this.contentId = contentId;
            this.score = score;
            this.count = count;
        }
    }

    private final SlidingWindows windows;

    public LeaderboardWindowAssigner(Duration size, Duration slide, Duration allowedLateness) {
        this.windows = new SlidingWindows(size, slide, allowedLateness);
    }

    @Override
    public void processElement(ContentScore s, Context ctx, Collector<WindowScore> out) {
        long watermark = ctx.timerService().currentWatermark();
        boolean missedOne = false;
        for (long start = windows.lastStart(s.eventTime); windows.contains(start, s.eventTime); start -= windows.slide) {
            if (windows.isClosed(start, watermark)) {
                missedOne = true;
            } else {
                out.collect(new WindowScore(start, s.contentId, s.score, s.count));
            }
        }
        if (missedOne) {
            ctx.output(LATE, s);
        }
    }
}
