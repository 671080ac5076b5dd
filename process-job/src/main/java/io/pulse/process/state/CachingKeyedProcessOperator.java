package io.pulse.process.state;

import java.util.List;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * A keyed process operator whose function keeps its per-key state in {@link KeyedCache}s:
 * it binds them to its key context when it opens and flushes them before every checkpoint and
 * savepoint barrier, so each snapshot holds what the records before the barrier produced.
 */
public final class CachingKeyedProcessOperator<K, IN, OUT> extends KeyedProcessOperator<K, IN, OUT> {
    private static final long serialVersionUID = 1L;

    /** A keyed process function that reads and writes its state through caches. */
    public interface CachedState {
        /** The caches the function created in open(). */
        List<KeyedCache> caches();
    }

    private final int capacity;

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
                CachingKeyedProcessOperator.this.setCurrentKey(key);
            }
        };
        for (KeyedCache cache : ((CachedState) userFunction).caches()) {
            cache.bind(keys, capacity);
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        for (KeyedCache cache : ((CachedState) userFunction).caches()) {
            cache.flush();
        }
        super.prepareSnapshotPreBarrier(checkpointId);
    }
}
