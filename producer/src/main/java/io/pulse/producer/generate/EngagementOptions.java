package io.pulse.producer.generate;

import java.time.Instant;

/**
 * @param seed        seed of every random choice
 * @param contentRows content items created first
 * @param users       user pool size
 * @param start       event time of the first engagement; each next one is about a second later
 * @param updateShare share of operations that update an earlier row
 * @param deleteShare share of operations that delete an earlier row
 */
public record EngagementOptions(long seed, int contentRows, int users, Instant start, double updateShare, double deleteShare) {
    public EngagementOptions {
        if (contentRows < 1 || users < 1) {
            throw new IllegalArgumentException("content rows and users must be at least 1");
        }
        if (updateShare < 0 || deleteShare < 0 || updateShare + deleteShare >= 1) {
            throw new IllegalArgumentException("update and delete shares must be >= 0 and add up to less than 1, got "
                    + updateShare + " and " + deleteShare);
        }
    }
}
