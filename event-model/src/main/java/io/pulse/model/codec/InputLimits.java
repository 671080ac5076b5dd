package io.pulse.model.codec;

import io.pulse.model.avro.UserEvent;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The input limits of DESIGN.md ("Input limits"), checked once at the edge: a decoded record outside
 * them is rejected with its own reason instead of reaching an operator or a sink. Lengths count
 * Unicode characters (code points). {@code page} and {@code content_id} are also held to
 * {@link #maxTextBytes} UTF-8 bytes, because {@code page} is part of a B-tree key and PostgreSQL refuses
 * index rows over ~2.7 KB (1,024 characters of 3-byte text would pass a character limit and fail there).
 */
public record InputLimits(Duration maxFuture, int maxUserId, int maxKeyField, int maxText, int maxTextBytes, int maxEventId,
                          int maxMetadataEntries, int maxMetadataKey, int maxMetadataValue, int maxRecordBytes)
        implements Serializable {

    /** These limits with another whole-record limit. */
    public InputLimits withMaxRecordBytes(int bytes) {
        return new InputLimits(maxFuture, maxUserId, maxKeyField, maxText, maxTextBytes, maxEventId, maxMetadataEntries, maxMetadataKey,
                maxMetadataValue, bytes);
    }

    /** Settings keys and their defaults, shared by every job that reads input. */
    public static final Map<String, String> DEFAULTS = defaultSettings();

    private static Map<String, String> defaultSettings() {
        Map<String, String> d = new TreeMap<>();
        d.put("input.max-future", "1h");
        d.put("input.user-id.max-length", "128");
        d.put("input.key-field.max-length", "64");
        d.put("input.text-field.max-length", "1024");
        d.put("input.text-field.max-bytes", "2048");
        d.put("input.event-id.max-length", "128");
        d.put("input.metadata.max-entries", "64");
        d.put("input.metadata.max-key-length", "128");
        d.put("input.metadata.max-value-length", "1024");
        d.put("input.max-record-bytes", String.valueOf(1 << 20));
        return d;
    }

    public InputLimits {
        if (maxFuture.isNegative()) {
            throw new IllegalArgumentException("input.max-future must not be negative, got " + maxFuture);
        }
        for (int limit : new int[] {maxUserId, maxKeyField, maxText, maxTextBytes, maxEventId, maxMetadataEntries, maxMetadataKey,
                maxMetadataValue, maxRecordBytes}) {
            if (limit <= 0) {
                throw new IllegalArgumentException("every input.* length limit must be positive, got " + limit);
            }
        }
    }

    public static InputLimits defaults() {
        return from(DEFAULTS);
    }

    /** The limits from resolved settings (keys of {@link #DEFAULTS}). */
    public static InputLimits from(Map<String, String> settings) {
        return new InputLimits(io.pulse.model.settings.Settings.parseDuration("input.max-future", settings.getOrDefault("input.max-future", DEFAULTS.get("input.max-future"))),
                number(settings, "input.user-id.max-length"), number(settings, "input.key-field.max-length"),
                number(settings, "input.text-field.max-length"), number(settings, "input.text-field.max-bytes"),
                number(settings, "input.event-id.max-length"), number(settings, "input.metadata.max-entries"),
                number(settings, "input.metadata.max-key-length"), number(settings, "input.metadata.max-value-length"),
                number(settings, "input.max-record-bytes"));
    }

    private static int number(Map<String, String> settings, String key) {
        String value = settings.get(key);
        try {
            return Integer.parseInt(value == null ? DEFAULTS.get(key) : value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting '" + key + "' must be a whole number, got '" + value + "'");
        }
    }

    /** The rejection of a decoded activity event outside the limits (time aside: {@link #checkTime}), or null. */
    public DecodeResult.Rejected check(UserEvent e) {
        DecodeResult.Rejected r = text("event_id", e.getEventId(), maxEventId, Integer.MAX_VALUE, true);
        if (r == null) {
            r = text("user_id", e.getUserId(), maxUserId, Integer.MAX_VALUE, true);
        }
        if (r == null) {
            r = text("event_type", e.getEventType(), maxKeyField, Integer.MAX_VALUE, true);
        }
        if (r == null) {
            r = text("device", e.getDevice(), maxKeyField, Integer.MAX_VALUE, false);
        }
        if (r == null) {
            r = text("page", e.getPage(), maxText, maxTextBytes, false);
        }
        if (r == null) {
            r = text("content_id", e.getContentId(), maxText, maxTextBytes, false);
        }
        return r == null ? metadata(e.getMetadata()) : r;
    }

    /** The rejection of an engagement change's value outside the limits (time included), or null. */
    public DecodeResult.Rejected checkEngagement(String eventId, String contentId, String userId, String eventType, Integer durationMs,
                                                 String device, long eventTime, long now) {
        DecodeResult.Rejected r = text("event_id", eventId, maxEventId, Integer.MAX_VALUE, true);
        if (r == null) {
            r = text("content_id", contentId, maxText, maxTextBytes, true);
        }
        if (r == null) {
            r = text("user_id", userId, maxUserId, Integer.MAX_VALUE, true);
        }
        if (r == null) {
            r = text("event_type", eventType, maxKeyField, Integer.MAX_VALUE, true);
        }
        if (r == null) {
            r = text("device", device, maxKeyField, Integer.MAX_VALUE, false);
        }
        if (r == null && durationMs != null && durationMs < 0) {
            r = new DecodeResult.Rejected(RejectReason.BAD_DURATION, "duration_ms " + durationMs + " is negative");
        }
        return r == null ? checkTime(eventTime, now) : r;
    }

    /**
     * The rejection of an event time before 1970 or more than {@link #maxFuture} ahead of {@code now}
     * (processing time), or null. One such record would otherwise move the watermark past every
     * on-time event.
     */
    public DecodeResult.Rejected checkTime(long eventTime, long now) {
        if (eventTime < 0) {
            return new DecodeResult.Rejected(RejectReason.EVENT_TIME_OUT_OF_RANGE, "event_time " + eventTime + " is before 1970");
        }
        long latest = now + maxFuture.toMillis();
        if (eventTime > latest) {
            return new DecodeResult.Rejected(RejectReason.EVENT_TIME_OUT_OF_RANGE, "event_time " + java.time.Instant.ofEpochMilli(eventTime)
                    + " is more than input.max-future (" + maxFuture + ") ahead of processing time " + java.time.Instant.ofEpochMilli(now));
        }
        return null;
    }

    private DecodeResult.Rejected metadata(Map<String, String> metadata) {
        if (metadata == null || metadata.isEmpty()) {
            return null;
        }
        if (metadata.size() > maxMetadataEntries) {
            return new DecodeResult.Rejected(RejectReason.METADATA_TOO_LARGE,
                    "metadata has " + metadata.size() + " entries, the limit is " + maxMetadataEntries + " (input.metadata.max-entries)");
        }
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            DecodeResult.Rejected r = text("metadata key", entry.getKey(), maxMetadataKey, Integer.MAX_VALUE, true);
            if (r == null) {
                r = text("metadata." + shortName(entry.getKey()), entry.getValue(), maxMetadataValue, Integer.MAX_VALUE, false);
            }
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /**
     * Null when {@code value} is within {@code maxChars} code points (and {@code maxBytes} UTF-8 bytes),
     * holds no control character and no unpaired surrogate, and is present when {@code required}.
     */
    static DecodeResult.Rejected text(String field, String value, int maxChars, int maxBytes, boolean required) {
        if (value == null) {
            return required ? new DecodeResult.Rejected(RejectReason.MISSING_FIELD, field + " is missing") : null;
        }
        int length = value.length();
        if (required && length == 0) {
            return new DecodeResult.Rejected(RejectReason.MISSING_FIELD, field + " is empty");
        }
        boolean ascii = true;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return new DecodeResult.Rejected(RejectReason.CONTROL_CHARACTER,
                        field + " holds control character U+" + String.format("%04X", (int) c) + " at " + i);
            }
            if (c >= 0x80) {
                ascii = false;
                if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    return new DecodeResult.Rejected(RejectReason.INVALID_TEXT, field + " holds an unpaired surrogate at " + i);
                }
            }
        }
        if (length > maxChars && value.codePointCount(0, length) > maxChars) {
            return new DecodeResult.Rejected(RejectReason.FIELD_TOO_LONG,
                    field + " has " + value.codePointCount(0, length) + " characters, the limit is " + maxChars);
        }
        if (!ascii && length * 3L > maxBytes) {
            int bytes = value.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > maxBytes) {
                return new DecodeResult.Rejected(RejectReason.FIELD_TOO_LONG,
                        field + " has " + bytes + " UTF-8 bytes, the limit is " + maxBytes);
            }
        }
        return null;
    }

    private static String shortName(String key) {
        return key.length() <= 40 ? key : key.substring(0, 40) + "...";
    }
}
