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
    CSV_MALFORMED
}
