package io.pulse.e2e.stack;

import io.pulse.infra.StackEndpoints;
import java.nio.file.Path;

/**
 * The servers the end-to-end suite runs against, and the one place that picks them: the local
 * stack ({@code ./pulse test}'s, the default and what CI runs), or servers in Docker containers
 * started by Testcontainers ({@code ./mvnw verify -pl e2e-tests -Ptestcontainers}, which sets
 * {@code pulse.stack.provider=testcontainers}). Both expose the same endpoints file format and
 * apply the same DDL files from {@code infra/ddl}.
 */
public interface TestStack extends AutoCloseable {
    StackEndpoints endpoints();

    /** Kills every Flink TaskManager with SIGKILL and returns once they are gone. */
    void killTaskManager() throws Exception;

    /** Kills one Flink TaskManager (the first) with SIGKILL; the others keep running. */
    default void killOneTaskManager() throws Exception {
        killTaskManager();
    }

    /** Starts new TaskManagers for the same cluster in place of the killed ones. */
    void startTaskManager() throws Exception;

    /** A directory the TaskManager writes to at the same path the test reads (the lake). */
    Path sharedDirectory(String name) throws Exception;

    @Override
    void close();

    static TestStack current() {
        String provider = System.getProperty("pulse.stack.provider", "local");
        return switch (provider) {
            case "local" -> new LocalTestStack();
            case "testcontainers" -> ContainerTestStack.start();
            default -> throw new IllegalArgumentException("pulse.stack.provider must be local or testcontainers, got '" + provider + "'");
        };
    }
}
