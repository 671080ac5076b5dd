package io.pulse.model.codec;

import io.pulse.model.avro.UserEvent;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Decodes with Avro's own single-object decoder, to check our framing against the library's. */
final class UserEventDecoderProbe {
    static UserEvent decodeWithAvro(byte[] bytes) {
        try {
            return UserEvent.getDecoder().decode(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UserEventDecoderProbe() {}
}
