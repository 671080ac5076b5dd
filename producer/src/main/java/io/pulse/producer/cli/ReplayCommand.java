package io.pulse.producer.cli;

import io.pulse.model.Topics;
import io.pulse.model.codec.UserEventCodec;
import io.pulse.producer.kafka.ActivityPublisher;
import io.pulse.producer.replay.ReplayFile;
import io.pulse.producer.replay.ReplayLine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Sends a JSON-lines file to user_activity in file order, keyed by user_id, inside one Kafka
 * transaction: a replay that fails half way leaves nothing visible to read_committed consumers,
 * so running it again never duplicates events.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send a JSON-lines file of events (DESIGN.md field names) to Kafka user_activity,",
                "in file order, exactly once (one transaction). Lines that do not decode are reported",
                "with their line numbers and not sent."})
final class ReplayCommand implements Callable<Integer> {
    private static final int SHOWN_REJECTIONS = 20;

    @Parameters(index = "0", paramLabel = "FILE", description = "JSON-lines file, one event per line.")
    Path file;

    @picocli.CommandLine.Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", description = "Topic. Default: ${DEFAULT-VALUE}", defaultValue = Topics.USER_ACTIVITY)
    String topic;

    @Option(names = "--format", description = "Send each event as json (the line as written) or avro. Default: ${DEFAULT-VALUE}")
    String format = "json";

    @Option(names = "--dry-run", description = "Only validate the file; send nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (!format.equals("json") && !format.equals("avro")) {
            throw new IllegalArgumentException("--format must be json or avro, got " + format);
        }
        UserEventCodec codec = new UserEventCodec();
        List<ReplayLine> rejected = new ArrayList<>();
        AtomicLong accepted = new AtomicLong();
        ActivityPublisher publisher = dryRun ? null
                : ActivityPublisher.open(kafka.client(), topic, "pulse-replay-" + UUID.randomUUID());
        try (ProgressLine progress = new ProgressLine(System.err,
                () -> String.format("replay: %d lines sent, %d rejected", accepted.get(), rejected.size()))) {
            if (publisher != null) {
                publisher.begin();
            }
            new ReplayFile(file).forEachLine(line -> {
                if (!line.accepted()) {
                    rejected.add(line);
                    return;
                }
                accepted.incrementAndGet();
                if (publisher != null) {
                    byte[] value = format.equals("avro") ? codec.encodeAvro(line.event())
                            : line.text().getBytes(StandardCharsets.UTF_8);
                    publisher.send(line.event().getUserId(), value);
                }
            });
            if (publisher != null) {
                publisher.flush();
                if (publisher.failed() > 0) {
                    publisher.abort();
                    throw new IllegalStateException("Kafka rejected records, the replay was rolled back (nothing sent): "
                            + publisher.firstError());
                }
                publisher.commit();
            }
        } catch (RuntimeException e) {
            if (publisher != null && !(e instanceof IllegalStateException)) {
                publisher.abort();
            }
            throw e;
        } finally {
            if (publisher != null) {
                publisher.close();
            }
        }
        for (ReplayLine line : rejected.subList(0, Math.min(SHOWN_REJECTIONS, rejected.size()))) {
            System.out.printf("line %d rejected: %s%n", line.lineNumber(), line.rejection().message());
        }
        if (rejected.size() > SHOWN_REJECTIONS) {
            System.out.printf("... and %d more rejected lines%n", rejected.size() - SHOWN_REJECTIONS);
        }
        System.out.printf("replay %s: %d events %s to %s, %d lines rejected%n", file, accepted.get(),
                dryRun ? "valid (dry run, nothing sent)" : "sent", topic, rejected.size());
        return 0;
    }
}
