package io.pulse.process.engagement;

import io.pulse.model.Tables;
import io.pulse.model.avro.EnrichedEngagement;
import io.pulse.model.settings.PostgresConnection;
import io.pulse.process.model.Engagement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * The lookup join of engagement events with the PostgreSQL {@code content} dimension, asynchronous
 * (a small pool of connections off the task thread) behind a bounded cache with a TTL. An event
 * whose content row is missing is enriched with nulls and counted ({@code contentMisses}), never
 * dropped or held back. The score comes from {@link EngagementScorer}.
 */
public final class ContentLookup extends RichAsyncFunction<Engagement, EnrichedEngagement> {
    /** A content row. */
    public record Content(String title, String contentType, Integer lengthSeconds) {}

    private final PostgresConnection postgres;
    private final EngagementScorer scorer;
    private final int threads;
    private final int cacheSize;
    private final Duration cacheTtl;
    private transient ExecutorService pool;
    private transient ThreadLocal<PreparedStatement> statement;
    private transient List<Connection> connections;
    private transient ContentCache<Content> cache;
    private transient Counter misses;

    public ContentLookup(PostgresConnection postgres, EngagementScorer scorer, int threads, int cacheSize, Duration cacheTtl) {
        this.postgres = postgres;
        this.scorer = scorer;
        this.threads = threads;
        this.cacheSize = cacheSize;
        this.cacheTtl = cacheTtl;
    }

    @Override
    public void open(Configuration parameters) {
        pool = Executors.newFixedThreadPool(threads);
        connections = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        statement = ThreadLocal.withInitial(this::prepare);
        cache = new ContentCache<>(cacheSize, cacheTtl.toMillis(), System::currentTimeMillis);
        misses = getRuntimeContext().getMetricGroup().counter("contentMisses");
        getRuntimeContext().registerUserCodeClassLoaderReleaseHookIfAbsent(io.pulse.model.settings.PostgresConnection.RELEASE_HOOK,
                io.pulse.model.settings.PostgresConnection::releaseDrivers);
    }

    private PreparedStatement prepare() {
        try {
            Connection c = postgres.open();
            connections.add(c);
            return c.prepareStatement("SELECT title, content_type, length_seconds FROM " + Tables.CONTENT + " WHERE content_id = ?");
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + postgres.jdbcUrl() + " is not reachable for the content lookup: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void asyncInvoke(Engagement e, ResultFuture<EnrichedEngagement> result) {
        Optional<Content> cached = e.contentId == null ? Optional.empty() : cache.get(e.contentId);
        if (cached != null) {
            complete(e, cached, result);
            return;
        }
        CompletableFuture.supplyAsync(() -> load(e.contentId), pool).whenComplete((content, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                cache.put(e.contentId, content);
                complete(e, content, result);
            }
        });
    }

    Optional<Content> load(String contentId) {
        UUID id;
        try {
            id = UUID.fromString(contentId);
        } catch (IllegalArgumentException notAUuid) {
            return Optional.empty(); // cannot exist in a uuid column
        }
        try {
            PreparedStatement st = statement.get();
            st.setObject(1, id);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                int length = rs.getInt(3);
                return Optional.of(new Content(rs.getString(1), rs.getString(2), rs.wasNull() ? null : length));
            }
        } catch (SQLException ex) {
            throw new IllegalStateException("content lookup of " + contentId + " failed: " + ex.getMessage(), ex);
        }
    }

    private void complete(Engagement e, Optional<Content> content, ResultFuture<EnrichedEngagement> result) {
        if (content.isEmpty()) {
            misses.inc();
        }
        Content c = content.orElse(null);
        result.complete(List.of(EnrichedEngagement.newBuilder()
                .setEventId(e.eventId).setEventTime(Instant.ofEpochMilli(e.eventTime)).setUserId(e.userId)
                .setEventType(e.eventType).setContentId(e.contentId)
                .setTitle(c == null ? null : c.title()).setContentType(c == null ? null : c.contentType())
                .setLengthSeconds(c == null ? null : c.lengthSeconds()).setDurationMs(e.durationMs).setDevice(e.device)
                .setScore(scorer.score(e.eventType)).setProcessingTime(Instant.now()).build()));
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (connections != null) {
            for (Connection c : connections) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
        }
    }
}
