package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.ProcessPipeline;
import io.pulse.process.model.Activity;
import io.pulse.process.model.PageViewCount;
import io.pulse.runtime.CachingKeyedProcessOperator;
import io.pulse.runtime.FusedFunctions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * page_view_counts' two halves as the job wires them, one subtask each: the tallies, keyed by
 * user, in a caching operator of their own (in the job they are a part of the per-user operator),
 * and {@link ProcessPipeline#pageViewCounts}, keyed by page, fed what the tallies send, in order,
 * before each watermark reaches it. {@link #restart()} fails both over from one checkpoint, as a job
 * does (the tallies' barrier output reaches the second half before its snapshot).
 */
final class PageViewStages {
    static final OutputTag<Activity> LATE = ProcessPipeline.lateTag(OperatorNames.PAGE_VIEW_COUNTS);

    private final Duration lateness;
    private final int cacheKeys;
    private final RestartableHarness<String, Void> tallies;
    private KeyedOneInputStreamOperatorTestHarness<String, PageViewCount, PageViewCount> windows;
    private final List<PageViewCount> rows = new ArrayList<>();
    private int talliesSent;
    private long watermark = Long.MIN_VALUE;
    private long checkpoints;
    private int restarts;

    PageViewStages(Duration lateness, int cacheKeys) throws Exception {
        this.lateness = lateness;
        this.cacheKeys = cacheKeys;
        this.tallies = new RestartableHarness<>(() -> new CachingKeyedProcessOperator<>(new FusedFunctions<>(
                new FusedFunctions.Part<>(new PageViewTallies(ProcessPipeline.PAGE_VIEW_WINDOW, lateness, LATE),
                        ProcessPipeline.PAGE_VIEW_TALLIES)), cacheKeys), a -> a.userId, Types.STRING, LATE)
                .keep(ProcessPipeline.PAGE_VIEW_TALLIES);
        this.windows = startWindows(null);
    }

    @SuppressWarnings("unchecked")
    private KeyedOneInputStreamOperatorTestHarness<String, PageViewCount, PageViewCount> startWindows(OperatorSubtaskState from)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TypeInformation<PageViewCount> type = TypeInformation.of(PageViewCount.class);
        var transformation = (OneInputTransformation<PageViewCount, PageViewCount>) ProcessPipeline.pageViewCounts(
                env.fromData(type, new PageViewCount(0, "nowhere", 1, 1)), lateness, cacheKeys).getTransformation();
        OneInputStreamOperator<PageViewCount, PageViewCount> operator = transformation.getOperator();
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator,
                (KeySelector<PageViewCount, String>) transformation.getStateKeySelector(), Types.STRING);
        if (from != null) {
            harness.initializeState(from);
        }
        harness.open();
        if (from != null && watermark != Long.MIN_VALUE) {
            harness.processWatermark(watermark); // as the watermark keeper does after a restore
        }
        return harness;
    }

    void processElement(Activity a) throws Exception {
        tallies.processElement(a);
    }

    /** The watermark through the tallies, then what they sent and the watermark through the second half. */
    void processWatermark(long time) throws Exception {
        watermark = time;
        tallies.processWatermark(time);
        forwardTallies();
        windows.processWatermark(time);
    }

    private void forwardTallies() throws Exception {
        List<PageViewCount> sent = tallies.sideOutput(ProcessPipeline.PAGE_VIEW_TALLIES);
        for (PageViewCount tally : sent.subList(talliesSent, sent.size())) {
            windows.processElement(new StreamRecord<>(tally, tally.windowStart()));
        }
        talliesSent = sent.size();
    }

    /** Both halves checkpoint at one barrier and fail over to new instances restored from it. */
    void restart() throws Exception {
        tallies.restart(); // its barrier output first
        forwardTallies();
        long id = ++checkpoints;
        windows.prepareSnapshotPreBarrier(id);
        OperatorSubtaskState checkpoint = windows.snapshot(id, id);
        rows.addAll(windows.extractOutputValues());
        windows.close();
        restarts++;
        windows = startWindows(checkpoint);
    }

    /** Every page_view_counts row so far, over all restarts, in order. */
    List<PageViewCount> rows() {
        List<PageViewCount> all = new ArrayList<>(rows);
        all.addAll(windows.extractOutputValues());
        return all;
    }

    /** Every tally sent so far. */
    List<PageViewCount> tallies() {
        return tallies.sideOutput(ProcessPipeline.PAGE_VIEW_TALLIES);
    }

    List<Activity> late() {
        return tallies.late();
    }

    int restarts() {
        return restarts;
    }

    /** Keyed state entries and timers the second half keeps once a checkpoint flushed its caches (the tallies keep none). */
    int stateLeft() throws Exception {
        windows.prepareSnapshotPreBarrier(++checkpoints);
        return windows.numKeyedStateEntries() + PendingTimers.of(windows) + tallies.stateEntriesAfterCheckpoint() + tallies.eventTimeTimers();
    }

    void close() throws Exception {
        tallies.close();
        windows.close();
    }
}
