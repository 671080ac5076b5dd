package io.pulse.model.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ISO-8601 times that parse but whose epoch milliseconds do not fit a long (java.time's
 * toEpochMilli throws ArithmeticException for them) are BAD_TIMESTAMP, never an exception or a
 * DECODE_ERROR.
 */
class UserEventCodecEventTimeRangeTest {
    private final UserEventCodec codec = new UserEventCodec();

    private DecodeResult.Rejected rejected(String json) {
        DecodeResult result = codec.decode(json.getBytes(StandardCharsets.UTF_8));
        assertThat(result).as("decode %s", json).isInstanceOf(DecodeResult.Rejected.class);
        return (DecodeResult.Rejected) result;
    }

    @Test
    void theLatestOffsetDateTimeIsBadTimestamp() {
        DecodeResult.Rejected rejected = rejected("{\"user_id\":\"u\",\"event_time\":\"+999999999-12-31T23:59:59Z\"}");
        assertThat(rejected.reason()).isEqualTo(RejectReason.BAD_TIMESTAMP);
        assertThat(rejected.detail()).isEqualTo("event_time is outside 1970..9999: '+999999999-12-31T23:59:59Z'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59",
            "-999999999-01-01T00:00:00+18:00"})
    void anEventTimeWhoseMillisOverflowIsBadTimestamp(String time) {
        assertThat(rejected("{\"user_id\":\"u\",\"event_time\":\"" + time + "\"}").reason()).isEqualTo(RejectReason.BAD_TIMESTAMP);
    }

    @Test
    void aSeed000RawTimeWhoseMillisOverflowIsBadTimestamp() {
        DecodeResult.Rejected rejected = rejected("{\"user_id\":\"u\",\"event_time_raw\":\"+999999999-12-31T23:59:59\"}");
        assertThat(rejected.reason()).isEqualTo(RejectReason.BAD_TIMESTAMP);
        assertThat(rejected.detail()).startsWith("event_time_raw is outside 1970..9999");
    }

    @Test
    void theLastMillisecondOfYear9999IsTheLatestAccepted() {
        assertThat(codec.decode("{\"user_id\":\"u\",\"event_time\":\"9999-12-31T23:59:59.999Z\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(DecodeResult.Decoded.class);
        assertThat(rejected("{\"user_id\":\"u\",\"event_time\":\"+10000-01-01T00:00:00Z\"}").reason())
                .isEqualTo(RejectReason.BAD_TIMESTAMP);
    }
}
