package io.pulse.producer.replay;

import io.pulse.model.codec.DecodeResult;
import io.pulse.model.codec.UserEventCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A JSON-lines file of events (DESIGN.md field names), read line by line in file order and
 * validated with the event-model codec. Blank lines are skipped; every other line is accepted or
 * rejected with its line number. Streams: a file of any size is never held in memory.
 */
public final class ReplayFile {
    private final Path path;

    public ReplayFile(Path path) {
        this.path = path;
    }

    /** Reads the whole file, handing each non-blank line to {@code sink} in order. */
    public void forEachLine(Consumer<ReplayLine> sink) {
        UserEventCodec codec = new UserEventCodec();
        try (BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(path),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)))) {
            Iterator<String> lines = reader.lines().iterator();
            long number = 0;
            while (lines.hasNext()) {
                String line = lines.next();
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String trimmed = line.strip();
                if (!trimmed.startsWith("{")) {
                    sink.accept(new ReplayLine(number, trimmed, null, new DecodeResult.Rejected(
                            io.pulse.model.codec.RejectReason.JSON_NOT_AN_OBJECT, "a replay line must be one JSON object")));
                    continue;
                }
                DecodeResult result = codec.decode(trimmed.getBytes(StandardCharsets.UTF_8));
                if (result instanceof DecodeResult.Decoded decoded) {
                    sink.accept(new ReplayLine(number, trimmed, decoded.event(), null));
                } else {
                    sink.accept(new ReplayLine(number, trimmed, null, (DecodeResult.Rejected) result));
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("replay file " + path + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read replay file " + path, e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot read replay file " + path, e.getCause());
        }
    }
}
