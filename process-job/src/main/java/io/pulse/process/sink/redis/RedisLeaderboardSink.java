package io.pulse.process.sink.redis;

import io.pulse.model.Tables;
import io.pulse.process.model.LeaderboardWindow;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.MetricGroup;
import redis.clients.jedis.Jedis;

/**
 * Sink V2 writing each closed HOP window to Redis (DESIGN.md "Redis"): the sorted set
 * {@code leaderboard:<window end>} is written whole with a TTL, and {@code leaderboard} is replaced by
 * it unless a later window is already there — all in one Lua script, so readers never see a half
 * window and a window replayed after a restart rewrites the same absolute values. A Redis that loses
 * windows (restarted empty, or without its last writes) gets every window still inside its TTL back
 * ({@link RedisLedger}).
 */
public final class RedisLeaderboardSink implements Sink<LeaderboardWindow>, SupportsWriterState<LeaderboardWindow, List<RedisLedger.Entry>> {
    private static final long serialVersionUID = 1L;

    /**
     * KEYS: fence, window set, leaderboard, marker. ARGV: fence expected, fence next, fence ttl ms,
     * window end ms, ttl ms, then score/member pairs.
     */
    static final String WRITE_WINDOW = String.join("\n",
            "if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return -1 end",
            "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])",
            "redis.call('DEL', KEYS[2])",
            "for i = 6, #ARGV, 2000 do redis.call('ZADD', KEYS[2], unpack(ARGV, i, math.min(i + 1999, #ARGV))) end",
            "redis.call('PEXPIRE', KEYS[2], ARGV[5])",
            "local current = redis.call('GET', KEYS[4])",
            "if (not current) or tonumber(current) <= tonumber(ARGV[4]) then",
            "  redis.call('DEL', KEYS[3])",
            "  if #ARGV >= 6 then redis.call('ZUNIONSTORE', KEYS[3], 1, KEYS[2]) end",
            "  redis.call('SET', KEYS[4], ARGV[4])",
            "  return 1",
            "end",
            "return 0");

    /** Where and how to write; keyPrefix is empty in production (tests isolate themselves with it). */
    public record Options(RedisEndpoint endpoint, Duration windowTtl, Duration contentTtl, int maxAttempts, Duration firstBackoff,
                          String keyPrefix) implements Serializable {
        /** The local stack's Redis: no login, no TLS; content hashes live twice as long as windows. */
        public Options(String host, int port, Duration windowTtl, int maxAttempts, Duration firstBackoff, String keyPrefix) {
            this(RedisEndpoint.plain(host, port), windowTtl, windowTtl.multipliedBy(2), maxAttempts, firstBackoff, keyPrefix);
        }
    }

    private final Options options;

    public RedisLeaderboardSink(Options options) {
        this.options = options;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<LeaderboardWindow> createWriter(InitContext context) {
        return new Writer(options, context.metricGroup(), List.of());
    }

    @Override
    public SinkWriter<LeaderboardWindow> createWriter(WriterInitContext context) {
        return new Writer(options, context.metricGroup(), List.of());
    }

    @Override
    public StatefulSinkWriter<LeaderboardWindow, List<RedisLedger.Entry>> restoreWriter(WriterInitContext context,
                                                                                       Collection<List<RedisLedger.Entry>> state) {
        return new Writer(options, context.metricGroup(), state);
    }

    @Override
    public SimpleVersionedSerializer<List<RedisLedger.Entry>> getWriterStateSerializer() {
        return new RedisLedger.Serializer();
    }

    static final class Writer extends LedgeredRedisWriter<LeaderboardWindow> {
        private final Options options;

        Writer(Options options, MetricGroup metrics, Collection<List<RedisLedger.Entry>> restored) {
            super("redis leaderboard", options, options.windowTtl(), metrics, restored);
            this.options = options;
        }

        @Override
        public void write(LeaderboardWindow window, Context context) throws IOException, InterruptedException {
            Map<String, String> scores = new LinkedHashMap<>();
            window.scores().forEach((content, score) -> scores.put(content, Double.toString(score)));
            store(new RedisLedger.Entry(Long.toString(window.windowEnd()), scores,
                    System.currentTimeMillis() + options.windowTtl().toMillis()), "window " + Instant.ofEpochMilli(window.windowEnd()));
        }

        @Override
        Object send(Jedis redis, String fenceKey, List<String> fence, long fenceTtlMillis, RedisLedger.Entry window, long ttlMillis) {
            String p = options.keyPrefix();
            long end = Long.parseLong(window.id());
            List<String> keys = List.of(fenceKey, p + Tables.leaderboardWindowKey(Instant.ofEpochMilli(end)), p + Tables.LEADERBOARD,
                    p + Tables.LEADERBOARD_WINDOW_END);
            List<String> args = new ArrayList<>(5 + 2 * window.values().size());
            args.addAll(fence);
            args.add(Long.toString(fenceTtlMillis));
            args.add(window.id());
            args.add(Long.toString(ttlMillis));
            for (Map.Entry<String, String> e : window.values().entrySet()) {
                args.add(e.getValue());
                args.add(e.getKey());
            }
            return redis.eval(WRITE_WINDOW, keys, args);
        }
    }
}
