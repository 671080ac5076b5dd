package io.pulse.producer.generate;

/** What a generated activity record is meant to test downstream. */
public enum ActivityKind {
    /** A valid event, on time. */
    VALID,
    /** A valid event whose event time lies far enough in the past to be late for every window. */
    LATE,
    /** Bytes that no accepted wire format decodes; they must end in dead_letter. */
    MALFORMED
}
