package io.pulse.process.source;

import io.pulse.process.model.DecodedRecord;
import io.pulse.process.model.Engagement;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Engagement changes the edge rejected go to the dead-letter side output, counted per reason
 * (metrics {@code engagementDeadLetters} and {@code engagementDeadLetters_<REASON>}); the others go on.
 */
public final class EngagementGate extends ProcessFunction<Engagement, Engagement> {
    private transient Counter total;
    private transient Map<String, Counter> byReason;

    @Override
    public void open(Configuration parameters) {
        total = getRuntimeContext().getMetricGroup().counter("engagementDeadLetters");
        byReason = new HashMap<>();
    }

    @Override
    public void processElement(Engagement e, Context ctx, Collector<Engagement> out) {
        if (e.rejected == null) {
            out.collect(e);
            return;
        }
        DecodedRecord dead = e.rejected;
        total.inc();
        byReason.computeIfAbsent(dead.reason, r -> getRuntimeContext().getMetricGroup().counter("engagementDeadLetters_" + r)).inc();
        ctx.output(DeadLetterRouter.DEAD_LETTERS, dead);
    }
}
