package io.pulse.process.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.model.settings.Login;
import io.pulse.model.settings.Tls;
import io.pulse.process.model.LeaderboardWindow;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * What retrying cannot fix fails the leaderboard writer at once, with what to fix, against the test
 * stack's Redis: a key of another type under the sink's keys, a user without the permission to run
 * scripts. Retried, each would hold the job for the whole backoff and then restart it, for ever.
 */
class RedisRefusalsITCase {
    private static StackEndpoints stack;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    private static RedisLeaderboardSink.Writer writer(RedisEndpoint endpoint, String prefix) {
        // 8 attempts from 1 s: a retried refusal would take minutes.
        RedisLeaderboardSink.Options options = new RedisLeaderboardSink.Options(endpoint, Duration.ofHours(1), Duration.ofHours(2), 8,
                Duration.ofSeconds(1), prefix);
        return new RedisLeaderboardSink.Writer(options, new UnregisteredMetricsGroup(), List.of());
    }

    private static LeaderboardWindow window() {
        return new LeaderboardWindow(0, 600_000, Map.of("c1", 3.0));
    }

    @Test
    void aKeyOfAnotherTypeFailsAtOnceNamingTheKeyPrefix() throws Exception {
        String prefix = "refusal-" + UUID.randomUUID() + ":";
        try (Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            redis.hset(prefix + io.pulse.model.Tables.LEADERBOARD_WINDOW_END, "not", "a number"); // another application's key
            RedisLeaderboardSink.Writer writer = writer(RedisEndpoint.plain(stack.redisHost(), stack.redisPort()), prefix);
            long start = System.nanoTime();
            try {
                assertThatThrownBy(() -> writer.write(window(), null)).isInstanceOf(IOException.class)
                        .hasMessageContaining("not retried").hasMessageContaining("redis.key-prefix");
            } finally {
                writer.close();
                redis.keys(prefix + "*").forEach(redis::del);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aUserWithoutPermissionToRunScriptsFailsAtOnceSayingWhatToGrant() throws Exception {
        String user = "refusal" + UUID.randomUUID().toString().substring(0, 8);
        try (Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            redis.aclSetUser(user, "on", ">pw", "~*", "+@all", "-eval", "-evalsha");
            RedisLeaderboardSink.Writer writer = writer(new RedisEndpoint(stack.redisHost(), stack.redisPort(), new Login(user, "pw"),
                    new Tls("redis", false, "")), "refusal-" + user + ":");
            try {
                assertThatThrownBy(() -> writer.write(window(), null)).isInstanceOf(IOException.class)
                        .hasMessageContaining("NOPERM").hasMessageContaining("ACL SETUSER");
            } finally {
                writer.close();
                redis.aclDelUser(user);
            }
        }
    }
}
