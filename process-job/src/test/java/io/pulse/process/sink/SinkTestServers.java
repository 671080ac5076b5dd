package io.pulse.process.sink;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import io.pulse.infra.testing.ScratchTopic;
import io.pulse.mock.MockExternalServer;
import io.pulse.model.diagnostics.DeadLetter;
import io.pulse.model.settings.KafkaClient;

/** What a sink's dead-letter test runs against: the stack, a mock-external of its own and a dead_letter topic of its own. */
public final class SinkTestServers implements AutoCloseable {
    public final StackEndpoints stack = LocalStack.sharedEndpoints();
    public final MockExternalServer external;
    public final ScratchTopic deadLetterTopic;

    private SinkTestServers(String topicPrefix) throws Exception {
        external = MockExternalServer.startOnFreePort();
        deadLetterTopic = ScratchTopic.create(stack, topicPrefix, 1);
    }

    public static SinkTestServers start(String topicPrefix) throws Exception {
        return new SinkTestServers(topicPrefix);
    }

    /** Dead letters of a sink into this run's topic. */
    public SinkDeadLetters deadLetters() {
        return new SinkDeadLetters(KafkaClient.of(stack.kafkaBootstrap()), deadLetterTopic.name(), DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES);
    }

    @Override
    public void close() {
        external.close();
        deadLetterTopic.close();
    }
}
