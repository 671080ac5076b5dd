package io.pulse.producer.kafka;

/** Kafka cannot be used; the message says what to do about it. */
public final class KafkaUnavailableException extends RuntimeException {
    public KafkaUnavailableException(String message) {
        super(message);
    }
}
