package io.pulse.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 *
 * <p><b>Durable</b> with a journal file ({@link #EventLedger(int, Path)}): each accepted batch is
 * appended and forced to disk before it is acknowledged, and a new ledger on the same file reloads
 * the events and the event counters, so a restarted stand-in (even one killed with SIGKILL) neither
 * forgets an event nor miscounts a duplicate. At start the journal is rewritten as one snapshot of
 * what it holds; {@code reset} empties it. The request counters (failed, rejected, aborted) are not
 * journalled.
 */
public final class EventLedger {
    public static final int DEFAULT_MAX_KEYS = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int maxKeys;
    /** The journal of a durable ledger; null: in memory only. */
    private final FileChannel journal;
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
        this.journal = null;
    }

    /** A ledger kept in {@code journal} too: reloaded from it now, each accepted batch forced to it before it is acknowledged. */
    public EventLedger(int maxKeys, Path journal) throws IOException {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("max keys must be >= 1, got " + maxKeys);
        }
        this.maxKeys = maxKeys;
        if (Files.exists(journal)) {
            reload(journal);
        }
        Path parent = journal.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path fresh = journal.resolveSibling(journal.getFileName() + ".new");
        try (FileChannel out = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(snapshotLine()));
            out.force(true);
        }
        Files.move(fresh, journal, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        this.journal = FileChannel.open(journal, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** The events and counters of a journal: a snapshot line, then one line per accepted batch (a torn last line is ignored). */
    private void reload(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line;
            try {
                line = JSON.readTree(lines.get(i));
            } catch (IOException torn) {
                if (i == lines.size() - 1) {
                    break; // killed while appending: that batch was never acknowledged
                }
                throw new IOException("journal " + file + " line " + (i + 1) + " is damaged: " + torn.getMessage(), torn);
            }
            if (line == null || line.isMissingNode()) {
                continue;
            }
            if (line.has("snapshot")) {
                JsonNode c = line.get("snapshot");
                received = c.path("received").asLong();
                unique = c.path("unique").asLong();
                duplicates = c.path("duplicates").asLong();
                batches = c.path("batches").asLong();
                evicted = c.path("evicted").asLong();
                for (JsonNode e : line.path("held")) {
                    held.put(e.get("k").asText(), JSON.writeValueAsBytes(e.get("e")));
                }
            } else if (line.has("batch")) {
                List<Keyed> batch = new ArrayList<>();
                for (JsonNode e : line.get("batch")) {
                    batch.add(new Keyed(e.get("k").asText(), JSON.writeValueAsBytes(e.get("e"))));
                }
                apply(batch);
            }
        }
    }

    private byte[] snapshotLine() throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode line = JSON.createObjectNode();
        com.fasterxml.jackson.databind.node.ObjectNode counters = line.putObject("snapshot");
        counters.put("received", received).put("unique", unique).put("duplicates", duplicates).put("batches", batches).put("evicted", evicted);
        com.fasterxml.jackson.databind.node.ArrayNode events = line.putArray("held");
        for (java.util.Map.Entry<String, byte[]> e : held.entrySet()) {
            events.addObject().put("k", e.getKey()).set("e", JSON.readTree(e.getValue()));
        }
        return (JSON.writeValueAsString(line) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public int maxKeys() {
        return maxKeys;
    }

    /** Takes a batch: journalled (and forced to disk) first when the ledger is durable; then held and counted. */
    public synchronized Accepted accept(List<Keyed> keyedEvents) {
        if (journal != null) {
            try {
                com.fasterxml.jackson.databind.node.ObjectNode line = JSON.createObjectNode();
                com.fasterxml.jackson.databind.node.ArrayNode events = line.putArray("batch");
                for (Keyed e : keyedEvents) {
                    events.addObject().put("k", e.key()).set("e", JSON.readTree(e.json()));
                }
                journal.write(ByteBuffer.wrap((JSON.writeValueAsString(line) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                journal.force(false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the ledger's journal", e);
            }
        }
        return apply(keyedEvents);
    }

    private Accepted apply(List<Keyed> keyedEvents) {
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

    /** Closes the journal of a durable ledger. */
    public synchronized void close() {
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                // closing: nothing left to lose, every batch was forced when it was accepted
            }
        }
    }

    public synchronized void reset() {
        if (journal != null) {
            try {
                journal.truncate(0);
                journal.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot empty the ledger's journal", e);
            }
        }
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
