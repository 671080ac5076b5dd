package io.pulse.process.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.model.settings.KafkaClient;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A sink's dead letters against the test stack's broker: counted once Kafka has them, and a dead
 * letter Kafka does not take (here: a topic that does not exist, the stack creates none
 * automatically) fails the flush before the checkpoint, naming the topic, instead of being lost.
 */
class SinkDeadLettersITCase {
    private static StackEndpoints stack;

    @BeforeAll
    static void endpoints() {
        stack = LocalStack.sharedEndpoints();
    }

    @Test
    void deadLettersAreCountedOnceKafkaHasThem() throws IOException {
        try (ScratchTopic dead = ScratchTopic.create(stack, "sink-dead", 1);
             SinkDeadLetters.Channel channel = new SinkDeadLetters(KafkaClient.of(stack.kafkaBootstrap()), dead.name(), 1024)
                     .open("postgres", null)) {
            for (int i = 0; i < 3; i++) {
                channel.send("session_kpis", "k" + i, "value too long", "{\"row\":" + i + "}");
            }
            channel.flush();
            assertThat(channel.count()).isEqualTo(3);
            assertThat(dead.readAll()).extracting(r -> DeadLetter.fromJson(r.value()).sink()).containsExactly("postgres", "postgres", "postgres");
        }
    }

    @Test
    void aDeadLetterKafkaDoesNotTakeFailsTheFlushInsteadOfBeingLost() {
        KafkaClient kafka = new KafkaClient(stack.kafkaBootstrap(), Map.of("max.block.ms", "2000"));
        try (SinkDeadLetters.Channel channel = new SinkDeadLetters(kafka, "no-such-topic-" + System.nanoTime(), 1024).open("postgres", null)) {
            channel.send("session_kpis", "k", "value too long", "{\"row\":1}");
            assertThatThrownBy(channel::flush).isInstanceOf(IOException.class)
                    .hasMessageContaining("no-such-topic-").hasMessageContaining("the checkpoint does not complete");
            assertThat(channel.count()).isZero();
        }
    }
}
