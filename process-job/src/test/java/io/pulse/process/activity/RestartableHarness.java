package io.pulse.process.activity;

import io.pulse.process.model.Activity;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * A keyed operator under test that can fail over mid-stream: {@link #restart()} checkpoints it the
 * way a task does (prepareSnapshotPreBarrier, then the snapshot), drops the instance and restores a
 * new one from that checkpoint, then re-sends the last watermark, as the job's watermark keeper
 * does after a restore. Output and late records are kept across restarts.
 */
final class RestartableHarness<K, R> {
    private final Supplier<OneInputStreamOperator<Activity, R>> operators;
    private final KeySelector<Activity, K> key;
    private final TypeInformation<K> keyType;
    private final OutputTag<Activity> late;
    private final List<R> output = new ArrayList<>();
    private final List<Activity> lateRecords = new ArrayList<>();
    /** Side outputs kept across restarts besides the late one ({@link #keep}). */
    private final java.util.Map<OutputTag<?>, List<Object>> kept = new java.util.LinkedHashMap<>();
    private KeyedOneInputStreamOperatorTestHarness<K, Activity, R> harness;
    private long watermark = Long.MIN_VALUE;
    private long checkpoints;
    private int restarts;

    RestartableHarness(Supplier<OneInputStreamOperator<Activity, R>> operators, KeySelector<Activity, K> key,
                       TypeInformation<K> keyType, OutputTag<Activity> late) throws Exception {
        this.operators = operators;
        this.key = key;
        this.keyType = keyType;
        this.late = late;
        start(null);
    }

    private void start(OperatorSubtaskState restoreFrom) throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(operators.get(), key, keyType);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        if (restoreFrom != null && watermark != Long.MIN_VALUE) {
            harness.processWatermark(watermark);
        }
    }

    void processElement(Activity a) throws Exception {
        harness.processElement(new StreamRecord<>(a, a.eventTime));
    }

    void processWatermark(long time) throws Exception {
        watermark = time;
        harness.processWatermark(time);
    }

    /** Checkpoints the operator as a task does and continues on a new instance restored from it. */
    void restart() throws Exception {
        OperatorSubtaskState checkpoint = checkpoint();
        keepOutput();
        harness.close();
        restarts++;
        start(checkpoint);
    }

    /** Checkpoints as a task does: what the state backend holds afterwards is what a restore would see. */
    OperatorSubtaskState checkpoint() throws Exception {
        long id = ++checkpoints;
        harness.prepareSnapshotPreBarrier(id);
        return harness.snapshot(id, id);
    }

    /** Keeps the records of a side output across restarts, from now on ({@link #sideOutput}). */
    RestartableHarness<K, R> keep(OutputTag<?> tag) {
        kept.put(tag, new ArrayList<>());
        return this;
    }

    /** Every record of a kept side output so far, over all restarts. */
    @SuppressWarnings("unchecked")
    <T> List<T> sideOutput(OutputTag<T> tag) {
        List<T> all = new ArrayList<>((List<T>) kept.get(tag));
        if (harness.getSideOutput(tag) != null) {
            harness.getSideOutput(tag).forEach(r -> all.add(r.getValue()));
        }
        return all;
    }

    private void keepOutput() {
        kept.forEach((tag, records) -> {
            if (harness.getSideOutput(tag) != null) {
                harness.getSideOutput(tag).forEach(r -> records.add(r.getValue()));
            }
        });
        output.addAll(harness.extractOutputValues());
        if (harness.getSideOutput(late) != null) {
            harness.getSideOutput(late).forEach(r -> lateRecords.add(r.getValue()));
        }
    }

    /** Every row emitted so far, over all restarts. */
    List<R> output() {
        List<R> all = new ArrayList<>(output);
        all.addAll(harness.extractOutputValues());
        return all;
    }

    /** Every late record routed so far, over all restarts. */
    List<Activity> late() {
        List<Activity> all = new ArrayList<>(lateRecords);
        if (harness.getSideOutput(late) != null) {
            harness.getSideOutput(late).forEach(r -> all.add(r.getValue()));
        }
        return all;
    }

    int restarts() {
        return restarts;
    }

    /** Keyed state entries and timers left once a checkpoint has flushed every cache. */
    int stateEntriesAfterCheckpoint() throws Exception {
        checkpoint();
        return harness.numKeyedStateEntries();
    }

    int eventTimeTimers() throws Exception {
        return PendingTimers.of(harness);
    }

    void close() throws Exception {
        harness.close();
    }
}
