package io.pulse.producer.generate;

import io.pulse.model.avro.UserEvent;

/**
 * One record for Kafka user_activity: its key (the user id), its bytes, what it is, and the event
 * it carries ({@code null} when malformed).
 */
public record GeneratedActivity(String key, byte[] value, ActivityKind kind, UserEvent event) {}
