package io.pulse.process.sink.redis;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/**
 * A Redis sink writer whose writes Redis cannot lose unnoticed ({@link RedisLedger}): each write runs
 * in a script that checks the writer's fence, each checkpoint checks the fence too, and whatever
 * Redis lost is written again from the ledger, with what is left of its TTL. Subclasses supply the
 * script of one entry.
 */
abstract class LedgeredRedisWriter<T> implements StatefulSinkWriter<T, List<RedisLedger.Entry>> {
    private static final Logger LOG = LoggerFactory.getLogger(LedgeredRedisWriter.class);
    private static final int RESTORE_ATTEMPTS = 3;

    private final String name;
    private final RedisConnection redis;
    private final RedisLedger ledger;
    private final long fenceTtlMillis;
    private final Counter restores;
    private boolean restorePending;

    LedgeredRedisWriter(String name, RedisLeaderboardSink.Options options, Duration longestTtl, MetricGroup metrics,
                        Collection<List<RedisLedger.Entry>> restored) {
        this.name = name;
        this.redis = new RedisConnection(options.endpoint(), options.maxAttempts(), options.firstBackoff());
        this.ledger = new RedisLedger(options.keyPrefix(), restored);
        this.fenceTtlMillis = longestTtl.plusHours(1).toMillis();
        this.restores = metrics.counter("redisRestores");
        // Restored after a failure: what Redis lost while the job was down is written again before anything else.
        this.restorePending = !ledger.isEmpty();
    }

    /**
     * Runs the script that writes {@code entry} with {@code ttlMillis} to live, behind the fence
     * {@code fenceKey} holding {@code fence.get(0)} (set to {@code fence.get(1)}, living
     * {@code fenceTtlMillis}); returns the script's answer ({@link RedisLedger#LOST} when the fence did not hold).
     */
    abstract Object send(Jedis redis, String fenceKey, List<String> fence, long fenceTtlMillis, RedisLedger.Entry entry, long ttlMillis);

    /** What the ledger holds under {@code id}, or null. */
    RedisLedger.Entry written(String id) {
        return ledger.get(id);
    }

    /** Writes {@code entry} (to live until its expiry) and keeps it in the ledger. */
    void store(RedisLedger.Entry entry, String what) throws IOException, InterruptedException {
        if (restorePending) {
            restore();
        }
        long ttl = entry.expiresAt() - System.currentTimeMillis();
        if (!fencedWrite(entry, Math.max(ttl, 1), what)) {
            restore();
            if (!fencedWrite(entry, Math.max(ttl, 1), what)) {
                throw new IOException(name + ": Redis lost this writer's writes again right after they were restored");
            }
        }
        ledger.put(entry);
    }

    private boolean fencedWrite(RedisLedger.Entry entry, long ttl, String what) throws IOException, InterruptedException {
        String fenceKey = ledger.fenceKey();
        List<String> fence = ledger.fenceArgs();
        Object answer = redis.call(what, r -> send(r, fenceKey, fence, fenceTtlMillis, entry, ttl));
        if (answer instanceof Long l && l == RedisLedger.LOST) {
            return false;
        }
        ledger.written();
        return true;
    }

    /** Writes every live entry again, under a new fence. */
    private void restore() throws IOException, InterruptedException {
        for (int attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
            ledger.newFence();
            long now = System.currentTimeMillis();
            List<RedisLedger.Entry> live = ledger.live(now);
            boolean held = true;
            for (RedisLedger.Entry e : live) {
                long ttl = e.expiresAt() - System.currentTimeMillis();
                if (ttl > 0 && !fencedWrite(e, ttl, name + " restore of " + e.id())) {
                    held = false;
                    break;
                }
            }
            if (held) {
                restorePending = false;
                restores.inc();
                LOG.warn("{}: Redis had lost writes of this writer (restarted empty, lost its last writes, or flushed): "
                        + "wrote {} entries again with what was left of their TTL", name, live.size());
                return;
            }
        }
        throw new IOException(name + ": Redis lost this writer's writes " + RESTORE_ATTEMPTS + " times while they were written again");
    }

    /** Before each checkpoint: Redis still holds this writer's last write, or what it lost is written again. */
    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        if (restorePending) {
            restore();
            return;
        }
        if (ledger.isEmpty()) {
            return;
        }
        String fenceKey = ledger.fenceKey();
        String expected = ledger.fenceArgs().get(0);
        String seen = redis.call(name + " fence", r -> r.get(fenceKey));
        if (!Objects.equals(expected.isEmpty() ? null : expected, seen)) {
            restore();
        }
    }

    @Override
    public List<List<RedisLedger.Entry>> snapshotState(long checkpointId) {
        return List.of(ledger.snapshot(System.currentTimeMillis()));
    }

    @Override
    public void close() {
        redis.close();
    }
}
