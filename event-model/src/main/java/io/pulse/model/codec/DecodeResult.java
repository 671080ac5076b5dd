package io.pulse.model.codec;

import io.pulse.model.avro.UserEvent;

/** Outcome of decoding one record: an event, or the reason it was rejected. Never an exception. */
public sealed interface DecodeResult permits DecodeResult.Decoded, DecodeResult.Rejected {

    /** A valid event and the wire format it came in. */
    record Decoded(UserEvent event, WireFormat format) implements DecodeResult {}

    /** A record that no accepted format decodes; {@code detail} says what was wrong, for a human. */
    record Rejected(RejectReason reason, String detail) implements DecodeResult {
        public String message() {
            return reason + ": " + detail;
        }
    }

    static DecodeResult reject(RejectReason reason, String detail) {
        return new Rejected(reason, detail);
    }

    default boolean isDecoded() {
        return this instanceof Decoded;
    }
}
