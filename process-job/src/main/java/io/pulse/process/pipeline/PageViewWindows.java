package io.pulse.process.pipeline;

import io.pulse.process.model.Activity;
import io.pulse.process.model.PageViewCount;
import java.time.Duration;
import org.apache.flink.util.OutputTag;

/**
 * page_view_counts: the number of page views per page in tumbling windows, keyed by page; window
 * semantics as {@link TumblingWindowsFunction} (Flink's tumbling windows, checked against them in
 * SessionOperatorsRandomizedTest).
 */
public final class PageViewWindows extends TumblingWindowsFunction<PageViewCount> {
    public static final String PAGE_VIEW = "page_view";
    private static final int COUNT = 1;
    private static final String NO_TAG = "";

    public PageViewWindows(Duration size, Duration allowedLateness, OutputTag<Activity> late) {
        super("page_view_counts", "page-view-windows", size, allowedLateness, late);
    }

    /** What page_view_counts counts. */
    public static boolean isPageView(Activity a) {
        return PAGE_VIEW.equals(a.eventType) && a.page != null;
    }

    @Override
    int stride() {
        return 3;
    }

    @Override
    String tag(Activity a) {
        return NO_TAG;
    }

    @Override
    void init(long[] w, int at) {
        // a count starts at zero
    }

    @Override
    void add(long[] w, int at, Activity a) {
        w[at + COUNT]++;
    }

    @Override
    PageViewCount row(String page, String tag, long[] w, int i) {
        return new PageViewCount(w[i + START], page, w[i + START] + size, w[i + COUNT]);
    }
}
