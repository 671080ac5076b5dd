package io.pulse.runtime;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed process functions over the same keyed input, run as one function by one
 * {@link CachingKeyedProcessOperator}: each record and each timer go to every part in turn, each
 * part's rows go to the side output named in its {@link Part}, and the parts' own side outputs (their
 * late records) pass through unchanged, or, with {@link LateRecords}, all go to one side output; so does what a part holds back
 * ({@link CachingKeyedProcessOperator.HeldOutput}), to its rows' side output. Each part behaves exactly as it would in an operator of its
 * own; what the parts share is the operator: one slot table for all their caches (one hash lookup
 * per record and timer instead of one per part), one timer queue, and no chained-operator hop per
 * part for every record.
 *
 * <p>Every part keeps its timers in its own state ({@link CachingKeyedProcessOperator.OwnTimers}) and
 * sets them on the operator's one queue under its own timer states; a timer fires for the part that
 * set it only (which ignores it, as on a queue of its own, when it was replaced). After a restore the
 * queue is rebuilt from every part's timer states.
 */
public final class FusedFunctions<K, IN> extends KeyedProcessFunction<K, IN, Void>
        implements CachingKeyedProcessOperator.OwnTimers, CachingKeyedProcessOperator.HeldOutput<Void> {
    private static final long serialVersionUID = 1L;

    /**
     * One function and the side output its rows go to; with {@link LateRecords}, also the side output
     * its late records go to ({@code late}, null: none) and the name they are tagged with.
     */
    public record Part<K, IN, OUT>(KeyedProcessFunction<K, IN, OUT> function, OutputTag<OUT> rows, OutputTag<IN> late, String name)
            implements Serializable {
        public Part {
            if (!(function instanceof CachingKeyedProcessOperator.OwnTimers)) {
                throw new IllegalArgumentException(function.getClass().getSimpleName()
                        + " keeps no timers of its own (CachingKeyedProcessOperator.OwnTimers): it cannot be fused");
            }
        }

        /** A part whose side outputs other than its rows pass through unchanged. */
        public Part(KeyedProcessFunction<K, IN, OUT> function, OutputTag<OUT> rows) {
            this(function, rows, null, null);
        }
    }

    /**
     * One side output for the late records of every part: each late record, with the name of the part
     * that did not count it and the watermark, becomes an {@code L} on {@link #tag()}; counted per
     * part name (metric {@code lateEvents} under {@code operator=<name>}). One output instead of one
     * per part: every row the operator emits is handed to each of its outputs in turn.
     */
    public interface LateRecords<IN, L> extends Serializable {
        OutputTag<L> tag();

        L of(String name, IN record, long watermark);
    }

    private final List<Part<K, IN, ?>> parts;
    private final LateRecords<IN, ?> lateRecords;
    private transient List<Runner<K, IN, ?>> runners;
    private transient CachingKeyedProcessOperator.OwnTimerQueue queue;
    /** For each of {@link #timerStates()}, the part it belongs to. */
    private transient int[] partOfState;

    @SafeVarargs
    public FusedFunctions(Part<K, IN, ?>... parts) {
        this(null, parts);
    }

    /** Parts whose late records ({@link Part#late()}) all go to {@code lateRecords}' one side output. */
    @SafeVarargs
    public FusedFunctions(LateRecords<IN, ?> lateRecords, Part<K, IN, ?>... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("nothing to fuse: give at least one part");
        }
        this.parts = List.of(parts);
        this.lateRecords = lateRecords;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        runners = new ArrayList<>(parts.size());
        for (Part<K, IN, ?> part : parts) {
            part.function().setRuntimeContext(getRuntimeContext());
            part.function().open(openContext);
            Late<IN, ?> late = lateRecords == null || part.late() == null ? null : new Late<>(part.late(), part.name(), lateRecords,
                    getRuntimeContext().getMetricGroup().addGroup("operator", part.name()).counter("lateEvents"));
            runners.add(new Runner<>(part, late));
        }
    }

    /** Where one part's late records go: tagged with its name onto the shared side output, counted. */
    private record Late<IN, L>(OutputTag<IN> tag, String name, LateRecords<IN, L> records, Counter counter) {
        /** True when the record was the part's late record and has been sent on. */
        @SuppressWarnings("unchecked")
        <X> boolean send(OutputTag<X> to, X value, KeyedProcessFunction<?, ?, Void>.Context ctx) {
            if (!tag.equals(to)) {
                return false;
            }
            counter.inc();
            ctx.output(records.tag(), records.of(name, (IN) value, ctx.timerService().currentWatermark()));
            return true;
        }
    }

    @Override
    public void close() throws Exception {
        for (Part<K, IN, ?> part : parts) {
            part.function().close();
        }
    }

    @Override
    public void processElement(IN value, Context ctx, Collector<Void> out) throws Exception {
        for (Runner<K, IN, ?> runner : runners) {
            runner.processElement(value, ctx);
        }
    }

    /** A timer of the queue goes to the part that set it; any other (none is set here) to every part. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Void> out) throws Exception {
        int state = queue == null ? -1 : queue.firing();
        if (state >= 0) {
            runners.get(partOfState[state]).onTimer(timestamp, ctx);
            return;
        }
        for (Runner<K, IN, ?> runner : runners) {
            runner.onTimer(timestamp, ctx);
        }
    }

    @Override
    public void emitHeld(long watermark, CachingKeyedProcessOperator.Emitter<Void> out) throws Exception {
        for (Part<K, IN, ?> part : parts) {
            emitHeld(part, watermark, out);
        }
    }

    /** What a part holds, if anything, to its rows' side output. */
    @SuppressWarnings("unchecked") // a HeldOutput part emits its own OUT
    private static <OUT> void emitHeld(Part<?, ?, OUT> part, long watermark, CachingKeyedProcessOperator.Emitter<Void> out)
            throws Exception {
        if (part.function() instanceof CachingKeyedProcessOperator.HeldOutput<?> held) {
            ((CachingKeyedProcessOperator.HeldOutput<OUT>) held).emitHeld(watermark, rowsOf(part, out));
        }
    }

    /** The emitter as a part sees it: its main output is its rows' side output. */
    private static <OUT> CachingKeyedProcessOperator.Emitter<OUT> rowsOf(Part<?, ?, OUT> part, CachingKeyedProcessOperator.Emitter<Void> out) {
        return new CachingKeyedProcessOperator.Emitter<>() {
            @Override
            public void collect(OUT value) {
                out.output(part.rows(), value);
            }

            @Override
            public <X> void output(OutputTag<X> tag, X value) {
                out.output(tag, value);
            }
        };
    }

    @Override
    public List<KeyedCache> caches() {
        List<KeyedCache> all = new ArrayList<>();
        for (Part<K, IN, ?> part : parts) {
            all.addAll(own(part).caches());
        }
        return all;
    }

    /** Each part sets its timers on the queue under its own timer states' indexes (in {@link #timerStates()}). */
    @Override
    public void bind(CachingKeyedProcessOperator.OwnTimerQueue queue) {
        this.queue = queue;
        partOfState = new int[timerStates().size()];
        int first = 0;
        for (int p = 0; p < parts.size(); p++) {
            CachingKeyedProcessOperator.OwnTimers part = own(parts.get(p));
            part.bind(shifted(queue, first));
            int states = part.timerStates().size();
            java.util.Arrays.fill(partOfState, first, first + states, p);
            first += states;
        }
    }

    /** The queue as a part sees it: its timer states numbered from 0. */
    private static CachingKeyedProcessOperator.OwnTimerQueue shifted(CachingKeyedProcessOperator.OwnTimerQueue queue, int first) {
        return new CachingKeyedProcessOperator.OwnTimerQueue() {
            @Override
            public KeyTimers of(int state) {
                return queue.of(first + state);
            }

            @Override
            public int firing() {
                int state = queue.firing();
                return state < 0 ? -1 : state - first;
            }
        };
    }

    @Override
    public List<CachingKeyedProcessOperator.TimerState> timerStates() {
        List<CachingKeyedProcessOperator.TimerState> all = new ArrayList<>();
        for (Part<K, IN, ?> part : parts) {
            all.addAll(own(part).timerStates());
        }
        return all;
    }

    private static CachingKeyedProcessOperator.OwnTimers own(Part<?, ?, ?> part) {
        return (CachingKeyedProcessOperator.OwnTimers) part.function();
    }

    /** One part with the context and collector it sees, both handing on to the fused function's. */
    private static final class Runner<K, IN, OUT> {
        private final KeyedProcessFunction<K, IN, OUT> function;
        private final KeyedProcessFunction<K, IN, OUT>.Context context;
        private final KeyedProcessFunction<K, IN, OUT>.OnTimerContext timerContext;
        private final Collector<OUT> out;
        private KeyedProcessFunction<K, IN, Void>.Context outer;
        private KeyedProcessFunction<K, IN, Void>.OnTimerContext outerTimer;

        Runner(Part<K, IN, OUT> part, Late<IN, ?> late) {
            function = part.function();
            OutputTag<OUT> rows = part.rows();
            context = function.new Context() {
                @Override
                public Long timestamp() {
                    return outer.timestamp();
                }

                @Override
                public TimerService timerService() {
                    return outer.timerService();
                }

                @Override
                public <X> void output(OutputTag<X> tag, X value) {
                    if (late == null || !late.send(tag, value, outer)) {
                        outer.output(tag, value);
                    }
                }

                @Override
                public K getCurrentKey() {
                    return outer.getCurrentKey();
                }
            };
            timerContext = function.new OnTimerContext() {
                @Override
                public Long timestamp() {
                    return outerTimer.timestamp();
                }

                @Override
                public TimerService timerService() {
                    return outerTimer.timerService();
                }

                @Override
                public <X> void output(OutputTag<X> tag, X value) {
                    if (late == null || !late.send(tag, value, outerTimer)) {
                        outerTimer.output(tag, value);
                    }
                }

                @Override
                public TimeDomain timeDomain() {
                    return outerTimer.timeDomain();
                }

                @Override
                public K getCurrentKey() {
                    return outerTimer.getCurrentKey();
                }
            };
            out = new Collector<>() {
                @Override
                public void collect(OUT row) {
                    outer.output(rows, row);
                }

                @Override
                public void close() {}
            };
        }

        // The operator passes the same context objects every time: written only when they change,
        // as a reference store into this long-lived object costs a G1 barrier with a fence.
        void processElement(IN value, KeyedProcessFunction<K, IN, Void>.Context ctx) throws Exception {
            if (outer != ctx) {
                outer = ctx;
            }
            function.processElement(value, context, out);
        }

        void onTimer(long timestamp, KeyedProcessFunction<K, IN, Void>.OnTimerContext ctx) throws Exception {
            if (outer != ctx) {
                outer = ctx;
            }
            if (outerTimer != ctx) {
                outerTimer = ctx;
            }
            function.onTimer(timestamp, timerContext, out);
        }
    }
}
