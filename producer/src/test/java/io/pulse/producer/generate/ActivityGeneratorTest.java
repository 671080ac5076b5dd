package io.pulse.producer.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.model.codec.WireFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ActivityGeneratorTest {
    private static final Instant START = Instant.parse("2025-07-24T12:00:00Z");
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    private static ActivityOptions options(long seed, double late, double malformed) {
        return new ActivityOptions(seed, 50, START, late, TEN_MINUTES, malformed, WireFormat.AVRO);
    }

    private static List<GeneratedActivity> generate(ActivityOptions options, int n) {
        ActivityGenerator generator = new ActivityGenerator(options);
        List<GeneratedActivity> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(generator.next());
        }
        return out;
    }

    @Test
    void sameSeedAndOptionsGiveTheSameRecordsByteForByte() {
        List<GeneratedActivity> a = generate(options(7, 0.05, 0.05), 2000);
        List<GeneratedActivity> b = generate(options(7, 0.05, 0.05), 2000);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).key()).isEqualTo(b.get(i).key());
            assertThat(a.get(i).value()).isEqualTo(b.get(i).value());
        }
    }

    @Test
    void usersStartingSteadySendAtTheDocumentedPaceFromTheFirstEvent() {
        int users = 2000;
        List<GeneratedActivity> records = generate(new ActivityOptions(3, users, START, 0, TEN_MINUTES, 0, WireFormat.AVRO, true),
                100_000);
        double expected = 25_000 * ActivityGenerator.MEAN_SECONDS_BETWEEN_EVENTS_OF_A_USER / users; // event-time seconds per 25,000 events
        for (int from : new int[] {0, 25_000, 75_000}) {
            long seconds = Duration.between(records.get(from).event().getEventTime(), records.get(from + 24_999).event().getEventTime()).toSeconds();
            assertThat((double) seconds).as("event-time span of events %d..%d", from, from + 24_999).isBetween(expected * 0.9, expected * 1.1);
        }
    }

    @Test
    void anotherSeedGivesOtherRecords() {
        assertThat(generate(options(7, 0, 0), 10).get(0).value()).isNotEqualTo(generate(options(8, 0, 0), 10).get(0).value());
    }

    @Test
    void lateAndMalformedSharesAreWithinOnePointOnTenThousand() {
        List<GeneratedActivity> records = generate(options(42, 0.05, 0.03), 10_000);
        long late = records.stream().filter(r -> r.kind() == ActivityKind.LATE).count();
        long malformed = records.stream().filter(r -> r.kind() == ActivityKind.MALFORMED).count();
        assertThat(late / 10_000.0).isBetween(0.04, 0.06);
        assertThat(malformed / 10_000.0).isBetween(0.02, 0.04);
    }

    @Test
    void validAndLateRecordsDecodeToTheirEventAndMalformedOnesNever() {
        UserEventCodec codec = new UserEventCodec();
        for (GeneratedActivity record : generate(options(3, 0.1, 0.1), 3000)) {
            DecodeResult result = codec.decode(record.value());
            if (record.kind() == ActivityKind.MALFORMED) {
                assertThat(result).isInstanceOf(DecodeResult.Rejected.class);
            } else {
                assertThat(result).isEqualTo(new DecodeResult.Decoded(record.event(), WireFormat.AVRO));
                assertThat(record.key()).isEqualTo(record.event().getUserId());
            }
        }
    }

    @Test
    void onTimeEventsComeInEventTimeOrderAndLateOnesLieTenMinutesBack() {
        Instant max = Instant.EPOCH;
        for (GeneratedActivity record : generate(options(5, 0.05, 0), 5000)) {
            Instant time = record.event().getEventTime();
            if (record.kind() == ActivityKind.VALID) {
                assertThat(time).isAfterOrEqualTo(max);
                max = time;
            } else {
                assertThat(time).isBefore(max.minus(Duration.ofMinutes(5)));
            }
        }
    }

    @Test
    void journeysLookLikeSessions() {
        Map<String, List<String>> byUser = new HashMap<>();
        Set<String> types = new HashSet<>();
        for (GeneratedActivity record : generate(options(11, 0, 0), 20_000)) {
            UserEvent e = record.event();
            byUser.computeIfAbsent(e.getUserId(), k -> new ArrayList<>()).add(e.getEventType());
            types.add(e.getEventType());
        }
        assertThat(types).contains("login", "logout", "page_view", "click", "search", "add_to_cart", "purchase",
                "form_submit", "session_start", "session_end");
        for (List<String> journey : byUser.values()) {
            String first = journey.get(0);
            assertThat(first).isIn("login", "session_start");
            // A purchase always follows an add_to_cart of the same session.
            int cart = journey.indexOf("add_to_cart");
            int purchase = journey.indexOf("purchase");
            if (purchase >= 0) {
                assertThat(cart).isBetween(0, purchase - 1);
            }
        }
        assertThat(byUser).hasSize(50);
    }
}
