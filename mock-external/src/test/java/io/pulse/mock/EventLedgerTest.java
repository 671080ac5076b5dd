package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bound of the ledger: at most maxKeys held, the oldest evicted, counters exact for held keys. */
class EventLedgerTest {
    @Test
    void defaultBoundIsOneMillionKeys() {
        assertThat(new EventLedger().maxKeys()).isEqualTo(1_000_000);
    }

    @Test
    void fullLedgerEvictsTheOldestEntryAndKeepsCounting() {
        EventLedger ledger = new EventLedger(3);
        ledger.accept(batch("a", "b", "c"));
        ledger.accept(batch("d", "e"));

        assertThat(ledger.stats()).isEqualTo(new EventLedger.Stats(5, 5, 0, 2, 0, 3, 2, 0, 0));
        assertThat(keys(ledger)).containsExactly("c", "d", "e");
    }

    @Test
    void duplicateOfAHeldKeyIsDetectedWhenTheLedgerIsFull() {
        EventLedger ledger = new EventLedger(3);
        ledger.accept(batch("a", "b", "c", "d"));

        EventLedger.Accepted again = ledger.accept(batch("b", "d"));

        assertThat(again.duplicates()).isEqualTo(2);
        assertThat(ledger.stats().duplicates()).isEqualTo(2);
        assertThat(ledger.stats().evicted()).as("a duplicate evicts nothing").isEqualTo(1);
        assertThat(keys(ledger)).containsExactly("b", "c", "d");
    }

    @Test
    void resentKeyGetsItsNewPayloadButKeepsItsAge() {
        EventLedger ledger = new EventLedger(2);
        ledger.accept(List.of(event("a", "{\"event_id\":\"a\",\"v\":1}"), event("b", "{\"event_id\":\"b\"}")));
        ledger.accept(List.of(event("a", "{\"event_id\":\"a\",\"v\":2}")));
        ledger.accept(batch("c"));

        assertThat(keys(ledger)).as("a arrived first, so it goes first").containsExactly("b", "c");
        assertThat(ledger.stats().evicted()).isEqualTo(1);
    }

    @Test
    void lastVersionOfAHeldKeyWins() {
        EventLedger ledger = new EventLedger(2);
        ledger.accept(List.of(event("a", "{\"event_id\":\"a\",\"v\":1}")));
        ledger.accept(List.of(event("a", "{\"event_id\":\"a\",\"v\":2}")));

        assertThat(ledger.events()).extracting(e -> e.get("v").asInt()).containsExactly(2);
    }

    @Test
    void keyThatComesBackAfterItsEvictionCountsAsUniqueAgain() {
        EventLedger ledger = new EventLedger(2);
        ledger.accept(batch("a", "b", "c")); // evicts a
        ledger.accept(batch("a"));           // not held: not recognisable as a duplicate (the documented rule)

        EventLedger.Stats stats = ledger.stats();
        assertThat(stats.unique()).isEqualTo(4);
        assertThat(stats.duplicates()).isZero();
        assertThat(stats.evicted()).isEqualTo(2);
        assertThat(keys(ledger)).containsExactly("c", "a");
    }

    @Test
    void withoutEvictionUniqueIsTheNumberHeld() {
        EventLedger ledger = new EventLedger(10);
        ledger.accept(batch("a", "b", "a", "c"));

        EventLedger.Stats stats = ledger.stats();
        assertThat(stats.evicted()).isZero();
        assertThat(stats.unique()).isEqualTo(stats.held()).isEqualTo(3);
        assertThat(stats.received()).isEqualTo(stats.unique() + stats.duplicates());
    }

    @Test
    void resetForgetsHeldEventsAndCounters() {
        EventLedger ledger = new EventLedger(1);
        ledger.accept(batch("a", "b"));
        ledger.countRejectedRequest();
        ledger.countAbortedRequest();
        ledger.reset();

        assertThat(ledger.stats()).isEqualTo(new EventLedger.Stats(0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void boundBelowOneIsRefused() {
        assertThatThrownBy(() -> new EventLedger(0)).hasMessageContaining("max keys must be >= 1");
    }

    private static List<EventLedger.Keyed> batch(String... keys) {
        return Arrays.stream(keys).map(k -> event(k, "{\"event_id\":\"" + k + "\"}")).toList();
    }

    private static EventLedger.Keyed event(String key, String json) {
        return new EventLedger.Keyed(key, json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> keys(EventLedger ledger) {
        return ledger.events().stream().map(e -> e.get("event_id")).map(JsonNode::asText).toList();
    }
}
