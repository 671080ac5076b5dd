package io.pulse.process.activity;

import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.flink.api.java.tuple.Tuple2;

/**
 * Counts per window start, until the watermark closes the window: what {@link ActiveUserSlides}
 * holds back for a subtask's users, and {@link PageViewTallies} for each page (a handful of open
 * windows at a time, so a scan, no map).
 */
final class WindowCounts {
    private long[] starts = new long[8];
    private long[] counts = new long[8];
    private int size;

    void add(long start) {
        for (int i = 0; i < size; i++) {
            if (starts[i] == start) {
                counts[i]++;
                return;
            }
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
            counts = Arrays.copyOf(counts, size * 2);
        }
        starts[size] = start;
        counts[size++] = 1;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * The count of each window of {@code windowSize} that the watermark closes (its last millisecond
     * at or behind it; every window for Long.MAX_VALUE, the operator's {@code EVERYTHING}) as
     * (start, count), in the order the windows first came; those are no longer held. A window still
     * open keeps adding up: its count goes out once, when its watermark comes, not at every one.
     */
    void emit(long watermark, long windowSize, Consumer<Tuple2<Long, Long>> out) {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            if (starts[i] + windowSize - 1 <= watermark) {
                out.accept(Tuple2.of(starts[i], counts[i]));
            } else {
                starts[kept] = starts[i];
                counts[kept++] = counts[i];
            }
        }
        size = kept;
    }
}
