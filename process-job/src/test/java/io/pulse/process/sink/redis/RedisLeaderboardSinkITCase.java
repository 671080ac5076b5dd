package io.pulse.process.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.process.model.LeaderboardWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

/** The leaderboard sink against the real Redis of the test stack, under a key prefix of its own. */
class RedisLeaderboardSinkITCase {
    private static final long T10 = Instant.parse("2025-07-24T12:10:00Z").toEpochMilli();
    private static final long T11 = T10 + 60_000;
    private final StackEndpoints stack = LocalStack.sharedEndpoints();
    private final String prefix = "it-" + UUID.randomUUID() + ":";

    @AfterEach
    void clean() {
        try (Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            redis.keys(prefix + "*").forEach(redis::del);
        }
    }

    private void write(LeaderboardWindow... windows) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(TypeInformation.of(LeaderboardWindow.class), windows).sinkTo(new RedisLeaderboardSink(
                new RedisLeaderboardSink.Options(stack.redisHost(), stack.redisPort(), Duration.ofHours(1), 3,
                        Duration.ofMillis(10), prefix)));
        env.execute("redis-sink-it");
    }

    @Test
    void latestWindowBecomesTheLeaderboardAndAReplayRewritesAbsoluteValues() throws Exception {
        LeaderboardWindow first = new LeaderboardWindow(T10 - 600_000, T10, new java.util.HashMap<>(Map.of("c1", 4.0, "c2", 9.0)));
        LeaderboardWindow second = new LeaderboardWindow(T11 - 600_000, T11, new java.util.HashMap<>(Map.of("c1", 6.0, "c3", 2.0)));
        write(first, second);
        write(first); // replay of an older window after a restart: no double count, no step back

        try (Jedis redis = new Jedis(stack.redisHost(), stack.redisPort())) {
            List<Tuple> board = redis.zrevrangeWithScores(prefix + "leaderboard", 0, -1);
            assertThat(board).extracting(Tuple::getElement, Tuple::getScore)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("c1", 6.0), org.assertj.core.groups.Tuple.tuple("c3", 2.0));
            assertThat(redis.zscore(prefix + "leaderboard:2025-07-24T12:10:00Z", "c2")).isEqualTo(9.0);
            assertThat(redis.zscore(prefix + "leaderboard:2025-07-24T12:10:00Z", "c1")).isEqualTo(4.0);
            assertThat(redis.ttl(prefix + "leaderboard:2025-07-24T12:11:00Z")).isBetween(1L, 3600L);
            assertThat(redis.ttl(prefix + "leaderboard")).isEqualTo(-1L);
        }
    }
}
