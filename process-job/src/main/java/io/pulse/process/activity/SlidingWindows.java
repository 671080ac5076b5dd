package io.pulse.process.activity;

import java.io.Serializable;
import java.time.Duration;

/**
 * Epoch-aligned, half-open sliding (HOP) windows: which windows contain a time, and whether a
 * window can still take elements at a watermark. Shared by the operators that assign sliding
 * windows themselves so that partly-late events are routed, not dropped (active_users, leaderboard).
 */
public final class SlidingWindows implements Serializable {
    private static final long serialVersionUID = 1L;
    public final long size;
    public final long slide;
    public final long allowedLateness;

    public SlidingWindows(Duration size, Duration slide, Duration allowedLateness) {
        if (size.toMillis() % slide.toMillis() != 0) {
            throw new IllegalArgumentException("window size " + size + " must be a multiple of the slide " + slide);
        }
        this.size = size.toMillis();
        this.slide = slide.toMillis();
        this.allowedLateness = allowedLateness.toMillis();
    }

    /** Start of the latest window containing t; the others start slide, 2 slide, ... earlier. */
    public long lastStart(long t) {
        return t - Math.floorMod(t, slide);
    }

    /** True while start is a window containing t (iterate from lastStart(t) down by slide). */
    public boolean contains(long start, long t) {
        return start > t - size;
    }

    /** A window is closed for good once the watermark passed its last millisecond plus the allowed lateness. */
    public boolean isClosed(long start, long watermark) {
        return start + size - 1 + allowedLateness <= watermark;
    }
}
