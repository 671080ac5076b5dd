package io.pulse.process.source;

import io.pulse.model.codec.RejectReason;
import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Valid activities go on; rejected records go to the dead-letter side output, counted per reason
 * (metrics {@code deadLetters} and {@code deadLetters_<REASON>}). Nothing stops the job.
 */
public final class DeadLetterRouter extends ProcessFunction<DecodedRecord, Activity> {
    public static final OutputTag<DecodedRecord> DEAD_LETTERS = new OutputTag<>("dead-letters", DecodedRecord.TYPE);

    private transient Counter total;
    private transient Map<RejectReason, Counter> byReason;

    @Override
    public void open(Configuration parameters) {
        total = getRuntimeContext().getMetricGroup().counter("deadLetters");
        byReason = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            byReason.put(reason, getRuntimeContext().getMetricGroup().counter("deadLetters_" + reason.name()));
        }
    }

    @Override
    public void processElement(DecodedRecord record, Context ctx, Collector<Activity> out) {
        if (record.isValid()) {
            out.collect(record.activity);
            return;
        }
        total.inc();
        Counter counter = byReason.get(RejectReason.valueOf(record.reason));
        if (counter != null) {
            counter.inc();
        }
        ctx.output(DEAD_LETTERS, record);
    }
}
