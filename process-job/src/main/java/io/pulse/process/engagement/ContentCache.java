package io.pulse.process.engagement;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * A bounded, expiring cache of content rows for the lookup join: least recently used entries go
 * first when full, and an entry older than its time to live is looked up again. Missing rows are
 * cached too (as empty), so a flood of events for unknown content does not become a flood of
 * queries. Thread-safe.
 */
public final class ContentCache<V> {
    private final int maxEntries;
    private final long ttlMillis;
    private final LongSupplier clock;
    private final LinkedHashMap<String, Entry<V>> entries;

    private record Entry<V>(Optional<V> value, long loadedAt) {}

    public ContentCache(int maxEntries, long ttlMillis, LongSupplier clock) {
        if (maxEntries < 1 || ttlMillis < 1) {
            throw new IllegalArgumentException("cache size and TTL must be positive");
        }
        this.maxEntries = maxEntries;
        this.ttlMillis = ttlMillis;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry<V>> eldest) {
                return size() > ContentCache.this.maxEntries;
            }
        };
    }

    /** The cached value (possibly an empty Optional for a known-missing row), or null when it must be loaded. */
    public synchronized Optional<V> get(String key) {
        Entry<V> e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (clock.getAsLong() - e.loadedAt() >= ttlMillis) {
            entries.remove(key);
            return null;
        }
        return e.value();
    }

    public synchronized void put(String key, Optional<V> value) {
        entries.put(key, new Entry<>(value, clock.getAsLong()));
    }

    public synchronized int size() {
        return entries.size();
    }
}
