package io.pulse.model.codec;

/** Why a record was not decoded. One counter per reason; the name is what dead_letter carries. */
public enum RejectReason {
    EMPTY,
    TOO_LARGE,
    NOT_UTF8,
    UNRECOGNISED_FORMAT,
    AVRO_TRUNCATED,
    AVRO_UNKNOWN_SCHEMA,
    AVRO_MALFORMED,
    JSON_MALFORMED,
    JSON_NOT_AN_OBJECT,
    WRONG_FIELD_TYPE,
    MISSING_USER_ID,
    MISSING_EVENT_TIME,
    BAD_TIMESTAMP,
    CSV_MALFORMED,
    /** Event time before 1970 or further ahead of processing time than {@code input.max-future}. */
    EVENT_TIME_OUT_OF_RANGE,
    /** A text field longer than its limit ({@link InputLimits}). */
    FIELD_TOO_LONG,
    /** A control character (U+0000..U+001F, U+007F) in a text field. */
    CONTROL_CHARACTER,
    /** Text that is not valid UTF-8 (in an Avro string) or holds an unpaired surrogate (a JSON escape). */
    INVALID_TEXT,
    /** More metadata entries than the limit. */
    METADATA_TOO_LARGE,
    /** An engagement change without content_id, user_id or event_type, or with a negative duration_ms. */
    MISSING_FIELD,
    /** duration_ms below 0. */
    BAD_DURATION,
    /** An engagement value that is not the ingest job's Avro. */
    ENGAGEMENT_MALFORMED,
    /** Decoding threw: a bug of ours or an input no check foresaw. The detail names the exception's class. */
    DECODE_ERROR,
    /** A sink's store refused the row for good (constraint or type violation, 4xx): the detail is the store's message. */
    SINK_REJECTED
}
