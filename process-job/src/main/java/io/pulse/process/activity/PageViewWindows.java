package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.model.Activity;
import io.pulse.process.model.PageViewCount;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * page_view_counts, second half, keyed by page: adds up the tallies ({@link PageViewTallies}) that
 * every per-user subtask sends per page and 1-minute window, with the window semantics of
 * {@link TumblingWindowsFunction} (Flink's tumbling windows; the two halves together are checked
 * against them in SessionOperatorsRandomizedTest). Lateness is decided where the events are, in
 * the tallies; a tally always comes before the watermark of its subtask that closes its window, so
 * none finds its window ended here. Should one ever (a broken invariant, not data), it is counted (metric
 * {@code lateTallies}) and logged with its window, page and views, and the row is not touched.
 */
public final class PageViewWindows extends TumblingWindowsFunction<PageViewCount, PageViewCount> {
    private static final Logger LOG = LoggerFactory.getLogger(PageViewWindows.class);
    public static final String PAGE_VIEW = "page_view";
    private static final int COUNT = 1;
    private static final String NO_TAG = "";

    private transient Counter lateTallies;

    public PageViewWindows(Duration size, Duration allowedLateness) {
        super("page_view_counts", "page-view-windows", size, allowedLateness);
    }

    /** What page_view_counts counts. */
    public static boolean isPageView(Activity a) {
        return PAGE_VIEW.equals(a.eventType) && a.page != null;
    }

    @Override
    public void open(Configuration parameters) {
        super.open(parameters);
        lateTallies = getRuntimeContext().getMetricGroup().addGroup("operator", OperatorNames.PAGE_VIEW_COUNTS).counter("lateTallies");
    }

    @Override
    int stride() {
        return 3;
    }

    @Override
    long timeOf(PageViewCount tally) {
        return tally.windowStart();
    }

    @Override
    void late(PageViewCount tally, long watermark, Context ctx) {
        lateTallies.inc();
        LOG.error("page_view_counts: a tally of {} views of {} for the window at {} came after the window ended here (watermark {}); "
                + "its row is not updated. The per-user operator sends its tallies before each watermark and never passes idleness on, "
                + "so this is a bug: please report it with this line", tally.views(), tally.page(), tally.windowStart(), watermark);
    }

    @Override
    String tag(PageViewCount tally) {
        return NO_TAG;
    }

    @Override
    void init(long[] w, int at) {
        // a count starts at zero
    }

    @Override
    void add(long[] w, int at, PageViewCount tally) {
        w[at + COUNT] += tally.views();
    }

    @Override
    PageViewCount row(String page, String tag, long[] w, int i) {
        return new PageViewCount(w[i + START], page, w[i + START] + size, w[i + COUNT]);
    }
}
