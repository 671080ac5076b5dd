package io.pulse.process.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.infra.LocalStack;
import io.pulse.model.settings.KafkaClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The jobs' Kafka transactions against the test stack's broker (transaction.max.timeout.ms = 1 h):
 * they stay open up to an hour, so an outage of Kafka or Flink of up to an hour between a checkpoint
 * and its commit loses nothing (Kafka's producer default is one minute, and the sinks used 15); a
 * timeout set above what the brokers allow fails at start with what to set.
 */
class TransactionTimeoutITCase {
    private final String bootstrap = LocalStack.sharedEndpoints().kafkaBootstrap();

    @Test
    void transactionsOutlastAnHourLongOutage() {
        assertThat(KafkaClient.of(bootstrap).transactionTimeoutAllowed()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void aTimeoutAboveTheBrokersCapFailsWithWhatToSet() {
        KafkaClient kafka = new KafkaClient(bootstrap, Map.of("transaction.timeout.ms", Long.toString(Duration.ofHours(2).toMillis())));
        assertThatThrownBy(kafka::transactionTimeoutAllowed).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transaction.max.timeout.ms").hasMessageContaining("at most 3600000");
    }
}
