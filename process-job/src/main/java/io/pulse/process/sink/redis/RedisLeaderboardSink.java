package io.pulse.process.sink.redis;

import io.pulse.model.Tables;
import io.pulse.process.model.LeaderboardWindow;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Sink V2 writing each closed HOP window to Redis (DESIGN.md "Redis"): the sorted set
 * {@code leaderboard:<window end>} is written whole with a TTL, and {@code leaderboard} is replaced by
 * it unless a later window is already there — all in one Lua script, so readers never see a half
 * window and a window replayed after a restart rewrites the same absolute values.
 */
public final class RedisLeaderboardSink implements Sink<LeaderboardWindow> {
    private static final long serialVersionUID = 1L;

    /** KEYS: window set, leaderboard, marker. ARGV: window end ms, ttl s, then score/member pairs. */
    static final String WRITE_WINDOW = String.join("\n",
            "redis.call('DEL', KEYS[1])",
            "for i = 3, #ARGV, 2000 do redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV))) end",
            "redis.call('EXPIRE', KEYS[1], ARGV[2])",
            "local current = redis.call('GET', KEYS[3])",
            "if (not current) or tonumber(current) <= tonumber(ARGV[1]) then",
            "  redis.call('DEL', KEYS[2])",
            "  if #ARGV >= 3 then redis.call('ZUNIONSTORE', KEYS[2], 1, KEYS[1]) end",
            "  redis.call('SET', KEYS[3], ARGV[1])",
            "  return 1",
            "end",
            "return 0");

    /** Where and how to write; keyPrefix is empty in production (tests isolate themselves with it). */
    public record Options(RedisEndpoint endpoint, Duration windowTtl, int maxAttempts, Duration firstBackoff, String keyPrefix)
            implements Serializable {
        /** The local stack's Redis: no login, no TLS. */
        public Options(String host, int port, Duration windowTtl, int maxAttempts, Duration firstBackoff, String keyPrefix) {
            this(RedisEndpoint.plain(host, port), windowTtl, maxAttempts, firstBackoff, keyPrefix);
        }
    }

    private final Options options;

    public RedisLeaderboardSink(Options options) {
        this.options = options;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<LeaderboardWindow> createWriter(InitContext context) {
        return new Writer(options);
    }

    @Override
    public SinkWriter<LeaderboardWindow> createWriter(WriterInitContext context) {
        return new Writer(options);
    }

    static final class Writer implements SinkWriter<LeaderboardWindow> {
        private final Options options;
        private final RedisConnection redis;

        Writer(Options options) {
            this.options = options;
            this.redis = new RedisConnection(options.endpoint(), options.maxAttempts(), options.firstBackoff());
        }

        @Override
        public void write(LeaderboardWindow window, Context context) throws IOException, InterruptedException {
            String p = options.keyPrefix();
            List<String> keys = List.of(p + Tables.leaderboardWindowKey(Instant.ofEpochMilli(window.windowEnd())),
                    p + Tables.LEADERBOARD, p + Tables.LEADERBOARD_WINDOW_END);
            List<String> args = new ArrayList<>(2 + 2 * window.scores().size());
            args.add(Long.toString(window.windowEnd()));
            args.add(Long.toString(options.windowTtl().toSeconds()));
            for (Map.Entry<String, Double> e : window.scores().entrySet()) {
                args.add(Double.toString(e.getValue()));
                args.add(e.getKey());
            }
            redis.call("window " + Instant.ofEpochMilli(window.windowEnd()), r -> r.eval(WRITE_WINDOW, keys, args));
        }

        @Override
        public void flush(boolean endOfInput) {
            // Each window is written synchronously in write().
        }

        @Override
        public void close() {
            redis.close();
        }
    }
}
