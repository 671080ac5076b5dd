package io.pulse.producer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.model.settings.KafkaClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The kafka.properties.* pass-through reaches the Kafka clients, and the start-up check says what
 * to fix, against the stack's real (plaintext) broker: a client that speaks SASL or SSL to it, or
 * has a property Kafka does not accept, fails at once with the setting to check.
 */
class KafkaClientPropertiesITCase {
    private static final StackEndpoints STACK = LocalStack.sharedEndpoints();

    @Test
    void theRightPropertiesConnect() {
        new KafkaClient(STACK.kafkaBootstrap(), Map.of("client.id", "pulse-properties-test", "security.protocol", "PLAINTEXT"))
                .check(Duration.ofSeconds(20));
    }

    @Test
    void aClientSpeakingSaslToAPlaintextListenerFailsWithTheSettingToCheck() {
        KafkaClient sasl = new KafkaClient(STACK.kafkaBootstrap(), Map.of("security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"pulse\" password=\"wrong\";"));
        assertThatThrownBy(() -> sasl.check(Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(STACK.kafkaBootstrap())
                .hasMessageContaining("kafka.properties.security.protocol")
                .hasMessageNotContaining("wrong");
    }

    @Test
    void aPropertyKafkaRejectsFailsBeforeAnyConnection() {
        KafkaClient bad = new KafkaClient(STACK.kafkaBootstrap(), Map.of("security.protocol", "CARRIER_PIGEON"));
        assertThatThrownBy(() -> bad.check(Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid").hasMessageContaining("kafka.properties");
    }

    @Test
    void theProducerTakesThePropertiesAndSaysWhatToFix() {
        assertThatThrownBy(() -> ActivityPublisher.open(new KafkaClient(STACK.kafkaBootstrap(), Map.of("security.protocol", "SSL")),
                "user_activity", null))
                .isInstanceOf(KafkaUnavailableException.class)
                .hasMessageContaining("security.protocol");
        assertThat(KafkaClient.of(STACK.kafkaBootstrap()).properties()).isEmpty();
    }
}
