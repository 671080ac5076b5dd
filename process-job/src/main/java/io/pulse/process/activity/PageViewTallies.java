package io.pulse.process.activity;

import io.pulse.process.model.Activity;
import io.pulse.process.model.PageViewCount;
import io.pulse.runtime.CachingKeyedProcessOperator;
import io.pulse.runtime.KeyedCache;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * page_view_counts, first half, in the per-user operator (behind the shuffle by user, beside the
 * other per-user outputs): the subtask's page views counted per (page, 1-minute window) and sent as
 * {@link PageViewCount} tallies before the watermark that closes the window, and before each
 * watermark status and checkpoint barrier and at the end ({@link CachingKeyedProcessOperator.HeldOutput}):
 * one tally per page and window in between, not one per watermark. {@link PageViewWindows}, keyed by
 * page, adds up every subtask's tallies. Only the tallies cross the shuffle by page, not the events
 * (about half of all events are page views).
 *
 * <p>Lateness is decided here, as Flink's tumbling windows decide it: an event whose window has
 * ended (last millisecond + allowed lateness at or behind the watermark) goes to the late output
 * and is not counted; within allowed lateness it is counted and {@link PageViewWindows} updates the
 * row. This task's watermark is the minimum over the same source subtasks the page task's was when
 * it read the events itself. A tally always precedes this subtask's first watermark that closes its
 * window (or, for a count within allowed lateness, the next watermark), and the operator passes no
 * idleness on ({@link CachingKeyedProcessOperator}), so {@link PageViewWindows}'s watermark never
 * passes this subtask's: no tally it gets is for a window it has already closed.
 * Nothing is keyed state: what is held goes out before every barrier.
 */
public final class PageViewTallies extends KeyedProcessFunction<String, Activity, PageViewCount>
        implements CachingKeyedProcessOperator.OwnTimers, CachingKeyedProcessOperator.HeldOutput<PageViewCount> {
    private final long size;
    private final long allowedLateness;
    private final OutputTag<Activity> late;
    /** Page views since the last emission, per page and window start. */
    private transient Map<String, WindowCounts> tallies;

    public PageViewTallies(Duration size, Duration allowedLateness, OutputTag<Activity> late) {
        if (size.toMillis() <= 0 || allowedLateness.isNegative()) {
            throw new IllegalArgumentException("page_view_counts window size must be positive and allowed lateness not negative (got "
                    + size + ", " + allowedLateness + "): fix lateness.allowed in the job settings");
        }
        this.size = size.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
        this.late = late;
    }

    @Override
    public void open(OpenContext openContext) {
        tallies = new HashMap<>();
    }

    @Override
    public void processElement(Activity a, Context ctx, Collector<PageViewCount> out) {
        if (!PageViewWindows.isPageView(a)) {
            return;
        }
        long start = TimeWindow.getWindowStartWithOffset(a.eventTime, 0, size);
        if (TumblingWindowsFunction.cleanupTime(start + size - 1, allowedLateness) <= ctx.timerService().currentWatermark()) {
            ctx.output(late, a);
            return;
        }
        WindowCounts page = tallies.get(a.page);
        if (page == null) {
            page = new WindowCounts();
            tallies.put(a.page, page);
        }
        page.add(start);
    }

    @Override
    public void emitHeld(long watermark, CachingKeyedProcessOperator.Emitter<PageViewCount> out) {
        if (tallies.isEmpty()) {
            return;
        }
        Iterator<Map.Entry<String, WindowCounts>> pages = tallies.entrySet().iterator();
        while (pages.hasNext()) {
            Map.Entry<String, WindowCounts> entry = pages.next();
            String page = entry.getKey();
            WindowCounts windows = entry.getValue();
            windows.emit(watermark, size, w -> out.collect(new PageViewCount(w.f0, page, w.f0 + size, w.f1)));
            if (windows.isEmpty()) {
                pages.remove(); // pages come and go: none is kept without a count
            }
        }
    }

    /** No keyed state. */
    @Override
    public List<KeyedCache> caches() {
        return List.of();
    }

    /** No timers. */
    @Override
    public void bind(CachingKeyedProcessOperator.OwnTimerQueue queue) {}

    @Override
    public List<CachingKeyedProcessOperator.TimerState> timerStates() {
        return List.of();
    }
}
