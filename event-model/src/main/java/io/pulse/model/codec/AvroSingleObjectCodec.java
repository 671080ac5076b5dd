package io.pulse.model.codec;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Avro single-object encoding (marker {@code C3 01}, little-endian CRC-64-AVRO fingerprint of the
 * schema, then the binary body) for one generated record class. Decoding reports problems as a
 * {@link DecodeResult.Rejected}-ready {@link Failure} instead of throwing. Not thread-safe: one per
 * operator instance or thread.
 */
public final class AvroSingleObjectCodec<T extends SpecificRecordBase> implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int HEADER_LENGTH = 10;
    static final byte MARKER_0 = (byte) 0xC3;
    static final byte MARKER_1 = (byte) 0x01;

    private final Class<T> type;
    private transient Schema schema;
    private transient long fingerprint;
    private transient SpecificDatumReader<T> reader;
    private transient SpecificDatumWriter<T> writer;
    private transient BinaryDecoder reusableDecoder;
    private transient BinaryEncoder reusableEncoder;
    private transient ByteArrayOutputStream buffer;

    public AvroSingleObjectCodec(Class<T> type) {
        this.type = type;
    }

    /** Why a body could not be decoded. */
    public record Failure(RejectReason reason, String detail) {}

    /** Either a value or a failure. */
    public record Result<T>(T value, Failure failure) {}

    /** True when the bytes start with the single-object marker. */
    public static boolean hasMarker(byte[] bytes) {
        return bytes.length >= 1 && bytes[0] == MARKER_0 && (bytes.length == 1 || bytes[1] == MARKER_1);
    }

    public long fingerprint() {
        init();
        return fingerprint;
    }

    public byte[] encode(T record) {
        init();
        buffer.reset();
        buffer.write(MARKER_0);
        buffer.write(MARKER_1);
        long fp = fingerprint;
        for (int i = 0; i < 8; i++) {
            buffer.write((int) (fp >>> (8 * i)) & 0xFF);
        }
        try {
            reusableEncoder = EncoderFactory.get().binaryEncoder(buffer, reusableEncoder);
            writer.write(record, reusableEncoder);
            reusableEncoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
        }
        return buffer.toByteArray();
    }

    /**
     * Checks the single-object header (marker and this type's schema fingerprint); null when it
     * is right and the body starts at {@link #HEADER_LENGTH}.
     */
    public Failure checkHeader(byte[] bytes) {
        init();
        if (bytes.length < HEADER_LENGTH) {
            return new Failure(RejectReason.AVRO_TRUNCATED,
                    "Avro single-object header needs " + HEADER_LENGTH + " bytes, got " + bytes.length);
        }
        if (bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
            return new Failure(RejectReason.AVRO_MALFORMED, "missing the C3 01 single-object marker");
        }
        long fp = 0;
        for (int i = 0; i < 8; i++) {
            fp |= (bytes[2 + i] & 0xFFL) << (8 * i);
        }
        if (fp != fingerprint) {
            return new Failure(RejectReason.AVRO_UNKNOWN_SCHEMA, String.format(
                    "schema fingerprint %016x is not %s (%016x)", fp, type.getSimpleName(), fingerprint));
        }
        return null;
    }

    public Result<T> decode(byte[] bytes) {
        Failure header = checkHeader(bytes);
        if (header != null) {
            return new Result<>(null, header);
        }
        try {
            reusableDecoder = DecoderFactory.get()
                    .binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, reusableDecoder);
            T value = reader.read(null, reusableDecoder);
            if (!reusableDecoder.isEnd()) {
                return failed(RejectReason.AVRO_MALFORMED, "trailing bytes after the "
                        + type.getSimpleName() + " body");
            }
            return new Result<>(value, null);
        } catch (EOFException e) {
            return failed(RejectReason.AVRO_TRUNCATED, "body ends before the " + type.getSimpleName() + " record does");
        } catch (IOException | RuntimeException e) {
            // Avro signals corrupt bodies with assorted runtime exceptions (negative lengths, bad
            // union indexes, invalid UTF-8, limits); all mean the same thing to a caller.
            return failed(RejectReason.AVRO_MALFORMED, "corrupt " + type.getSimpleName() + " body: " + e);
        }
    }

    private Result<T> failed(RejectReason reason, String detail) {
        return new Result<>(null, new Failure(reason, detail));
    }

    private void init() {
        if (schema != null) {
            return;
        }
        try {
            schema = (Schema) type.getMethod("getClassSchema").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(type + " is not a generated Avro record", e);
        }
        fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        reader = new SpecificDatumReader<>(type);
        writer = new SpecificDatumWriter<>(type);
        buffer = new ByteArrayOutputStream(256);
    }
}
