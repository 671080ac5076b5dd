package io.pulse.process.time;

import io.pulse.process.model.Activity;
import io.pulse.process.model.LateActivity;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Names the operator a late activity missed and counts it (metric {@code lateEvents}, per operator). */
public final class LateEventTagger extends ProcessFunction<Activity, LateActivity> {
    private final String operator;
    private transient Counter late;

    public LateEventTagger(String operator) {
        this.operator = operator;
    }

    @Override
    public void open(Configuration parameters) {
        late = getRuntimeContext().getMetricGroup().addGroup("operator", operator).counter("lateEvents");
    }

    @Override
    public void processElement(Activity activity, Context ctx, Collector<LateActivity> out) {
        late.inc();
        out.collect(new LateActivity(operator, activity, ctx.timerService().currentWatermark()));
    }
}
