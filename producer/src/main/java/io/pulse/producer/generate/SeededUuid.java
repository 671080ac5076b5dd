package io.pulse.producer.generate;

import java.util.Random;
import java.util.UUID;

/** Version-4-shaped UUIDs drawn from a seeded random, so generated ids repeat with the seed. */
final class SeededUuid {
    static UUID next(Random random) {
        long msb = (random.nextLong() & 0xFFFFFFFFFFFF0FFFL) | 0x0000000000004000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    private SeededUuid() {}
}
