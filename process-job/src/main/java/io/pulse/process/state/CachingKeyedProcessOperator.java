package io.pulse.process.state;

import java.util.List;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

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
 * reading a state of its own directly would read it under a stale key: use a cache, or capacity 0).
 * For streaming execution: Flink's BATCH mode state backend relies on every key change.
 */
public final class CachingKeyedProcessOperator<K, IN, OUT> extends KeyedProcessOperator<K, IN, OUT> {
    private static final long serialVersionUID = 1L;

    /** A keyed process function that reads and writes its state through caches. */
    public interface CachedState {
        /** The caches the function created in open(). */
        List<KeyedCache> caches();
    }

    private final int capacity;
    /** True once open with caching on: the key reaches the backend when a cache asks for it. */
    private transient boolean lazyKey;
    private transient Object currentKey;
    private transient boolean backendBehind;

    /** @param capacity keys each cache holds on the heap (0: every access goes to the state backend) */
    public <F extends KeyedProcessFunction<K, IN, OUT> & CachedState> CachingKeyedProcessOperator(F function, int capacity) {
        super(function);
        this.capacity = capacity;
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
        for (KeyedCache cache : ((CachedState) userFunction).caches()) {
            cache.bind(keys, capacity);
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

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        for (KeyedCache cache : ((CachedState) userFunction).caches()) {
            cache.flush();
        }
        super.prepareSnapshotPreBarrier(checkpointId);
    }
}
