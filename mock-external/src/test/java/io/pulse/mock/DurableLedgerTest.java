package io.pulse.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stand-in's ledger in a journal file: a new ledger on the file (a restarted mock-external, even
 * one killed with SIGKILL: every batch is on disk before it is acknowledged) holds the same events and
 * counters, so a retry after the restart counts as the duplicate it is; a batch torn by the kill was
 * never acknowledged and is not there; reset empties the journal too.
 */
class DurableLedgerTest {
    @TempDir Path dir;

    @Test
    void aRestartedLedgerHoldsWhatWasAcknowledgedAndCountsARetryAsADuplicate() throws Exception {
        Path journal = dir.resolve("ledger.jsonl");
        EventLedger before = new EventLedger(100, journal);
        before.accept(batch("a", "b", "c"));
        before.accept(batch("c", "d"));
        // the process dies here: no close, no flush beyond what accept did

        EventLedger after = new EventLedger(100, journal);
        assertThat(after.stats()).isEqualTo(before.stats());
        assertThat(keys(after)).containsExactly("a", "b", "c", "d");
        assertThat(after.accept(batch("d", "e")).duplicates()).as("the retry of d").isEqualTo(1);

        EventLedger again = new EventLedger(100, journal);
        assertThat(again.stats().received()).isEqualTo(7);
        assertThat(again.stats().duplicates()).isEqualTo(2);
        assertThat(keys(again)).containsExactly("a", "b", "c", "d", "e");
    }

    @Test
    void aBatchTornByTheKillWasNeverAcknowledgedAndIsNotReloaded() throws Exception {
        Path journal = dir.resolve("ledger.jsonl");
        new EventLedger(100, journal).accept(batch("a"));
        Files.writeString(journal, "{\"batch\":[{\"k\":\"b\",\"e\":{\"event_id\":", StandardOpenOption.APPEND);

        EventLedger after = new EventLedger(100, journal);
        assertThat(keys(after)).containsExactly("a");
        assertThat(after.stats().received()).isEqualTo(1);
    }

    @Test
    void resetEmptiesTheJournal() throws Exception {
        Path journal = dir.resolve("ledger.jsonl");
        EventLedger ledger = new EventLedger(100, journal);
        ledger.accept(batch("a", "b"));
        ledger.reset();
        assertThat(new EventLedger(100, journal).stats().received()).isZero();
    }

    @Test
    void theServerComesBackWithItsLedger() throws Exception {
        Path journal = dir.resolve("ledger.jsonl");
        try (MockExternalServer server = MockExternalServer.builder().port(0).ledger(journal).start()) {
            server.ledger().accept(batch("x", "y"));
        }
        try (MockExternalServer server = MockExternalServer.builder().port(0).ledger(journal).start()) {
            assertThat(keys(server.ledger())).containsExactly("x", "y");
        }
    }

    private static List<EventLedger.Keyed> batch(String... keys) {
        return Arrays.stream(keys).map(k -> new EventLedger.Keyed(k, ("{\"event_id\":\"" + k + "\"}").getBytes(StandardCharsets.UTF_8)))
                .toList();
    }

    private static List<String> keys(EventLedger ledger) {
        return ledger.events().stream().map(e -> e.get("event_id")).map(JsonNode::asText).toList();
    }
}
