package io.pulse.process;

import io.pulse.process.model.Activity;
import java.time.Instant;
import java.util.function.Function;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/** Readable times and events for the operator tests. */
public final class Fixtures {
    public static final long BEGINNING = Instant.parse("2025-07-24T12:00:00Z").toEpochMilli();
    public static final long ONE_SECOND = 1000;
    public static final long ONE_MINUTE = 60 * ONE_SECOND;

    public static long at(long minutes) {
        return BEGINNING + minutes * ONE_MINUTE;
    }

    public static long atSeconds(long seconds) {
        return BEGINNING + seconds * ONE_SECOND;
    }

    private static int ids;

    public static Activity event(String user, String type, long time) {
        return Activity.of("e-" + (++ids), user, type, time).withDevice("iPhone");
    }

    public static StreamRecord<Activity> record(Activity a) {
        return new StreamRecord<>(a, a.eventTime);
    }

    /**
     * A harness around the keyed operator that {@code build} puts on a stream of activities: the
     * production wiring of a window, taken from its transformation.
     */
    @SuppressWarnings("unchecked")
    public static <K, R> KeyedOneInputStreamOperatorTestHarness<K, Activity, R> harnessOf(
            Function<DataStream<Activity>, SingleOutputStreamOperator<R>> build, TypeInformation<K> keyType) throws Exception {
        OneInputTransformation<Activity, R> window = transformationOf(build);
        OneInputStreamOperator<Activity, R> operator = window.getOperator();
        KeySelector<Activity, K> key = (KeySelector<Activity, K>) window.getStateKeySelector();
        KeyedOneInputStreamOperatorTestHarness<K, Activity, R> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(operator, key, keyType);
        harness.open();
        return harness;
    }

    /** The transformation (a new operator instance each call) that {@code build} puts on a stream of activities. */
    @SuppressWarnings("unchecked")
    public static <R> OneInputTransformation<Activity, R> transformationOf(Function<DataStream<Activity>, SingleOutputStreamOperator<R>> build) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Activity> input = env.fromData(Activity.TYPE, event("nobody", "none", 0));
        return (OneInputTransformation<Activity, R>) build.apply(input).getTransformation();
    }

    private Fixtures() {}
}
