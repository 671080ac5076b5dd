package io.pulse.producer.replay;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.DecodeResult;

/** One line of a replay file: the event it holds, or why it was rejected. */
public record ReplayLine(long lineNumber, String text, UserEvent event, DecodeResult.Rejected rejection) {
    public boolean accepted() {
        return event != null;
    }
}
