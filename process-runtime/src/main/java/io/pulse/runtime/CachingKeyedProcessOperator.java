package io.pulse.runtime;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.runtime.state.AbstractKeyedStateBackend;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.InternalTimeServiceManager;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.OutputTag;

/**
 * A keyed process operator whose function keeps its per-key state in {@link KeyedCache}s:
 * it binds them to its key context when it opens and flushes them before every checkpoint and
 * savepoint barrier, so each snapshot holds what the records before the barrier produced.
 *
 * <p>While caching, the operator hands its current key to the state backend only when a cache
 * touches the state (a miss, an eviction, a flush): RocksDB serializes the key on every
 * {@code setCurrentKey}, which Flink calls for every record and every timer. Timers and
 * {@code ctx.getCurrentKey()} read the operator's key, so they never see a stale one; all state of
 * the function must go through its caches, which is what {@link CachedState} promises (a function
 * reading a state of its own directly would read it under a stale key: the operator fails such a
 * function when it opens and at every checkpoint; use a cache, or capacity 0).
 * For streaming execution: Flink's BATCH mode state backend relies on every key change.
 *
 * <p>A function that keeps one event-time timer per key in its own state ({@link OwnTimers}) runs on
 * the operator's {@link TimerQueue} instead of Flink's timer service: a timer is a heap entry,
 * a replaced timer stays and fires, and the function ignores it (its state names the key's one
 * timer). The queue is not checkpointed: after a restore it is rebuilt from the function's state,
 * key by key, so it holds exactly the timers the snapshot's state holds. Its timers fire when a
 * watermark arrives, after Flink's timer service has taken the watermark (so
 * {@code currentWatermark()} is the new one) and before the watermark goes downstream.
 *
 * <p>A function that holds output back across keys ({@link HeldOutput}, such as counts per window
 * added up over the subtask's keys) is asked after those timers and before every watermark for
 * what that watermark closes, and for all it holds before every checkpoint barrier, when a
 * watermark status comes and at the end: nothing it holds outlives a barrier, so it needs no state.
 * Such an operator passes no watermark status on (see {@link #processWatermarkStatus}).
 */
public final class CachingKeyedProcessOperator<K, IN, OUT> extends KeyedProcessOperator<K, IN, OUT> {
    private static final long serialVersionUID = 1L;

    /** A keyed process function that reads and writes its state through caches. */
    public interface CachedState {
        /** The caches the function created in open(). */
        List<KeyedCache> caches();
    }

    /**
     * A cached function with one event-time timer per key, kept in its state: it sets the timer on
     * the operator's queue (see the class comment) instead of {@code ctx.timerService()}.
     */
    public interface OwnTimers extends CachedState {
        /** Called in the operator's open(), after the function's. */
        void bind(OwnTimerQueue queue);

        /** The states that hold the timers: the function's own, or each part's of a {@link FusedFunctions}. */
        List<? extends TimerState> timerStates();
    }

    /**
     * A function that holds some output back, such as counts it adds up across keys, and sends it
     * when asked: before each watermark goes on, when a watermark status comes (the operator passes
     * none on), before each checkpoint barrier and at the end of the input. Before a watermark it
     * sends what downstream may need to act on that watermark (the counts of every window the
     * watermark closes) and may keep the rest; at the other three it sends everything
     * ({@code watermark} is then {@link #EVERYTHING}). So what it holds always precedes the watermark
     * that closes its window, and no snapshot misses it: what it holds is not keyed state.
     */
    public interface HeldOutput<OUT> {
        /** Sends what the watermark that goes on next needs downstream, or with {@link #EVERYTHING} all. */
        void emitHeld(long watermark, Emitter<OUT> out) throws Exception;
    }

    /** What {@link HeldOutput#emitHeld} gets when nothing may stay held (a barrier, a status, the end). */
    public static final long EVERYTHING = Long.MAX_VALUE;

    /** Where held output goes: the operator's main output or one of its side outputs. */
    public interface Emitter<OUT> {
        void collect(OUT value);

        <X> void output(OutputTag<X> tag, X value);
    }

    /** The operator's timer queue as an {@link OwnTimers} function sees it. */
    public interface OwnTimerQueue {
        /** Sets timers for the {@code state}-th of the function's {@link OwnTimers#timerStates()}. */
        KeyTimers of(int state);

        /**
         * While a timer of the queue fires: the index of the timer state that set it (only that
         * state's function need look); -1 otherwise (a timer of Flink's timer service).
         */
        int firing();
    }

    /** A keyed state that holds at most one timer per key. */
    public interface TimerState {
        /** The state whose keys are the keys that may have a timer (read after a restore). */
        String timerStateName();

        /** The current key's timer as the state holds it, {@link KeyTimers#NONE} when none. */
        long timer() throws Exception;
    }

    private final int capacity;
    private transient boolean restored;
    /** The timers of an {@link OwnTimers} function; null for any other. */
    private transient TimerQueue timers;
    /** The slots of the function's caches; null when caching no keys. */
    private transient SlotTable slots;
    private transient Fired fired;
    /** The timer state whose timer is firing, -1 when none is. */
    private transient int firing = -1;
    /** True once open with caching on: the key reaches the backend when a cache asks for it. */
    private transient boolean lazyKey;
    private transient Object currentKey;
    private transient boolean backendBehind;
    /** Where an {@link HeldOutput} function's held output goes; null for any other function. */
    private transient Emitter<OUT> held;

    /** @param capacity keys each cache holds on the heap (0: every access goes to the state backend) */
    public <F extends KeyedProcessFunction<K, IN, OUT> & CachedState> CachingKeyedProcessOperator(F function, int capacity) {
        super(function);
        if (capacity < 0) {
            throw new IllegalArgumentException("state cache capacity must be >= 0 (0 turns caching off), got " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        restored = context.isRestored();
    }

    @Override
    public void open() throws Exception {
        super.open();
        KeyedCache.KeyContext keys = new KeyedCache.KeyContext() {
            @Override
            public Object currentKey() {
                return getCurrentKey();
            }

            @Override
            public void setCurrentKey(Object key) {
                CachingKeyedProcessOperator.super.setCurrentKey(key);
                currentKey = key;
                backendBehind = false;
            }

            @Override
            public void syncBackendKey() {
                if (backendBehind) {
                    CachingKeyedProcessOperator.super.setCurrentKey(currentKey);
                    backendBehind = false;
                }
            }
        };
        currentKey = super.getCurrentKey();
        lazyKey = capacity > 0;
        if (capacity > 0) {
            slots = new SlotTable(keys, capacity, ((CachedState) userFunction).caches());
            checkEveryStateCached();
        }
        if (userFunction instanceof HeldOutput) {
            held = new Emitter<>() {
                @Override
                public void collect(OUT value) {
                    output.collect(new StreamRecord<>(value));
                }

                @Override
                public <X> void output(OutputTag<X> tag, X value) {
                    output.collect(tag, new StreamRecord<>(value));
                }
            };
        }
        if (userFunction instanceof OwnTimers own) {
            timers = new TimerQueue();
            fired = new Fired();
            own.bind(new OwnTimerQueue() {
                @Override
                public KeyTimers of(int state) {
                    // With a slot table the timer holds the key's row: when it fires, the caches find
                    // the key's slots without a hash lookup.
                    return slots == null ? time -> timers.add(time, getCurrentKey(), state) : time -> timers.add(time, slots.timerHandle(), state);
                }

                @Override
                public int firing() {
                    return firing;
                }
            });
            if (restored) {
                restoreTimers(own);
            }
        }
    }

    /** Every key of each timer state with its timer, back on the queue. */
    private void restoreTimers(OwnTimers own) throws Exception {
        List<? extends TimerState> states = own.timerStates();
        for (int s = 0; s < states.size(); s++) {
            List<Object> keys;
            try (Stream<?> stored = getKeyedStateBackend().getKeys(states.get(s).timerStateName(), VoidNamespace.INSTANCE)) {
                keys = stored.collect(Collectors.toList());
            }
            for (Object key : keys) {
                setCurrentKey(key);
                long time = states.get(s).timer();
                if (time != KeyTimers.NONE) {
                    timers.add(time, key, s);
                }
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void processWatermark(Watermark mark) throws Exception {
        if (timers == null && held == null) {
            super.processWatermark(mark);
            return;
        }
        InternalTimeServiceManager<?> flinkTimers = getTimeServiceManager().orElse(null);
        if (flinkTimers != null) {
            flinkTimers.advanceWatermark(mark); // currentWatermark() is the new one from here
        }
        long watermark = mark.getTimestamp();
        while (timers != null && !timers.isEmpty() && timers.firstTime() <= watermark) {
            fired.time = timers.firstTime();
            Object entry = timers.firstKey();
            fired.key = (K) (entry instanceof SlotTable.Row row ? slots.enter(row) : entry);
            firing = timers.firstOwner();
            timers.removeFirst();
            setCurrentKey(fired.key);
            onEventTime(fired);
        }
        firing = -1;
        if (fired != null) {
            fired.key = null;
        }
        emitHeld(watermark);
        output.emitWatermark(mark);
    }

    @SuppressWarnings("unchecked") // a HeldOutput function of this operator emits its OUT
    private void emitHeld(long watermark) throws Exception {
        if (held != null) {
            ((HeldOutput<OUT>) userFunction).emitHeld(watermark, held);
        }
    }

    /**
     * An operator with held output passes no watermark status on. Its held output (counts per window
     * from this subtask) is added up downstream, where each window closes by the downstream
     * watermark; that must never run ahead of this subtask's, or a count could arrive for a window
     * closed there already. Were this subtask announced idle, downstream would leave it out of its
     * minimum, and when it turned active again (its watermark behind) its counts could be late
     * there. Nothing is lost: every subtask of a keyed operator reads the same upstream subtasks,
     * their watermarks and idleness, so its watermark keeps up with its peers' and none is idle
     * while another is active for long.
     */
    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        if (held == null) {
            super.processWatermarkStatus(status);
            return;
        }
        emitHeld(EVERYTHING); // what an input going idle leaves held goes on now
    }

    @Override
    public void finish() throws Exception {
        emitHeld(EVERYTHING);
        super.finish();
    }

    /**
     * The timers still due on the operator's queue, one per key and timer state (replaced timers,
     * which would fire unheeded, and repeated entries not counted); Flink's timer service counts
     * its own. For tests.
     */
    public int pendingOwnTimers() throws Exception {
        if (timers == null) {
            return 0;
        }
        List<? extends TimerState> states = ((OwnTimers) userFunction).timerStates();
        java.util.Set<List<Object>> pending = new java.util.HashSet<>();
        for (int i = 0; i < timers.size(); i++) {
            Object key = timers.keyAt(i) instanceof SlotTable.Row row ? row.key : timers.keyAt(i);
            setCurrentKey(key);
            if (states.get(timers.ownerAt(i)).timer() == timers.timeAt(i)) {
                pending.add(List.of(timers.ownerAt(i), key));
            }
        }
        return pending.size();
    }

    /** The timer handed to the function's onTimer (one instance, reused). */
    private final class Fired implements InternalTimer<K, VoidNamespace> {
        long time;
        K key;

        @Override
        public long getTimestamp() {
            return time;
        }

        @Override
        public K getKey() {
            return key;
        }

        @Override
        public VoidNamespace getNamespace() {
            return VoidNamespace.INSTANCE;
        }

        @Override
        public int comparePriorityTo(InternalTimer<?, ?> other) {
            return Long.compare(time, other.getTimestamp());
        }
    }

    @Override
    public void setCurrentKey(Object key) {
        if (lazyKey) {
            currentKey = key;
            backendBehind = true;
        } else {
            super.setCurrentKey(key);
        }
    }

    @Override
    public Object getCurrentKey() {
        return lazyKey ? currentKey : super.getCurrentKey();
    }

    /**
     * The state-access rule, enforced: while caching, the backend's current key lags the operator's,
     * so a keyed state the function reads or writes past its caches would touch another key's value.
     * Fails when the function has opened more keyed states than its caches hold (checked after open
     * and at every checkpoint; state backends other than Flink's heap and RocksDB ones are not checked).
     */
    private void checkEveryStateCached() {
        if (getKeyedStateBackend() instanceof AbstractKeyedStateBackend<?> backend) {
            Set<String> cached = new TreeSet<>();
            for (KeyedCache cache : ((CachedState) userFunction).caches()) {
                cached.add(((KeySlots<?>) cache).stateName());
            }
            int opened = backend.numKeyValueStatesByName();
            if (opened > cached.size()) {
                throw new IllegalStateException(userFunction.getClass().getName() + " opened " + opened
                        + " keyed states but its caches() hold only " + cached + ": under a caching operator every keyed state"
                        + " must be read and written through a KeyedValueCache listed in caches() (a state used directly would"
                        + " see another key's value); wrap the state in a KeyedValueCache, or run the function with capacity 0");
            }
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        emitHeld(EVERYTHING);
        if (slots != null) {
            slots.flush();
            checkEveryStateCached();
        }
        super.prepareSnapshotPreBarrier(checkpointId);
    }
}
