package io.pulse.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * What the third-party system has received: the last version of each event per idempotency key,
 * plus counters that make duplicates visible. Thread-safe.
 *
 * <p><b>Bound.</b> The ledger holds at most {@code maxKeys} entries (key + the event's JSON as
 * bytes). When a new key arrives and {@code maxKeys} are held, the oldest entry is evicted whole,
 * key and payload ("oldest" = first arrived; a re-sent key replaces its payload but does not become
 * younger), and {@code evicted} is incremented. Memory is therefore about {@code maxKeys} x (key +
 * event JSON + ~100 bytes), whatever is sent: measured 384 bytes per entry for Pulse's ~240-byte
 * events, so ~380 MB at the default of one million.
 *
 * <p><b>Counters</b> are longs and keep counting past the bound: {@code received} and
 * {@code batches} are always exact. An event is a {@code duplicate} when its key is held when it
 * arrives, otherwise it counts as {@code unique}; so duplicate detection is exact for every held key.
 * Both are exact as long as no key comes back after its entry was evicted (with the default of one
 * million keys, retries arrive long before that); such a key counts as unique again. While
 * {@code evicted} is 0 nothing was forgotten and {@code unique == held}.
 */
public final class EventLedger {
    public static final int DEFAULT_MAX_KEYS = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int maxKeys;
    /** Insertion order = arrival order of each key's first version: the eldest entry goes first. */
    private final LinkedHashMap<String, byte[]> held = new LinkedHashMap<>();
    private long received;
    private long unique;
    private long duplicates;
    private long batches;
    private long evicted;
    private long failedRequests;
    private long rejectedRequests;
    private long abortedRequests;

    /** One event of a batch: its idempotency key and its JSON. */
    public record Keyed(String key, byte[] json) {}

    /** Result of accepting one batch. */
    public record Accepted(int events, int duplicates) {}

    /**
     * Snapshot of the counters, as GET /stats reports them: {@code held} entries are in memory,
     * {@code evicted} were dropped for the bound; {@code rejectedRequests} were answered 400/413,
     * {@code abortedRequests} lost their connection (or hit the read timeout) before the body was read.
     */
    public record Stats(long received, long unique, long duplicates, long batches, long failedRequests,
                        long held, long evicted, long rejectedRequests, long abortedRequests) {}

    public EventLedger() {
        this(DEFAULT_MAX_KEYS);
    }

    public EventLedger(int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("max keys must be >= 1, got " + maxKeys);
        }
        this.maxKeys = maxKeys;
    }

    public int maxKeys() {
        return maxKeys;
    }

    public synchronized Accepted accept(List<Keyed> keyedEvents) {
        int dup = 0;
        for (Keyed event : keyedEvents) {
            if (held.replace(event.key(), event.json()) != null) {
                dup++;
                continue;
            }
            held.put(event.key(), event.json());
            unique++;
            if (held.size() > maxKeys) {
                Iterator<byte[]> eldest = held.values().iterator();
                eldest.next();
                eldest.remove();
                evicted++;
            }
        }
        received += keyedEvents.size();
        duplicates += dup;
        batches++;
        return new Accepted(keyedEvents.size(), dup);
    }

    public synchronized void countFailedRequest() {
        failedRequests++;
    }

    public synchronized void countRejectedRequest() {
        rejectedRequests++;
    }

    public synchronized void countAbortedRequest() {
        abortedRequests++;
    }

    public synchronized Stats stats() {
        return new Stats(received, unique, duplicates, batches, failedRequests, held.size(), evicted,
                rejectedRequests, abortedRequests);
    }

    /** The held events, oldest first. */
    public List<JsonNode> events() {
        List<JsonNode> out = new ArrayList<>();
        for (byte[] json : heldJson()) {
            try {
                out.add(JSON.readTree(json));
            } catch (IOException e) {
                throw new UncheckedIOException(e); // cannot happen: stored bytes were written by Jackson
            }
        }
        return out;
    }

    /** The held events' JSON, oldest first (a snapshot; the arrays are not copied, do not change them). */
    synchronized List<byte[]> heldJson() {
        return new ArrayList<>(held.values());
    }

    public synchronized void reset() {
        held.clear();
        received = 0;
        unique = 0;
        duplicates = 0;
        batches = 0;
        evicted = 0;
        failedRequests = 0;
        rejectedRequests = 0;
        abortedRequests = 0;
    }
}
