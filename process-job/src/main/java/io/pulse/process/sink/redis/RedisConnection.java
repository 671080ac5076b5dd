package io.pulse.process.sink.redis;

import io.pulse.process.sink.Backoff;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Function;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One Redis connection of a sink writer, re-opened after a failure: each command is tried up to
 * {@code maxAttempts} times with exponential backoff, then fails with what to check. The writer
 * blocks meanwhile, so the job backs off (backpressure) instead of buffering or losing writes.
 */
final class RedisConnection implements AutoCloseable {
    private final RedisEndpoint endpoint;
    private final int maxAttempts;
    private final Duration firstBackoff;
    private Jedis redis;

    RedisConnection(RedisEndpoint endpoint, int maxAttempts, Duration firstBackoff) {
        this.endpoint = endpoint;
        this.maxAttempts = maxAttempts;
        this.firstBackoff = firstBackoff;
    }

    <T> T call(String what, Function<Jedis, T> command) throws IOException, InterruptedException {
        Backoff backoff = new Backoff(firstBackoff, Backoff.DEFAULT_MAX);
        for (int attempt = 1; ; attempt++) {
            try {
                if (redis == null) {
                    redis = endpoint.open();
                }
                return command.apply(redis);
            } catch (JedisException e) {
                close();
                if (attempt >= maxAttempts) {
                    throw new IOException(endpoint + " did not take " + what + " after " + attempt
                            + " attempts (is it up? ./pulse status): " + e, e);
                }
                backoff.pause();
            }
        }
    }

    @Override
    public void close() {
        if (redis != null) {
            try {
                redis.close();
            } catch (RuntimeException ignored) {
                // a broken connection is being replaced
            }
            redis = null;
        }
    }
}
