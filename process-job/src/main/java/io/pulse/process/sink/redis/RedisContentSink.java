package io.pulse.process.sink.redis;

import io.pulse.model.Tables;
import io.pulse.model.avro.EnrichedEngagement;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Sink V2 keeping the Redis hash {@code content:<content_id>} (title, content_type) of every content
 * item seen in enriched engagement events, so a leaderboard reader can show titles. HSET writes
 * absolute values, so a replay rewrites the same hash; a writer remembers (bounded) what it wrote
 * and skips unchanged items. Events whose content row is missing write nothing.
 */
public final class RedisContentSink implements Sink<EnrichedEngagement> {
    private static final long serialVersionUID = 1L;
    private static final int REMEMBERED = 10_000;

    private final RedisLeaderboardSink.Options options;

    public RedisContentSink(RedisLeaderboardSink.Options options) {
        this.options = options;
    }

    @Override
    @SuppressWarnings("deprecation")
    public SinkWriter<EnrichedEngagement> createWriter(InitContext context) {
        return new Writer(options);
    }

    @Override
    public SinkWriter<EnrichedEngagement> createWriter(WriterInitContext context) {
        return new Writer(options);
    }

    /** The hash fields of one event's content item; empty when the lookup found no row. */
    static Map<String, String> fields(EnrichedEngagement e) {
        Map<String, String> fields = new HashMap<>();
        if (e.getTitle() != null) {
            fields.put("title", e.getTitle());
        }
        if (e.getContentType() != null) {
            fields.put("content_type", e.getContentType());
        }
        return fields;
    }

    static final class Writer implements SinkWriter<EnrichedEngagement> {
        private final RedisLeaderboardSink.Options options;
        private final RedisConnection redis;
        private final Map<String, Map<String, String>> written = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, String>> eldest) {
                return size() > REMEMBERED;
            }
        };

        Writer(RedisLeaderboardSink.Options options) {
            this.options = options;
            this.redis = new RedisConnection(options.endpoint(), options.maxAttempts(), options.firstBackoff());
        }

        @Override
        public void write(EnrichedEngagement e, Context context) throws IOException, InterruptedException {
            Map<String, String> fields = fields(e);
            if (e.getContentId() == null || fields.isEmpty() || fields.equals(written.get(e.getContentId()))) {
                return;
            }
            String key = options.keyPrefix() + Tables.contentKey(e.getContentId());
            redis.call("hash " + key, r -> r.hset(key, fields));
            written.put(e.getContentId(), fields);
        }

        @Override
        public void flush(boolean endOfInput) {
            // Each hash is written synchronously in write().
        }

        @Override
        public void close() {
            redis.close();
        }
    }
}
