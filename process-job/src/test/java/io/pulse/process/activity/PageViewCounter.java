package io.pulse.process.activity;

import io.pulse.process.model.PageViewCount;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * page_view_counts rows from the per-page, per-window counts of {@link EventCounter}: with Flink's
 * tumbling window operator, what the job ran before {@link PageViewWindows}, now its test reference.
 */
public final class PageViewCounter extends ProcessWindowFunction<Long, PageViewCount, String, TimeWindow> {
    @Override
    public void process(String page, Context ctx, Iterable<Long> counts, Collector<PageViewCount> out) {
        out.collect(new PageViewCount(ctx.window().getStart(), page, ctx.window().getEnd(), counts.iterator().next()));
    }
}
