package io.pulse.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The local stack as tests see it: a thin handle over the {@code ./pulse} launcher (one mechanism
 * for users, CI and tests). {@link #shared()} is the stack {@code ./pulse test} started for the run;
 * {@link #start} brings up a private one on its own ports and state dir.
 */
public final class LocalStack implements AutoCloseable {
    private static final Duration LAUNCHER_TIMEOUT = Duration.ofMinutes(6);

    private final Path root;
    private final Path home;
    private final int portOffset;
    private final boolean owned;
    private final Map<String, String> extraEnv;

    private LocalStack(Path root, Path home, int portOffset, boolean owned, Map<String, String> extraEnv) {
        this.root = root;
        this.home = home;
        this.portOffset = portOffset;
        this.owned = owned;
        this.extraEnv = Map.copyOf(extraEnv);
    }

    /** The repository root: PULSE_ROOT (set by the build), else the nearest parent with ./pulse. */
    public static Path repoRoot() {
        String env = System.getenv("PULSE_ROOT");
        if (env != null && Files.isExecutable(Path.of(env, "pulse"))) {
            return Path.of(env);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isExecutable(dir.resolve("pulse"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the Pulse repository root (no ./pulse above "
                    + Path.of("").toAbsolutePath() + "); set PULSE_ROOT");
        }
        return dir;
    }

    /**
     * Endpoints of the stack this test run uses: the one named by PULSE_STACK_ENV (what
     * {@code ./pulse test} sets), else the user's own stack from {@code ./pulse up}.
     */
    public static StackEndpoints sharedEndpoints() {
        String env = System.getenv("PULSE_STACK_ENV");
        Path file = env != null ? Path.of(env) : repoRoot().resolve(".pulse/stack.env");
        return StackEndpoints.read(file);
    }

    /**
     * The stack this test run uses ({@code ./pulse test}'s, named by PULSE_TEST_STACK_HOME and
     * PULSE_TEST_STACK_OFFSET, else the user's {@code .pulse}), to drive with the launcher (restart
     * one server, say); closing it leaves the stack up.
     */
    public static LocalStack shared() {
        String home = System.getenv("PULSE_TEST_STACK_HOME");
        String offset = System.getenv("PULSE_TEST_STACK_OFFSET");
        return new LocalStack(repoRoot(), home != null ? Path.of(home) : repoRoot().resolve(".pulse"),
                offset != null ? Integer.parseInt(offset) : 0, false, Map.of());
    }

    /** The stack's state directory (PULSE_HOME): data, logs, PID files. */
    public Path home() {
        return home;
    }

    /** Starts a private stack (all servers, or the named ones) under {@code home} with ports moved by {@code portOffset}. */
    public static LocalStack start(Path home, int portOffset, String... services) {
        return start(home, portOffset, Map.of(), services);
    }

    /** As {@link #start(Path, int, String...)}, with launcher settings such as PULSE_PG_WAL_LEVEL. */
    public static LocalStack start(Path home, int portOffset, Map<String, String> env, String... services) {
        LocalStack stack = new LocalStack(repoRoot(), home, portOffset, true, env);
        stack.services = services;
        stack.launcher(services, "up");
        return stack;
    }

    private String[] services = new String[0];

    /**
     * Default ports of the stack, from {@code ports.properties} beside this class (the list the
     * launcher reads too); a private stack moves them all by one offset.
     */
    public static final Map<String, Integer> PORTS = ports();
    public static final int[] DEFAULT_PORTS = PORTS.values().stream().mapToInt(Integer::intValue).toArray();

    private static Map<String, Integer> ports() {
        java.util.Properties file = new java.util.Properties();
        try (var in = LocalStack.class.getResourceAsStream("ports.properties")) {
            if (in == null) {
                throw new IllegalStateException("ports.properties is missing from the infra jar");
            }
            file.load(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, Integer> ports = new java.util.TreeMap<>();
        file.forEach((name, port) -> ports.put((String) name, Integer.parseInt(((String) port).strip())));
        return java.util.Collections.unmodifiableMap(ports);
    }

    /** A state dir for a private stack under target/, traversable by the postgres user. */
    public static Path privateHome(String prefix) {
        try {
            Path target = Files.createDirectories(Path.of("target").toAbsolutePath());
            Path home = Files.createTempDirectory(target, prefix);
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            return home;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a state dir under target/", e);
        }
    }

    /** The first offset, from {@code start} down in steps of 1000, at which every stack port is free. */
    public static int freePortOffset(int start) {
        for (int candidate : candidateOffsets(start)) {
            boolean free = true;
            for (int port : DEFAULT_PORTS) {
                free &= canBind(port + candidate);
            }
            if (free) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free block of ports for a private stack near offset " + start);
    }

    /** From {@code start} down in steps of 1000, seven at most, while every port stays above 1024. */
    static List<Integer> candidateOffsets(int start) {
        int lowest = Arrays.stream(DEFAULT_PORTS).min().orElseThrow();
        List<Integer> offsets = new ArrayList<>();
        for (int candidate = start; candidate >= start - 6000 && lowest + candidate > 1024; candidate -= 1000) {
            offsets.add(candidate);
        }
        return offsets;
    }

    private static boolean canBind(int port) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public StackEndpoints endpoints() {
        return StackEndpoints.read(home.resolve("stack.env"));
    }

    public LauncherResult launcher(String[] services, String... args) {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("pulse").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("PULSE_HOME", home.toString());
        env.put("PULSE_PORT_OFFSET", Integer.toString(portOffset));
        env.putAll(extraEnv);
        if (services.length > 0) {
            env.put("PULSE_SERVICES", String.join(" ", services));
        }
        try {
            Path log = Files.createTempFile("pulse-launcher", ".log");
            Process process = builder.redirectOutput(log.toFile()).start();
            if (!process.waitFor(LAUNCHER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("./pulse " + String.join(" ", args) + " did not finish in "
                        + LAUNCHER_TIMEOUT + "; output: " + Files.readString(log));
            }
            String output = Files.readString(log);
            Files.deleteIfExists(log);
            LauncherResult result = new LauncherResult(process.exitValue(), output);
            if ("up".equals(args[0]) && result.exitCode() != 0) {
                throw new IllegalStateException("./pulse up failed (exit " + result.exitCode() + "):\n" + output);
            }
            return result;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run ./pulse " + String.join(" ", args), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running ./pulse", e);
        }
    }

    /** Output and exit code of one launcher call. */
    public record LauncherResult(int exitCode, String output) {}

    @Override
    public void close() {
        if (owned) {
            launcher(services, "down");
        }
    }
}
