package io.pulse.runtime;

/**
 * A heap cache in front of a keyed state of an operator ({@link KeyedValueCache}): a
 * {@link CachingKeyedProcessOperator} keeps the slots of all its function's caches in one
 * {@link SlotTable}, bound when it opens and flushed before every checkpoint barrier.
 */
public sealed interface KeyedCache permits KeySlots {
    /** What the operator lends its caches: the key context of its keyed state backend. */
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
}
