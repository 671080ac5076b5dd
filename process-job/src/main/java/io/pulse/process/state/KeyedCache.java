package io.pulse.process.state;

import java.io.IOException;

/**
 * A heap cache in front of a keyed state of an operator: bound to the operator's key context when
 * it opens, flushed to the state backend before every checkpoint barrier.
 */
public interface KeyedCache {
    /** What the operator lends a cache: the key context of its keyed state backend. */
    interface KeyContext {
        /** The operator's current key. */
        Object currentKey();

        /** Makes {@code key} the current key of the operator and of its state backend. */
        void setCurrentKey(Object key);

        /**
         * Makes the state backend's current key the operator's current key: the operator may hand
         * its key to the backend lazily, so a cache calls this before it touches the state.
         */
        void syncBackendKey();
    }

    /** Starts caching up to {@code capacity} keys (0: no caching, every access goes to the state). */
    void bind(KeyContext keys, int capacity);

    /** Writes what changed to the state; afterwards the state holds everything the cache held. */
    void flush() throws IOException;
}
