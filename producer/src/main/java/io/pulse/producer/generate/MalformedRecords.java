package io.pulse.producer.generate;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Kinds of broken input real topics see, chosen at random; none of them decodes. */
final class MalformedRecords {
    private final Random random;

    MalformedRecords(Random random) {
        this.random = random;
    }

    byte[] next() {
        return switch (random.nextInt(7)) {
            case 0 -> utf8("{\"user_id\": \"u-" + random.nextInt(1000) + "\", \"event_type\": \"click\""); // truncated JSON
            case 1 -> utf8("{\"event_type\": \"login\", \"event_time\": \"2025-07-24T12:00:00Z\"}"); // no user_id
            case 2 -> utf8("{\"user_id\": \"u-1\", \"event_time\": \"not a time\"}");
            case 3 -> new byte[] {(byte) 0xC3, 0x01, 0x12, 0x34}; // truncated Avro header
            case 4 -> new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0x80, 0x41}; // not UTF-8
            case 5 -> utf8("<event user=\"u-1\"/>");
            default -> utf8("{\"user_id\": [1, 2], \"event_time\": 0}"); // wrong type
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
