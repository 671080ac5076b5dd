package io.pulse.producer.cli;

import io.pulse.model.Topics;
import io.pulse.model.codec.WireFormat;
import io.pulse.producer.generate.ActivityGenerator;
import io.pulse.producer.generate.ActivityKind;
import io.pulse.producer.generate.ActivityOptions;
import io.pulse.producer.generate.EngagementGenerator;
import io.pulse.producer.generate.EngagementOp;
import io.pulse.producer.generate.EngagementOptions;
import io.pulse.producer.generate.GeneratedActivity;
import io.pulse.producer.kafka.ActivityPublisher;
import io.pulse.producer.postgres.EngagementWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Generates activity to Kafka and, with --engagement, engagement rows to PostgreSQL. */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate realistic user traffic: activity events to Kafka user_activity (keyed by user_id)",
                "and, with --engagement, content and engagement rows (with updates and deletes) to PostgreSQL.",
                "The same seed and options produce the same events. Ctrl-C stops cleanly after flushing."})
final class ProduceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", description = "Activity topic. Default: ${DEFAULT-VALUE}", defaultValue = Topics.USER_ACTIVITY)
    String topic;

    @Option(names = "--events", description = "Activity events to send (default 10000 unless --duration is given).")
    Long events;

    @Option(names = "--duration", converter = DurationConverter.class, description = "Run this long (90s, 5m, ...).")
    Duration duration;

    @Option(names = "--rate", description = "Activity events per second, 0 = as fast as possible. Default: ${DEFAULT-VALUE}")
    double rate = 1000;

    @Option(names = "--users", description = "Number of users. Default: ${DEFAULT-VALUE}")
    int users = 200;

    @Option(names = "--realtime", description = "Event times follow the wall clock: --users becomes rate x "
            + "90 / speed (a simulated user sends an event every ~90 s on average), users start as if the site had been "
            + "running (some mid-session, most away), and the first event time is now: live traffic whose windows close "
            + "in real time (needs --rate > 0).")
    boolean realtime;

    @Option(names = "--speed", description = "With --realtime: event time runs this many times faster than the wall clock, "
            + "and starts far enough back that the last event of the run is near now (windows close speed times sooner). "
            + "Default: ${DEFAULT-VALUE}")
    double speed = 1;

    @Option(names = "--late-share", description = "Share of events sent late (0..1). Default: ${DEFAULT-VALUE}")
    double lateShare = 0.02;

    @Option(names = "--late-by", converter = DurationConverter.class, description = "How far in the past a late event's time is. Default: 10m")
    Duration lateBy = Duration.ofMinutes(10);

    @Option(names = "--malformed-share", description = "Share of malformed records (0..1). Default: ${DEFAULT-VALUE}")
    double malformedShare = 0.01;

    @Option(names = "--hostile", description = "Hostile records to mix in, on top of --events: one of each kind the pipeline "
            + "must dead-letter in turn (those up to 64 KiB), spread evenly (for the hostile-input soak). Default: ${DEFAULT-VALUE}")
    long hostile = 0;

    @Option(names = "--format", description = "Wire format: avro or json. Default: ${DEFAULT-VALUE}")
    String format = "avro";

    @Option(names = "--seed", description = "Random seed; the same seed and options give the same events. Default: new each run (printed).")
    long seed = System.currentTimeMillis();

    @Option(names = "--start-time", description = "Event time of the first event, ISO-8601 UTC. Default: now.")
    Instant startTime;

    @Option(names = "--summary-json", description = "Also write what was sent as one JSON object to this file "
            + "(sent, acknowledged, failed, value_bytes, seconds, events_per_s): for benchmarks and scripts.")
    java.nio.file.Path summaryJson;

    @Option(names = "--to-file", description = "Write the activity records as JSON lines to this file instead of Kafka "
            + "(a file ./pulse replay can send later). Needs --format json.")
    java.nio.file.Path toFile;

    @Option(names = "--activity", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Send activity events to Kafka (--no-activity: engagement only). Default: true")
    boolean activity;

    @Option(names = "--engagement", description = "Also write engagement traffic to PostgreSQL.")
    boolean engagement;

    @Option(names = "--jdbc-url", description = "PostgreSQL for engagement. Default: ${DEFAULT-VALUE}",
            defaultValue = "${env:PULSE_POSTGRES_JDBC_URL:-jdbc:postgresql://127.0.0.1:55432/pulse}")
    String jdbcUrl;

    @Option(names = "--db-user", description = "PostgreSQL user (password: PULSE_POSTGRES_PASSWORD). Default: ${DEFAULT-VALUE}",
            defaultValue = "${env:PULSE_POSTGRES_USER:-postgres}")
    String dbUser;

    @Option(names = "--engagement-rate", description = "Engagement operations per second. Default: ${DEFAULT-VALUE}")
    double engagementRate = 20;

    @Option(names = "--engagement-events", description = "Engagement operations to write with --no-activity (default 1000 unless --duration).")
    Long engagementEvents;

    @Option(names = "--content", description = "Content rows to create. Default: ${DEFAULT-VALUE}")
    int contentRows = 50;

    @Option(names = "--update-share", description = "Share of engagement operations that update a row. Default: ${DEFAULT-VALUE}")
    double updateShare = 0.1;

    @Option(names = "--delete-share", description = "Share of engagement operations that delete a row. Default: ${DEFAULT-VALUE}")
    double deleteShare = 0.03;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong engagementOps = new AtomicLong();
    private final AtomicReference<Exception> engagementError = new AtomicReference<>();

    @Override
    public Integer call() throws Exception {
        validate();
        if (realtime) {
            users = (int) Math.max(1, Math.round(rate * ActivityGenerator.MEAN_SECONDS_BETWEEN_EVENTS_OF_A_USER / speed));
            if (startTime == null && speed > 1) {
                double seconds = duration != null ? duration.toMillis() / 1000.0 : (events != null ? events : 10_000) / rate;
                startTime = Instant.now().minusMillis((long) ((speed - 1) * seconds * 1000)).truncatedTo(ChronoUnit.SECONDS);
            }
        }
        Instant start = startTime != null ? startTime : Instant.now().truncatedTo(ChronoUnit.SECONDS);
        long limit = events != null ? events : duration == null ? 10_000 : Long.MAX_VALUE;
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        System.out.printf("pulse produce: %s%s%n",
                activity ? String.format("activity to Kafka %s topic %s (%s, %s events, %.0f/s, %d users, late %.1f%%, malformed %.1f%%, seed %d, start %s)",
                        kafka.bootstrap, topic, format, limit == Long.MAX_VALUE ? "unbounded" : limit, rate, users,
                        lateShare * 100, malformedShare * 100, seed, start) : "no activity",
                engagement ? String.format("; engagement to %s as %s (%d content, %.0f ops/s)", jdbcUrl, dbUser, contentRows, engagementRate) : "");

        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                main.join(60_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return produce(start, limit, deadline);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is already running and waits for us to finish flushing.
            }
        }
    }

    private int produce(Instant start, long limit, long deadline) throws Exception {
        EngagementWriter writer = engagement ? EngagementWriter.open(jdbcUrl, dbUser, System.getenv("PULSE_POSTGRES_PASSWORD")) : null;
        if (toFile != null) {
            return writeFile(start, limit);
        }
        ActivityPublisher publisher = activity ? ActivityPublisher.open(kafka.client(), topic, null) : null;
        long[] kinds = new long[ActivityKind.values().length];
        long sent = 0;
        long hostileSent = 0;
        long valueBytes = 0;
        long began = System.nanoTime();
        Thread engagementThread = null;
        try (ProgressLine progress = new ProgressLine(System.err, () -> status(publisher, kinds))) {
            if (writer != null) {
                long engagementLimit = activity ? Long.MAX_VALUE
                        : engagementEvents != null ? engagementEvents : duration == null ? 1000 : Long.MAX_VALUE;
                engagementThread = new Thread(() -> runEngagement(writer, start, engagementLimit, deadline), "engagement");
                engagementThread.start();
            }
            if (publisher != null) {
                ActivityGenerator generator = new ActivityGenerator(new ActivityOptions(seed, users, start, lateShare, lateBy,
                        malformedShare, WireFormat.valueOf(format.toUpperCase()), realtime));
                RatePacer pacer = new RatePacer(rate);
                java.util.List<io.pulse.producer.generate.HostileRecords.Hostile> hostileKinds = hostile == 0 ? java.util.List.of()
                        : io.pulse.producer.generate.HostileRecords.activityKinds("hostile", System.currentTimeMillis()).stream()
                                .filter(io.pulse.producer.generate.HostileRecords.Hostile::small).toList();
                while (sent < limit && !stop.get() && System.nanoTime() < deadline) {
                    pacer.acquire();
                    GeneratedActivity record = generator.next();
                    publisher.send(record.key(), record.value());
                    valueBytes += record.value().length;
                    kinds[record.kind().ordinal()]++;
                    sent++;
                    // The i-th hostile record after on-time event i * events / hostile, the last after the last event.
                    while (hostileSent < hostile && (hostileSent + 1) * limit <= sent * hostile) {
                        io.pulse.producer.generate.HostileRecords.Hostile h = hostileKinds.get((int) (hostileSent % hostileKinds.size()));
                        publisher.send(new String(h.key(), java.nio.charset.StandardCharsets.UTF_8), h.payload());
                        hostileSent++;
                    }
                    if (publisher.failed() > 0) {
                        break;
                    }
                }
                publisher.flush();
                stop.set(true);
            }
            if (engagementThread != null) {
                engagementThread.join();
            }
        } finally {
            if (publisher != null) {
                publisher.close();
            }
            if (writer != null) {
                writer.close();
            }
        }
        int exit = 0;
        if (publisher != null) {
            double seconds = (System.nanoTime() - began) / 1e9;
            System.out.printf("activity: %d sent (%d valid, %d late, %d malformed), %d acknowledged, %d failed, %d value bytes%n",
                    sent, kinds[0], kinds[1], kinds[2], publisher.acked(), publisher.failed(), valueBytes);
            System.out.printf("activity rate: %.1f s, %.0f events/s (seed %d)%n", seconds, sent / seconds, seed);
            if (summaryJson != null) {
                java.nio.file.Files.writeString(summaryJson, String.format(java.util.Locale.ROOT,
                        "{\"sent\": %d, \"acknowledged\": %d, \"failed\": %d, \"value_bytes\": %d, \"seconds\": %.3f, \"events_per_s\": %.1f, \"seed\": %d}%n",
                        sent, publisher.acked(), publisher.failed(), valueBytes, seconds, sent / seconds, seed));
            }
            if (hostile > 0) {
                System.out.printf("hostile: %d sent besides the events%n", hostileSent);
            }
            if (publisher.failed() > 0) {
                System.err.println("error: Kafka rejected records: " + publisher.firstError());
                exit = 1;
            }
        }
        if (writer != null) {
            System.out.printf("engagement: %d content rows, %d inserts, %d updates, %d deletes committed%n",
                    writer.contentRows(), writer.inserted(), writer.updated(), writer.deleted());
            if (engagementError.get() != null) {
                System.err.println("error: PostgreSQL write failed: " + engagementError.get().getMessage());
                exit = 1;
            }
        }
        return exit;
    }

    private int writeFile(Instant start, long limit) throws java.io.IOException {
        ActivityGenerator generator = new ActivityGenerator(new ActivityOptions(seed, users, start, lateShare, lateBy,
                malformedShare, WireFormat.JSON, realtime));
        long n = limit == Long.MAX_VALUE ? 10_000 : limit;
        try (java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(toFile), 1 << 16)) {
            for (long i = 0; i < n && !stop.get(); i++) {
                out.write(generator.next().value());
                out.write('\n');
            }
        }
        System.out.printf("activity: %d records written to %s (seed %d)%n", n, toFile, seed);
        return 0;
    }

    private void runEngagement(EngagementWriter writer, Instant start, long limit, long deadline) {
        EngagementGenerator generator = new EngagementGenerator(
                new EngagementOptions(seed, contentRows, users, start, updateShare, deleteShare));
        int batchSize = (int) Math.max(1, Math.min(500, engagementRate / 10));
        RatePacer pacer = new RatePacer(engagementRate == 0 ? 0 : engagementRate / batchSize);
        List<EngagementOp> batch = new ArrayList<>(batchSize + contentRows);
        // Content rows go in the first transaction, whatever the rate.
        for (int i = 0; i < contentRows; i++) {
            batch.add(generator.next());
        }
        long done = 0;
        try {
            while (done < limit && !stop.get() && System.nanoTime() < deadline) {
                pacer.acquire();
                long n = Math.min(batchSize, limit - done);
                for (int i = 0; i < n; i++) {
                    batch.add(generator.next());
                }
                writer.write(batch);
                done += n;
                engagementOps.addAndGet(n);
                batch.clear();
            }
        } catch (Exception e) {
            engagementError.set(e);
        } finally {
            if (!activity) {
                stop.set(true);
            }
        }
    }

    private String status(ActivityPublisher publisher, long[] kinds) {
        StringBuilder line = new StringBuilder();
        if (publisher != null) {
            long acked = publisher.acked();
            line.append(String.format("activity sent %d (late %d, malformed %d), acked %d, errors %d",
                    kinds[0] + kinds[1] + kinds[2], kinds[1], kinds[2], acked, publisher.failed()));
        }
        if (engagement) {
            line.append(line.length() > 0 ? "; " : "").append("engagement ops ").append(engagementOps.get());
        }
        return line.toString();
    }

    private void validate() {
        if (!format.equalsIgnoreCase("avro") && !format.equalsIgnoreCase("json")) {
            throw new ParameterException(spec.commandLine(), "--format must be avro or json, got " + format);
        }
        if (events != null && events < 0) {
            throw new ParameterException(spec.commandLine(), "--events must be >= 0");
        }
        if (toFile != null && (!format.equalsIgnoreCase("json") || engagement || !activity)) {
            throw new ParameterException(spec.commandLine(), "--to-file writes activity only, as JSON lines: use it with --format json and without --engagement");
        }
        if (hostile < 0 || (hostile > 0 && (events == null || toFile != null))) {
            throw new ParameterException(spec.commandLine(), "--hostile N needs --events (it spreads N hostile records over them) and Kafka, not --to-file");
        }
        if (!activity && !engagement) {
            throw new ParameterException(spec.commandLine(), "--no-activity without --engagement produces nothing");
        }
        if (realtime && rate <= 0) {
            throw new ParameterException(spec.commandLine(), "--realtime paces event time by --rate: give a rate > 0 (events per second)");
        }
        if (speed < 1 || (speed != 1 && !realtime)) {
            throw new ParameterException(spec.commandLine(), "--speed needs --realtime and a value >= 1, got " + speed);
        }
        try {
            new ActivityOptions(seed, users, Instant.EPOCH, lateShare, lateBy, malformedShare, WireFormat.JSON);
            if (engagement) {
                new EngagementOptions(seed, contentRows, users, Instant.EPOCH, updateShare, deleteShare);
            }
            new RatePacer(rate);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
