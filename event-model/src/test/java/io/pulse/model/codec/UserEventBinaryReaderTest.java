package io.pulse.model.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.UserEvent;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * The hand-written UserEvent body reader against Avro's own reader (the codec's generic path), on
 * seeded random events written by Avro's writer, both as one map block and in sized blocks, and on
 * every cut and many corruptions of them: the same event, or the same reject reason.
 */
class UserEventBinaryReaderTest {
    private static final String[] PIECES = {"", "a", "user_A", "0b7e4f0e-1c1a-4c55-9d4a-3f7f1f3a2b10", "ü", "用户", "\uD83D\uDE00", "/products/42",
            "x".repeat(200), "\u0000", "é".repeat(70)};

    private static String text(Random r) {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(3); i >= 0; i--) {
            b.append(PIECES[r.nextInt(PIECES.length)]);
        }
        return b.toString();
    }

    private static UserEvent event(Random r) {
        Map<String, String> metadata = new HashMap<>();
        for (int i = r.nextInt(4) == 0 ? r.nextInt(40) : r.nextInt(3); i > 0; i--) {
            metadata.put(text(r) + i, text(r));
        }
        long[] times = {0, 1, -1, 1_753_358_400_123L, Long.MAX_VALUE / 2, r.nextLong() >> r.nextInt(64)};
        return new UserEvent(text(r), text(r), text(r), Instant.ofEpochMilli(times[r.nextInt(times.length)]),
                r.nextBoolean() ? null : text(r), r.nextBoolean() ? null : text(r), r.nextBoolean() ? null : text(r), metadata);
    }

    /** Header from the codec, body from Avro's writer: one map block, or (blocking encoder) blocks with their sizes. */
    private static byte[] encode(UserEvent e, boolean blocks, AvroSingleObjectCodec<UserEvent> avro) throws Exception {
        if (!blocks) {
            return avro.encode(e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(avro.encode(e), 0, AvroSingleObjectCodec.HEADER_LENGTH);
        BinaryEncoder encoder = new EncoderFactory().configureBlockSize(64).blockingBinaryEncoder(out, null);
        new SpecificDatumWriter<>(UserEvent.class).write(e, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** Either reader's outcome: the event or "reject REASON". */
    private static Object outcome(byte[] bytes, boolean handWritten, AvroSingleObjectCodec<UserEvent> avro) {
        if (handWritten) {
            AvroSingleObjectCodec.Failure header = avro.checkHeader(bytes);
            if (header != null) {
                return "reject " + header.reason();
            }
            try {
                return UserEventBinaryReader.read(bytes, AvroSingleObjectCodec.HEADER_LENGTH);
            } catch (UserEventBinaryReader.BadBody bad) {
                return "reject " + bad.reason;
            }
        }
        AvroSingleObjectCodec.Result<UserEvent> result = avro.decode(bytes);
        return result.failure() != null ? "reject " + result.failure().reason() : result.value();
    }

    @Test
    void readsWhatAvroReadsAndRejectsWhatItRejects() throws Exception {
        AvroSingleObjectCodec<UserEvent> avro = new AvroSingleObjectCodec<>(UserEvent.class);
        Random r = new Random(20261201);
        int blocked = 0;
        int cutsAndCorruptions = 0;
        int invalidText = 0;
        List<String> rejects = new ArrayList<>();
        for (int n = 0; n < 400; n++) {
            UserEvent e = event(r);
            boolean blocks = n % 3 == 0;
            byte[] bytes = encode(e, blocks, avro);
            if (blocks && bytes.length != avro.encode(e).length) {
                blocked++; // a map written in sized blocks
            }
            assertThat(outcome(bytes, true, avro)).isEqualTo(e).isEqualTo(outcome(bytes, false, avro));
            for (int cut = AvroSingleObjectCodec.HEADER_LENGTH; cut < bytes.length; cut += 1 + r.nextInt(5)) {
                byte[] shorter = java.util.Arrays.copyOf(bytes, cut);
                Object expected = outcome(shorter, false, avro);
                assertThat(outcome(shorter, true, avro)).as("cut at %d of event %d", cut, n).isEqualTo(expected);
                cutsAndCorruptions++;
            }
            for (int k = 0; k < 20; k++) {
                byte[] corrupt = bytes.clone();
                int at = AvroSingleObjectCodec.HEADER_LENGTH + r.nextInt(corrupt.length - AvroSingleObjectCodec.HEADER_LENGTH);
                corrupt[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : corrupt[at] ^ 0x80);
                Object expected = outcome(corrupt, false, avro);
                Object actual = outcome(corrupt, true, avro);
                if ("reject INVALID_TEXT".equals(actual)) {
                    // Avro's Utf8 reads malformed UTF-8 as U+FFFD (or finds the body broken further on);
                    // the hand-written reader refuses it at the string.
                    if (expected instanceof UserEvent) {
                        assertThat(expected.toString()).as("byte %d of event %d corrupted", at, n).contains("\uFFFD");
                    } else {
                        assertThat(expected).as("byte %d of event %d corrupted", at, n).asString().startsWith("reject ");
                    }
                    invalidText++;
                    continue;
                }
                assertThat(actual).as("byte %d of event %d corrupted", at, n).isEqualTo(expected);
                if (expected instanceof String reject) {
                    rejects.add(reject);
                }
                cutsAndCorruptions++;
            }
        }
        assertThat(blocked).isGreaterThan(10);
        assertThat(invalidText).isGreaterThan(0);
        assertThat(cutsAndCorruptions).isGreaterThan(10_000);
        assertThat(rejects).contains("reject AVRO_TRUNCATED", "reject AVRO_MALFORMED");
    }

    @Test
    void aLengthLargerThanTheRecordIsTruncatedWithoutAllocatingIt() {
        AvroSingleObjectCodec<UserEvent> avro = new AvroSingleObjectCodec<>(UserEvent.class);
        byte[] header = java.util.Arrays.copyOf(avro.encode(new UserEvent("e", "u", "t", Instant.EPOCH, null, null, null, Map.of())),
                AvroSingleObjectCodec.HEADER_LENGTH);
        byte[] bytes = java.util.Arrays.copyOf(header, header.length + 5);
        // event_id length 2^30 (zig-zag varint 2^31), then nothing
        bytes[10] = (byte) 0x80;
        bytes[11] = (byte) 0x80;
        bytes[12] = (byte) 0x80;
        bytes[13] = (byte) 0x80;
        bytes[14] = (byte) 0x08;
        assertThat(outcome(bytes, true, avro)).isEqualTo("reject AVRO_TRUNCATED");
    }
}
