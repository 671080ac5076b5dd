package io.pulse.mock;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the third-party system has received: every event once per idempotency key (the last
 * version wins), plus counters that make duplicates visible. Thread-safe.
 */
public final class EventLedger {
    private final Map<String, JsonNode> byKey = new ConcurrentHashMap<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();

    /** Result of accepting one batch. */
    public record Accepted(int events, int duplicates) {}

    /** Snapshot of the counters, as GET /stats reports them. */
    public record Stats(long received, long unique, long duplicates, long batches, long failedRequests) {}

    public Accepted accept(List<Map.Entry<String, JsonNode>> keyedEvents) {
        int dup = 0;
        for (Map.Entry<String, JsonNode> entry : keyedEvents) {
            if (byKey.put(entry.getKey(), entry.getValue()) != null) {
                dup++;
            }
        }
        received.addAndGet(keyedEvents.size());
        duplicates.addAndGet(dup);
        batches.incrementAndGet();
        return new Accepted(keyedEvents.size(), dup);
    }

    public void countFailedRequest() {
        failedRequests.incrementAndGet();
    }

    public Stats stats() {
        return new Stats(received.get(), byKey.size(), duplicates.get(), batches.get(), failedRequests.get());
    }

    public List<JsonNode> events() {
        return new ArrayList<>(byKey.values());
    }

    public void reset() {
        byKey.clear();
        received.set(0);
        duplicates.set(0);
        batches.set(0);
        failedRequests.set(0);
    }
}
