package io.pulse.model.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pulse.model.avro.UserEvent;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;

/**
 * The one codec for user_activity records. Decodes every accepted wire format of DESIGN.md,
 * recognised per record (Avro single-object, JSON incl. the seed-000 shape, the seed-004 CSV line),
 * and encodes Avro single-object and JSON. A decoded event is held to the {@link InputLimits} (event
 * time aside, which needs a clock: {@link InputLimits#checkTime}). Decoding never throws: a bad record
 * is a {@link DecodeResult.Rejected} with its reason, and whatever a decoder throws anyway (a bug, an
 * input no check foresaw) is {@link RejectReason#DECODE_ERROR} with the exception's class. Not
 * thread-safe: one instance per operator/thread.
 */
public final class UserEventCodec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Larger records are rejected before parsing: a 10 MB field is an attack or a bug, not an event. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;
    /** event_type of a seed-004 CSV line, which carries none. */
    public static final String CSV_EVENT_TYPE = "activity";
    /** event_type of a JSON event that names none. */
    public static final String UNKNOWN_EVENT_TYPE = "unknown";
    /** Latest accepted event time: dates past year 9999 cannot be written as ISO-8601 dates. */
    private static final long MAX_EPOCH_MILLIS = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(DEFAULT_MAX_RECORD_BYTES).maxNestingDepth(32).build());
    }

    private final int maxRecordBytes;
    private final InputLimits limits;
    private final AvroSingleObjectCodec<UserEvent> avro = new AvroSingleObjectCodec<>(UserEvent.class);
    /** Reused per codec (one per operator or thread): a new decoder per record was a hot-path allocation. */
    private transient java.nio.charset.CharsetDecoder utf8;

    public UserEventCodec() {
        this(InputLimits.defaults());
    }

    public UserEventCodec(InputLimits limits) {
        this.limits = limits;
        this.maxRecordBytes = limits.maxRecordBytes();
    }

    // ------------------------------------------------------------------ decoding

    /** The event of a record within the input limits, or why not; never throws. */
    public DecodeResult decode(byte[] bytes) {
        DecodeResult result;
        try {
            result = decodeFormat(bytes);
            if (result instanceof DecodeResult.Decoded decoded) {
                DecodeResult.Rejected outside = limits.check(decoded.event());
                if (outside != null) {
                    return outside;
                }
            }
        } catch (RuntimeException | StackOverflowError e) {
            return DecodeResult.reject(RejectReason.DECODE_ERROR, describe(e));
        }
        return result;
    }

    /** An exception as a dead letter's detail: its class and the start of its message. */
    public static String describe(Throwable e) {
        String message = e.getMessage();
        if (message == null) {
            return e.getClass().getName();
        }
        String oneLine = message.replaceAll("\\s+", " ");
        return e.getClass().getName() + ": " + (oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 197) + "...");
    }

    private DecodeResult decodeFormat(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return DecodeResult.reject(RejectReason.EMPTY, "record has no bytes");
        }
        if (bytes.length > maxRecordBytes) {
            return DecodeResult.reject(RejectReason.TOO_LARGE,
                    "record has " + bytes.length + " bytes, the limit is " + maxRecordBytes);
        }
        if (AvroSingleObjectCodec.hasMarker(bytes)) {
            return decodeAvro(bytes);
        }
        String text;
        try {
            if (utf8 == null) {
                utf8 = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            text = utf8.decode(ByteBuffer.wrap(bytes)).toString(); // decode() resets the decoder first
        } catch (CharacterCodingException e) {
            return DecodeResult.reject(RejectReason.NOT_UTF8,
                    "neither Avro (no C3 01 marker) nor valid UTF-8 text");
        }
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return DecodeResult.reject(RejectReason.EMPTY, "record is only white space");
        }
        char first = trimmed.charAt(0);
        if (first == '{' || first == '[' || first == '"') {
            return decodeJson(trimmed, bytes);
        }
        if (trimmed.indexOf(',') >= 0) {
            return decodeCsv(trimmed, bytes);
        }
        return DecodeResult.reject(RejectReason.UNRECOGNISED_FORMAT,
                "not Avro, not a JSON object and not a 'user_id,epoch_millis' line: " + preview(trimmed));
    }

    private DecodeResult decodeAvro(byte[] bytes) {
        AvroSingleObjectCodec.Failure header = avro.checkHeader(bytes);
        if (header != null) {
            return DecodeResult.reject(header.reason(), header.detail());
        }
        UserEvent event;
        try {
            event = UserEventBinaryReader.read(bytes, AvroSingleObjectCodec.HEADER_LENGTH);
        } catch (UserEventBinaryReader.BadBody bad) {
            return DecodeResult.reject(bad.reason, bad.getMessage());
        }
        if (event.getUserId() == null || event.getUserId().isBlank()) {
            return DecodeResult.reject(RejectReason.MISSING_USER_ID, "Avro event has a blank user_id");
        }
        long millis = event.getEventTime().toEpochMilli();
        if (millis < 0 || millis > MAX_EPOCH_MILLIS) {
            return DecodeResult.reject(RejectReason.BAD_TIMESTAMP, "event_time " + millis + " is outside 1970..9999");
        }
        if (event.getEventId() == null || event.getEventId().isBlank()) {
            event.setEventId(derivedEventId(bytes));
        }
        return new DecodeResult.Decoded(event, WireFormat.AVRO);
    }

    private DecodeResult decodeJson(String text, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return DecodeResult.reject(RejectReason.JSON_MALFORMED, firstLine(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) {
            return DecodeResult.reject(RejectReason.JSON_NOT_AN_OBJECT,
                    "expected a JSON object, got " + (root == null ? "nothing" : root.getNodeType()));
        }
        try {
            UserEvent.Builder event = UserEvent.newBuilder();
            String userId = scalarText(root, "user_id");
            if (userId == null || userId.isBlank()) {
                return DecodeResult.reject(RejectReason.MISSING_USER_ID, "JSON event has no user_id");
            }
            event.setUserId(userId.strip());

            String eventType = scalarText(root, "event_type");
            if (eventType == null) {
                eventType = scalarText(root, "action"); // seed-000 shape
            }
            event.setEventType(eventType == null || eventType.isBlank() ? UNKNOWN_EVENT_TYPE : eventType.strip());

            Instant time;
            if (present(root, "event_time")) {
                time = parseTime(root.get("event_time"), "event_time");
            } else if (present(root, "event_time_raw")) {
                time = parseTime(root.get("event_time_raw"), "event_time_raw"); // seed-000: local time as UTC
            } else {
                return DecodeResult.reject(RejectReason.MISSING_EVENT_TIME,
                        "JSON event has neither event_time nor event_time_raw");
            }
            event.setEventTime(time);

            String eventId = scalarText(root, "event_id");
            event.setEventId(eventId == null || eventId.isBlank() ? derivedEventId(bytes) : eventId.strip());
            event.setDevice(scalarText(root, "device"));
            event.setPage(scalarText(root, "page"));
            event.setContentId(scalarText(root, "content_id"));
            event.setMetadata(metadata(root));
            return new DecodeResult.Decoded(event.build(), WireFormat.JSON);
        } catch (FieldException e) {
            return DecodeResult.reject(e.reason, e.getMessage());
        }
    }

    private DecodeResult decodeCsv(String line, byte[] bytes) {
        String[] parts = line.split(",", -1);
        if (parts.length != 2) {
            return DecodeResult.reject(RejectReason.CSV_MALFORMED,
                    "expected 'user_id,epoch_millis', got " + parts.length + " fields: " + preview(line));
        }
        String userId = parts[0].strip();
        if (userId.isEmpty()) {
            return DecodeResult.reject(RejectReason.MISSING_USER_ID, "CSV line has an empty user_id");
        }
        String millisText = parts[1].strip();
        if (millisText.isEmpty()) {
            return DecodeResult.reject(RejectReason.MISSING_EVENT_TIME, "CSV line has an empty epoch_millis");
        }
        long millis;
        try {
            millis = Long.parseLong(millisText);
        } catch (NumberFormatException e) {
            return DecodeResult.reject(RejectReason.BAD_TIMESTAMP,
                    "epoch_millis is not a whole number: " + preview(millisText));
        }
        if (millis < 0 || millis > MAX_EPOCH_MILLIS) {
            return DecodeResult.reject(RejectReason.BAD_TIMESTAMP, "epoch_millis " + millis + " is outside 1970..9999");
        }
        UserEvent event = UserEvent.newBuilder()
                .setEventId(derivedEventId(bytes))
                .setUserId(userId)
                .setEventType(CSV_EVENT_TYPE)
                .setEventTime(Instant.ofEpochMilli(millis))
                .build();
        return new DecodeResult.Decoded(event, WireFormat.CSV);
    }

    // ------------------------------------------------------------------ encoding

    public byte[] encode(UserEvent event, WireFormat format) {
        return switch (format) {
            case AVRO -> encodeAvro(event);
            case JSON -> encodeJson(event);
            case CSV -> (event.getUserId() + "," + event.getEventTime().toEpochMilli()).getBytes(StandardCharsets.UTF_8);
        };
    }

    public byte[] encodeAvro(UserEvent event) {
        return avro.encode(event);
    }

    /** One JSON object on one line, DESIGN.md field names, event_time as an ISO-8601 instant. */
    public byte[] encodeJson(UserEvent event) {
        // Streaming generator, no tree: this runs once per generated event.
        try (com.fasterxml.jackson.core.util.ByteArrayBuilder out = new com.fasterxml.jackson.core.util.ByteArrayBuilder(256);
             com.fasterxml.jackson.core.JsonGenerator json = JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("event_id", event.getEventId());
            json.writeStringField("user_id", event.getUserId());
            json.writeStringField("event_type", event.getEventType());
            json.writeStringField("event_time", event.getEventTime().toString());
            if (event.getDevice() != null) {
                json.writeStringField("device", event.getDevice());
            }
            if (event.getPage() != null) {
                json.writeStringField("page", event.getPage());
            }
            if (event.getContentId() != null) {
                json.writeStringField("content_id", event.getContentId());
            }
            if (event.getMetadata() != null && !event.getMetadata().isEmpty()) {
                json.writeObjectFieldStart("metadata");
                for (Map.Entry<String, String> e : event.getMetadata().entrySet()) {
                    json.writeStringField(e.getKey(), e.getValue());
                }
                json.writeEndObject();
            }
            json.writeEndObject();
            json.flush();
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot encode event " + event.getEventId() + " as JSON", e);
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * An event without an id gets one derived from its bytes (name-based UUID), so re-reading the
     * same record after a restart, or replaying the same file, yields the same id and idempotent
     * sinks stay exact. A random UUID would turn every replay into new rows.
     */
    static String derivedEventId(byte[] bytes) {
        return UUID.nameUUIDFromBytes(bytes).toString();
    }

    private static boolean present(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && !node.isNull();
    }

    /** A string, or an integral number taken as its text (seed 000 sends user_id 123); null if absent. */
    private static String scalarText(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isIntegralNumber()) {
            return node.asText();
        }
        throw new FieldException(RejectReason.WRONG_FIELD_TYPE,
                field + " must be a string, got " + node.getNodeType());
    }

    private static Map<String, String> metadata(JsonNode root) {
        JsonNode node = root.get("metadata");
        Map<String, String> out = new HashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new FieldException(RejectReason.WRONG_FIELD_TYPE,
                    "metadata must be an object of strings, got " + node.getNodeType());
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (value.isContainerNode()) {
                throw new FieldException(RejectReason.WRONG_FIELD_TYPE,
                        "metadata." + field.getKey() + " must be a scalar, got " + value.getNodeType());
            }
            if (!value.isNull()) {
                out.put(field.getKey(), value.asText());
            }
        }
        return out;
    }

    /** ISO-8601 with offset, ISO-8601 local time (taken as UTC), or epoch milliseconds. */
    private static Instant parseTime(JsonNode node, String field) {
        long millis;
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw new FieldException(RejectReason.BAD_TIMESTAMP, field + " is out of range: " + node.asText());
            }
            millis = node.longValue();
        } else if (node.isTextual()) {
            millis = parseIsoMillis(node.textValue().strip(), field);
        } else {
            throw new FieldException(RejectReason.WRONG_FIELD_TYPE,
                    field + " must be an ISO-8601 string or epoch milliseconds, got " + node.getNodeType());
        }
        if (millis < 0 || millis > MAX_EPOCH_MILLIS) {
            throw new FieldException(RejectReason.BAD_TIMESTAMP, field + " " + millis + " is outside 1970..9999");
        }
        return Instant.ofEpochMilli(millis);
    }

    private static long parseIsoMillis(String text, String field) {
        String iso = text.length() > 10 && text.charAt(10) == ' '
                ? text.substring(0, 10) + 'T' + text.substring(11) : text;
        try {
            return OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (ArithmeticException overflow) {
            throw new FieldException(RejectReason.BAD_TIMESTAMP, field + " is outside 1970..9999: " + preview(text));
        } catch (DateTimeParseException withOffset) {
            try {
                return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (ArithmeticException overflow) {
                throw new FieldException(RejectReason.BAD_TIMESTAMP, field + " is outside 1970..9999: " + preview(text));
            } catch (DateTimeParseException local) {
                throw new FieldException(RejectReason.BAD_TIMESTAMP,
                        field + " is not an ISO-8601 time: " + preview(text));
            }
        }
    }

    private static String preview(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= 80 ? "'" + oneLine + "'" : "'" + oneLine.substring(0, 77) + "...'";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** A field-level problem, turned into a rejection at the top of {@link #decodeJson}. */
    private static final class FieldException extends RuntimeException {
        final RejectReason reason;

        FieldException(RejectReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
