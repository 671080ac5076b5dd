package io.pulse.process.sink.redis;

import io.pulse.process.sink.Backoff;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Function;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One Redis connection of a sink writer, re-opened after a failure: a command that fails for a
 * reason that can pass (the connection, a Redis that is loading, busy, read-only or out of memory) is
 * tried up to {@code maxAttempts} times with exponential backoff, then fails with what to check; one
 * that retrying cannot fix (a missing permission, a key of another type, a wrong login, a script
 * error) fails at once with what to fix. The writer blocks meanwhile, so the job backs off
 * (backpressure) instead of buffering or losing writes.
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
                String fix = permanent(e);
                if (fix != null) {
                    throw new IOException(endpoint + " refused " + what + " (not retried: retrying cannot fix it): " + e.getMessage()
                            + ". " + fix, e);
                }
                if (attempt >= maxAttempts) {
                    throw new IOException(endpoint + " did not take " + what + " after " + attempt
                            + " attempts (is it up? ./pulse status): " + e, e);
                }
                backoff.pause();
            }
        }
    }

    /** What to fix when retrying cannot help; null for a failure that can pass. */
    static String permanent(JedisException e) {
        if (!(e instanceof redis.clients.jedis.exceptions.JedisDataException)) {
            return null; // the connection: Redis may be restarting
        }
        String m = String.valueOf(e.getMessage());
        if (m.startsWith("OOM") || m.startsWith("LOADING") || m.startsWith("BUSY") || m.startsWith("TRYAGAIN")
                || m.startsWith("MASTERDOWN") || m.startsWith("READONLY") || m.startsWith("CLUSTERDOWN")) {
            return null; // Redis is out of memory, loading, busy or failing over: it can pass
        }
        if (m.startsWith("NOPERM")) {
            return "The Redis user lacks a command or key the sinks need (EVAL, GET, SET, DEL, ZADD, ZUNIONSTORE, HSET,"
                    + " PEXPIRE on every key): grant them, e.g. ACL SETUSER <redis.user> ~* +@all";
        }
        if (m.startsWith("WRONGTYPE")) {
            return "A key the sinks write holds another type: another application uses the same keys; give Pulse its own"
                    + " database or a key prefix (redis.key-prefix)";
        }
        if (m.startsWith("NOAUTH") || m.startsWith("WRONGPASS")) {
            return "Check redis.user and redis.password";
        }
        return "Check the Redis server's version (7 or later) and configuration";
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
