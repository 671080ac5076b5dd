package io.pulse.e2e.stack;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The local stack this test run uses ({@code ./pulse test}'s, else the user's), driven through the launcher. */
final class LocalTestStack implements TestStack {
    private final LocalStack stack = LocalStack.shared();
    private final StackEndpoints endpoints = LocalStack.sharedEndpoints();

    @Override
    public StackEndpoints endpoints() {
        return endpoints;
    }

    @Override
    public void killTaskManager() throws Exception {
        long pid = Long.parseLong(Files.readString(stack.home().resolve("flink-taskmanager/pid")).strip());
        ProcessHandle tm = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no TaskManager process " + pid));
        if (new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor() != 0) {
            throw new IllegalStateException("kill -9 " + pid + " failed");
        }
        tm.onExit().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void startTaskManager() {
        LocalStack.LauncherResult up = stack.launcher(new String[] {"flink-taskmanager"}, "up");
        if (up.exitCode() != 0) {
            throw new IllegalStateException("./pulse up flink-taskmanager failed:\n" + up.output());
        }
    }

    @Override
    public Path sharedDirectory(String name) throws Exception {
        // The TaskManager is a process on this machine: any local directory will do.
        return Files.createDirectories(Path.of("target", "e2e", name).toAbsolutePath());
    }

    @Override
    public void close() {
        stack.close(); // leaves the shared stack up
    }
}
