package io.pulse.e2e.stack;

import io.pulse.infra.LocalStack;
import io.pulse.infra.StackEndpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The local stack this test run uses ({@code ./pulse test}'s, else the user's), driven through the launcher. */
final class LocalTestStack implements TestStack {
    private final LocalStack stack = LocalStack.shared();
    private final StackEndpoints endpoints = LocalStack.sharedEndpoints();

    @Override
    public StackEndpoints endpoints() {
        return endpoints;
    }

    /** Every TaskManager process of the stack: its PID files are pid, pid.2, pid.3, ... */
    @Override
    public void killTaskManager() throws Exception {
        try (Stream<Path> files = Files.list(stack.home().resolve("flink-taskmanager"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("pid(\\.\\d+)?")).toList()) {
                kill(file);
            }
        }
    }

    @Override
    public void killOneTaskManager() throws Exception {
        kill(stack.home().resolve("flink-taskmanager/pid"));
    }

    private static void kill(Path pidFile) throws Exception {
        long pid = Long.parseLong(Files.readString(pidFile).strip());
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
