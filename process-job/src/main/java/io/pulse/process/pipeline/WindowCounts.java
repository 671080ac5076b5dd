package io.pulse.process.pipeline;

import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.flink.api.java.tuple.Tuple2;

/**
 * Counts per window start, between two emissions: what {@link ActiveUserSlides} holds back for a
 * subtask's users, and {@link PageViewTallies} for each page (a handful of open windows at a time,
 * so a scan, no map).
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

    /** Each window's count as (start, count), in the order the windows first came; then none is held. */
    void emit(Consumer<Tuple2<Long, Long>> out) {
        for (int i = 0; i < size; i++) {
            out.accept(Tuple2.of(starts[i], counts[i]));
        }
        size = 0;
    }
}
