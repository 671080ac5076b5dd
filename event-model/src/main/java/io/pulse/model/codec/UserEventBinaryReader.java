package io.pulse.model.codec;

import io.pulse.model.avro.UserEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the Avro binary body of a {@link UserEvent} (the schema of {@code UserEvent.avsc}, field by
 * field: three strings, a long, three optional strings, a map of strings) straight from the record's
 * bytes into a new event. What Avro's generic reader does for it (a reader step per field, a Utf8
 * object per string before the String, a decoder set up per record) was most of the cost of
 * decoding in the job's source. Accepts and rejects exactly what Avro's reader does for this schema:
 * an input that ends early is {@link RejectReason#AVRO_TRUNCATED}, a negative length, a union index
 * other than 0 and 1, an over-long varint or trailing bytes are {@link RejectReason#AVRO_MALFORMED}
 * (the randomized test compares both readers on valid, cut and corrupted bodies). One difference on
 * purpose: a string that is not valid UTF-8 is {@link RejectReason#INVALID_TEXT} here, where Avro's
 * Utf8 would turn its malformed sequences into U+FFFD (DESIGN.md "Input limits": text is valid UTF-8).
 */
final class UserEventBinaryReader {
    /** Why a body did not read: truncated or malformed, and a detail for a human. */
    static final class BadBody extends Exception {
        final RejectReason reason;

        BadBody(RejectReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    /** Avro's limit for one string (beyond it a body is corrupt, not cut). */
    private static final long MAX_STRING_BYTES = Integer.MAX_VALUE - 8;
    /** Avro's limit for the entries of one map. */
    private static final long MAX_ENTRIES = Integer.MAX_VALUE - 8;

    private final byte[] bytes;
    private final int end;
    private int pos;

    private UserEventBinaryReader(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.pos = offset;
        this.end = bytes.length;
    }

    /** The event whose body starts at {@code offset} and ends with the bytes. */
    static UserEvent read(byte[] bytes, int offset) throws BadBody {
        UserEventBinaryReader in = new UserEventBinaryReader(bytes, offset);
        UserEvent event = new UserEvent(in.string(), in.string(), in.string(), Instant.ofEpochMilli(in.varLong()), in.optionalString(),
                in.optionalString(), in.optionalString(), in.map());
        if (in.pos != in.end) {
            throw new BadBody(RejectReason.AVRO_MALFORMED, "trailing bytes after the UserEvent body");
        }
        return event;
    }

    private String string() throws BadBody {
        long length = varLong();
        if (length < 0) {
            throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: negative string length " + length);
        }
        if (length > MAX_STRING_BYTES) {
            throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: a string of " + length + " bytes");
        }
        if (length > end - pos) {
            throw truncated();
        }
        int from = pos;
        int to = pos + (int) length;
        for (int i = from; i < to; i++) {
            if (bytes[i] < 0) { // not ASCII: the rare case, checked strictly
                validUtf8(from, to);
                break;
            }
        }
        String s = new String(bytes, from, (int) length, StandardCharsets.UTF_8);
        pos = to;
        return s;
    }

    private void validUtf8(int from, int to) throws BadBody {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes, from, to - from));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new BadBody(RejectReason.INVALID_TEXT, "a string of the UserEvent body is not valid UTF-8");
        }
    }

    private String optionalString() throws BadBody {
        int branch = varInt();
        if (branch == 0) {
            return null;
        }
        if (branch == 1) {
            return string();
        }
        throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: union index " + branch + " of [null, string]");
    }

    private Map<String, String> map() throws BadBody {
        long count = blockCount(0);
        long total = count;
        Map<String, String> map = new HashMap<>(count < 64 ? (int) (count * 4 / 3 + 1) : 16);
        while (count != 0) {
            for (long i = 0; i < count; i++) {
                String key = string();
                map.put(key, string());
            }
            count = blockCount(total);
            total += count;
        }
        return map;
    }

    /** The entries of the next map block (a negative count is followed by the block's size in bytes, unused); 0 ends the map. */
    private long blockCount(long before) throws BadBody {
        long count = varLong();
        if (count < 0) {
            varLong();
            count = -count;
        }
        if (count < 0) {
            throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: negative map length");
        }
        if (count > MAX_ENTRIES - before) {
            throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: a map of " + (before + count) + " entries");
        }
        return count; // a count beyond the input ends in a truncated entry: each entry reads at least two bytes
    }

    /** A zig-zag varint of at most 5 bytes (a union index), as Avro's BinaryDecoder reads an int. */
    private int varInt() throws BadBody {
        int raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (pos >= end) {
                throw truncated();
            }
            int b = bytes[pos++] & 0xFF;
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: invalid int encoding");
    }

    /** A zig-zag varint of at most 10 bytes, as Avro's BinaryDecoder reads it. */
    private long varLong() throws BadBody {
        long raw = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw truncated();
            }
            int b = bytes[pos++] & 0xFF;
            raw |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new BadBody(RejectReason.AVRO_MALFORMED, "corrupt UserEvent body: invalid long encoding");
    }

    private static BadBody truncated() {
        return new BadBody(RejectReason.AVRO_TRUNCATED, "body ends before the UserEvent record does");
    }
}
