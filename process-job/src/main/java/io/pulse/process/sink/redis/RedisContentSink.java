package io.pulse.process.sink.redis;

import io.pulse.model.Tables;
import io.pulse.model.avro.EnrichedEngagement;
import java.io.IOException;
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
 * Sink V2 keeping the Redis hash {@code content:<content_id>} (title, content_type) of every content
 * item seen in enriched engagement events, so a leaderboard reader can show titles. Each hash lives
 * {@code redis.content-ttl} after the item's last engagement (twice a window's TTL by default: a
 * leaderboard member always has its title). Writes set the whole hash, so a replay rewrites the same
 * hash; an item written with the same fields within half its TTL is not written again. A Redis that
 * loses hashes gets every one still inside its TTL back ({@link RedisLedger}). Events whose content row
 * is missing write nothing.
 */
public final class RedisContentSink implements Sink<EnrichedEngagement>, SupportsWriterState<EnrichedEngagement, List<RedisLedger.Entry>> {
    private static final long serialVersionUID = 1L;

    /** KEYS: fence, hash. ARGV: fence expected, fence next, fence ttl ms, ttl ms, then field/value pairs. */
    static final String WRITE_HASH = String.join("\n",
            "if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return -1 end",
            "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])",
            "redis.call('DEL', KEYS[2])",
            "redis.call('HSET', KEYS[2], unpack(ARGV, 5))",
            "redis.call('PEXPIRE', KEYS[2], ARGV[4])",
            "return 1");

    private final RedisLeaderboardSink.Options options;

    public RedisContentSink(RedisLeaderboardSink.Options options) {
        this.options = options;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<EnrichedEngagement> createWriter(InitContext context) {
        return new Writer(options, context.metricGroup(), List.of());
    }

    @Override
    public SinkWriter<EnrichedEngagement> createWriter(WriterInitContext context) {
        return new Writer(options, context.metricGroup(), List.of());
    }

    @Override
    public StatefulSinkWriter<EnrichedEngagement, List<RedisLedger.Entry>> restoreWriter(WriterInitContext context,
                                                                                        Collection<List<RedisLedger.Entry>> state) {
        return new Writer(options, context.metricGroup(), state);
    }

    @Override
    public SimpleVersionedSerializer<List<RedisLedger.Entry>> getWriterStateSerializer() {
        return new RedisLedger.Serializer();
    }

    /** The hash fields of one event's content item; empty when the lookup found no row. */
    static Map<String, String> fields(EnrichedEngagement e) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (e.getTitle() != null) {
            fields.put("title", e.getTitle());
        }
        if (e.getContentType() != null) {
            fields.put("content_type", e.getContentType());
        }
        return fields;
    }

    static final class Writer extends LedgeredRedisWriter<EnrichedEngagement> {
        private final RedisLeaderboardSink.Options options;

        Writer(RedisLeaderboardSink.Options options, MetricGroup metrics, Collection<List<RedisLedger.Entry>> restored) {
            super("redis content", options, options.contentTtl(), metrics, restored);
            this.options = options;
        }

        @Override
        public void write(EnrichedEngagement e, Context context) throws IOException, InterruptedException {
            Map<String, String> fields = fields(e);
            if (e.getContentId() == null || fields.isEmpty()) {
                return;
            }
            long now = System.currentTimeMillis();
            long ttl = options.contentTtl().toMillis();
            RedisLedger.Entry before = written(e.getContentId());
            if (before != null && before.values().equals(fields) && before.expiresAt() - now > ttl / 2) {
                return;
            }
            store(new RedisLedger.Entry(e.getContentId(), fields, now + ttl), "hash " + Tables.contentKey(e.getContentId()));
        }

        @Override
        Object send(Jedis redis, String fenceKey, List<String> fence, long fenceTtlMillis, RedisLedger.Entry item, long ttlMillis) {
            List<String> args = new ArrayList<>(4 + 2 * item.values().size());
            args.addAll(fence);
            args.add(Long.toString(fenceTtlMillis));
            args.add(Long.toString(ttlMillis));
            item.values().forEach((field, value) -> {
                args.add(field);
                args.add(value);
            });
            return redis.eval(WRITE_HASH, List.of(fenceKey, options.keyPrefix() + Tables.contentKey(item.id())), args);
        }
    }
}
