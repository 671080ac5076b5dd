package io.pulse.producer.generate;

import io.pulse.model.codec.WireFormat;
import java.time.Duration;
import java.time.Instant;

/**
 * Everything that shapes generated activity. The same options, seed included, give the same
 * records byte for byte.
 *
 * @param seed           seed of every random choice
 * @param users          size of the user pool
 * @param start          event time of the first event (UTC); time then advances with think times
 * @param lateShare      share of events sent late, 0..1
 * @param lateBy         how far in the past a late event's time lies
 * @param malformedShare share of records replaced by malformed bytes, 0..1
 * @param format         wire format of valid records
 * @param steady         users start as if the site had been running for a while (some in a session, most
 *                       away until their next one), so events come at the steady pace from the first on;
 *                       otherwise all users arrive for a first session within the first minute
 */
public record ActivityOptions(long seed, int users, Instant start, double lateShare, Duration lateBy,
                              double malformedShare, WireFormat format, boolean steady) {
    public ActivityOptions(long seed, int users, Instant start, double lateShare, Duration lateBy, double malformedShare,
                           WireFormat format) {
        this(seed, users, start, lateShare, lateBy, malformedShare, format, false);
    }

    public ActivityOptions {
        if (users < 1) {
            throw new IllegalArgumentException("users must be at least 1, got " + users);
        }
        if (lateShare < 0 || lateShare > 1 || malformedShare < 0 || malformedShare > 1 || lateShare + malformedShare > 1) {
            throw new IllegalArgumentException("late and malformed shares must be within 0..1 and add up to at most 1, got "
                    + lateShare + " and " + malformedShare);
        }
        if (lateBy.isNegative() || lateBy.isZero()) {
            throw new IllegalArgumentException("lateBy must be positive, got " + lateBy);
        }
        if (format == WireFormat.CSV) {
            throw new IllegalArgumentException("the generator writes avro or json; CSV lines carry no event type");
        }
    }
}
