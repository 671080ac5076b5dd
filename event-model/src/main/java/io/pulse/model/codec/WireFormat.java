package io.pulse.model.codec;

/** The wire formats accepted on user_activity (DESIGN.md, Events). */
public enum WireFormat {
    /** Avro single-object encoding: {@code C3 01}, 8-byte schema fingerprint, binary body. */
    AVRO,
    /** A JSON object with DESIGN.md field names, or the seed-000 shape. */
    JSON,
    /** The seed-004 lab line {@code user_id,epoch_millis}. */
    CSV
}
