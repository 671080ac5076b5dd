package io.pulse.model.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.model.avro.UserEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The input limits of DESIGN.md: each at its bound passes, one past it is rejected with its reason. */
class InputLimitsTest {
    private static final long NOW = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    private static final long ONE_HOUR = Duration.ofHours(1).toMillis();
    /** U+1F600, one character outside the BMP: two UTF-16 units, four UTF-8 bytes. */
    private static final String EMOJI = "\ud83d\ude00";

    private final InputLimits limits = InputLimits.defaults();

    private static UserEvent event() {
        return UserEvent.newBuilder().setEventId("e-1").setUserId("u-1").setEventType("page_view")
                .setEventTime(Instant.ofEpochMilli(NOW)).setDevice("iPhone").setPage("/home").setContentId("c-1")
                .setMetadata(new HashMap<>(Map.of("campaign", "summer"))).build();
    }

    private static UserEvent with(BiConsumer<UserEvent, String> field, String value) {
        UserEvent e = event();
        field.accept(e, value);
        return e;
    }

    /** A setter for each limited text field, its name in the rejection's detail, and its limit in characters. */
    static Stream<Arguments> textFields() {
        BiConsumer<UserEvent, String> metadataKey = (e, v) -> e.setMetadata(Map.of(v, "x"));
        BiConsumer<UserEvent, String> metadataValue = (e, v) -> e.setMetadata(Map.of("k", v));
        return Stream.of(
                Arguments.of("event_id", (BiConsumer<UserEvent, String>) UserEvent::setEventId, 128),
                Arguments.of("user_id", (BiConsumer<UserEvent, String>) UserEvent::setUserId, 128),
                Arguments.of("event_type", (BiConsumer<UserEvent, String>) UserEvent::setEventType, 64),
                Arguments.of("device", (BiConsumer<UserEvent, String>) UserEvent::setDevice, 64),
                Arguments.of("page", (BiConsumer<UserEvent, String>) UserEvent::setPage, 1024),
                Arguments.of("content_id", (BiConsumer<UserEvent, String>) UserEvent::setContentId, 1024),
                Arguments.of("metadata key", metadataKey, 128),
                Arguments.of("metadata.k", metadataValue, 1024));
    }

    static Stream<Arguments> utf8LimitedFields() {
        return Stream.of(
                Arguments.of("page", (BiConsumer<UserEvent, String>) UserEvent::setPage),
                Arguments.of("content_id", (BiConsumer<UserEvent, String>) UserEvent::setContentId));
    }

    @Test
    void anEventWithinEveryLimitPasses() {
        assertThat(limits.check(event())).isNull();
    }

    @Test
    void theDefaultsAreTheLimitsOfTheDesign() {
        assertThat(limits).isEqualTo(new InputLimits(Duration.ofHours(1), 128, 64, 1024, 2048, 128, 64, 128, 1024, 1 << 20));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("textFields")
    void aTextFieldAtItsLimitPasses(String name, BiConsumer<UserEvent, String> field, int limit) {
        assertThat(limits.check(with(field, "x".repeat(limit)))).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("textFields")
    void aTextFieldOnePastItsLimitIsFieldTooLong(String name, BiConsumer<UserEvent, String> field, int limit) {
        DecodeResult.Rejected rejected = limits.check(with(field, "x".repeat(limit + 1)));
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.FIELD_TOO_LONG);
        assertThat(rejected.detail()).startsWith(name + " has " + (limit + 1) + " characters, the limit is " + limit);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("textFields")
    void aCharacterOutsideTheBmpCountsAsOneCharacter(String name, BiConsumer<UserEvent, String> field, int limit) {
        // 24 of the characters are two UTF-16 units each: the value is limit + 24 units long, but limit characters
        String atLimit = "x".repeat(limit - 24) + EMOJI.repeat(24);
        assertThat(atLimit.length()).isEqualTo(limit + 24);
        assertThat(limits.check(with(field, atLimit))).isNull();
        DecodeResult.Rejected onePast = limits.check(with(field, atLimit + EMOJI));
        assertThat(onePast).isNotNull();
        assertThat(onePast.reason()).isEqualTo(RejectReason.FIELD_TOO_LONG);
        assertThat(onePast.detail()).startsWith(name + " has " + (limit + 1) + " characters");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("utf8LimitedFields")
    void pageAndContentIdAtTheUtf8ByteLimitPass(String name, BiConsumer<UserEvent, String> field) {
        String atBytes = "\u00e9".repeat(1024); // 1,024 characters, 2,048 bytes
        assertThat(atBytes.getBytes(StandardCharsets.UTF_8)).hasSize(2048);
        assertThat(limits.check(with(field, atBytes))).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("utf8LimitedFields")
    void pageAndContentIdOneBytePastTheUtf8ByteLimitAreFieldTooLong(String name, BiConsumer<UserEvent, String> field) {
        String pastBytes = "\u00e9".repeat(1023) + "\u8a9e"; // still 1,024 characters, 2,049 bytes
        assertThat(pastBytes.getBytes(StandardCharsets.UTF_8)).hasSize(2049);
        DecodeResult.Rejected rejected = limits.check(with(field, pastBytes));
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.FIELD_TOO_LONG);
        assertThat(rejected.detail()).isEqualTo(name + " has 2049 UTF-8 bytes, the limit is 2048");
    }

    @Test
    void otherFieldsHaveNoByteLimitBeyondTheirCharacters() {
        // 128 three-byte characters: 384 bytes, within user_id's 128 characters
        assertThat(limits.check(with(UserEvent::setUserId, "\u8a9e".repeat(128)))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0000", "\u0009", "\n", "\u001f", "\u007f"})
    void aControlCharacterIsRejected(String control) {
        DecodeResult.Rejected rejected = limits.check(with(UserEvent::setDevice, "Web" + control + "x"));
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.CONTROL_CHARACTER);
        assertThat(rejected.detail()).isEqualTo("device holds control character U+" + String.format("%04X", (int) control.charAt(0)) + " at 3");
    }

    @Test
    void aControlCharacterInAMetadataValueIsRejected() {
        DecodeResult.Rejected rejected = limits.check(with((e, v) -> e.setMetadata(Map.of("k", v)), "a\u0000b"));
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.CONTROL_CHARACTER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\ud800", "a\udc00", "x\ud83d", "\ude00\ud83d", EMOJI + "\udc00"})
    void anUnpairedSurrogateIsInvalidText(String text) {
        DecodeResult.Rejected rejected = limits.check(with(UserEvent::setPage, text));
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.INVALID_TEXT);
        assertThat(rejected.detail()).startsWith("page holds an unpaired surrogate");
    }

    @Test
    void metadataAtItsEntryLimitPasses() {
        Map<String, String> metadata = new HashMap<>();
        for (int i = 0; i < 64; i++) {
            metadata.put("k" + i, "v");
        }
        UserEvent e = event();
        e.setMetadata(metadata);
        assertThat(limits.check(e)).isNull();
    }

    @Test
    void metadataOneEntryPastItsLimitIsMetadataTooLarge() {
        Map<String, String> metadata = new HashMap<>();
        for (int i = 0; i < 65; i++) {
            metadata.put("k" + i, "v");
        }
        UserEvent e = event();
        e.setMetadata(metadata);
        DecodeResult.Rejected rejected = limits.check(e);
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.METADATA_TOO_LARGE);
        assertThat(rejected.detail()).contains("65 entries", "64");
    }

    @Test
    void aMissingOrEmptyRequiredFieldIsMissingField() {
        assertThat(limits.check(with(UserEvent::setEventId, null)).reason()).isEqualTo(RejectReason.MISSING_FIELD);
        assertThat(limits.check(with(UserEvent::setUserId, "")).reason()).isEqualTo(RejectReason.MISSING_FIELD);
        assertThat(limits.check(with(UserEvent::setEventType, null)).detail()).isEqualTo("event_type is missing");
        assertThat(limits.check(with(UserEvent::setUserId, "")).detail()).isEqualTo("user_id is empty");
    }

    @Test
    void optionalFieldsMayBeAbsentOrEmpty() {
        UserEvent e = event();
        e.setDevice(null);
        e.setPage("");
        e.setContentId(null);
        e.setMetadata(Map.of());
        assertThat(limits.check(e)).isNull();
    }

    // ------------------------------------------------------------------ event time

    @Test
    void eventTimeFrom1970ToNowPlusMaxFuturePasses() {
        assertThat(limits.checkTime(0, NOW)).isNull();
        assertThat(limits.checkTime(NOW, NOW)).isNull();
        assertThat(limits.checkTime(NOW + ONE_HOUR, NOW)).isNull();
    }

    @Test
    void eventTimeBefore1970IsOutOfRange() {
        DecodeResult.Rejected rejected = limits.checkTime(-1, NOW);
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.EVENT_TIME_OUT_OF_RANGE);
        assertThat(rejected.detail()).isEqualTo("event_time -1 is before 1970");
    }

    @Test
    void eventTimeOneMillisecondPastNowPlusMaxFutureIsOutOfRange() {
        DecodeResult.Rejected rejected = limits.checkTime(NOW + ONE_HOUR + 1, NOW);
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.EVENT_TIME_OUT_OF_RANGE);
        assertThat(rejected.detail()).contains("input.max-future (PT1H)", "2026-12-02T13:00:00.001Z", "2026-12-02T12:00:00Z");
    }

    // ------------------------------------------------------------------ engagement changes

    private DecodeResult.Rejected engagement(String contentId, Integer durationMs, long time) {
        return limits.checkEngagement("e-1", contentId, "u-1", "like", durationMs, "Web", time, NOW);
    }

    @Test
    void anEngagementChangeWithinTheLimitsPasses() {
        assertThat(engagement("c-1", 0, NOW)).isNull();
        assertThat(engagement("c-1", null, NOW)).isNull();
    }

    @Test
    void aNegativeDurationIsBadDuration() {
        DecodeResult.Rejected rejected = engagement("c-1", -1, NOW);
        assertThat(rejected).isNotNull();
        assertThat(rejected.reason()).isEqualTo(RejectReason.BAD_DURATION);
        assertThat(rejected.detail()).isEqualTo("duration_ms -1 is negative");
    }

    @Test
    void anEngagementChangeWithoutContentIdIsMissingField() {
        assertThat(engagement(null, 1, NOW).reason()).isEqualTo(RejectReason.MISSING_FIELD);
        assertThat(engagement("", 1, NOW).reason()).isEqualTo(RejectReason.MISSING_FIELD);
    }

    @Test
    void anEngagementChangesContentIdIsHeldToTheUtf8ByteLimit() {
        assertThat(engagement("\u00e9".repeat(1024), 1, NOW)).isNull();
        assertThat(engagement("\u00e9".repeat(1023) + "\u8a9e", 1, NOW).reason()).isEqualTo(RejectReason.FIELD_TOO_LONG);
    }

    @Test
    void anEngagementChangesTimeIsCheckedAgainstNow() {
        assertThat(engagement("c-1", 1, NOW + ONE_HOUR)).isNull();
        assertThat(engagement("c-1", 1, NOW + ONE_HOUR + 1).reason()).isEqualTo(RejectReason.EVENT_TIME_OUT_OF_RANGE);
        assertThat(engagement("c-1", 1, -1).reason()).isEqualTo(RejectReason.EVENT_TIME_OUT_OF_RANGE);
    }

    // ------------------------------------------------------------------ settings

    @Test
    void settingsOverrideTheDefaultsAndMissingKeysKeepThem() {
        InputLimits custom = InputLimits.from(Map.of("input.user-id.max-length", " 5 ", "input.max-future", "10s"));
        assertThat(custom.maxUserId()).isEqualTo(5);
        assertThat(custom.maxFuture()).isEqualTo(Duration.ofSeconds(10));
        assertThat(custom.maxText()).isEqualTo(1024);
        assertThat(custom.check(with(UserEvent::setUserId, "12345"))).isNull();
        assertThat(custom.check(with(UserEvent::setUserId, "123456")).reason()).isEqualTo(RejectReason.FIELD_TOO_LONG);
        assertThat(custom.checkTime(NOW + 10_001, NOW).reason()).isEqualTo(RejectReason.EVENT_TIME_OUT_OF_RANGE);
    }

    @Test
    void aLimitThatIsNotANumberNamesTheSettingAndTheValue() {
        assertThatThrownBy(() -> InputLimits.from(Map.of("input.metadata.max-entries", "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("setting 'input.metadata.max-entries' must be a whole number, got 'lots'");
    }

    @Test
    void aMaxFutureThatIsNotADurationNamesTheSettingAndTheValue() {
        assertThatThrownBy(() -> InputLimits.from(Map.of("input.max-future", "soon")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("setting 'input.max-future' must be a duration such as 10s, 2m or 500ms, got 'soon'");
    }

    @Test
    void aLimitThatIsNotPositiveIsRefused() {
        assertThatThrownBy(() -> InputLimits.from(Map.of("input.key-field.max-length", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("every input.* length limit must be positive, got 0");
        assertThatThrownBy(() -> InputLimits.from(Map.of("input.max-future", "-1s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("input.max-future must not be negative");
    }
}
