package io.pulse.process.sink;

import java.time.Duration;
import org.apache.flink.api.common.operators.ProcessingTimeService;

/**
 * The interval of a sink writer's batch: armed when a row joins a batch that is not full, it sends
 * the batch once the interval has passed (a processing-time timer, run on the task thread), so a
 * quiet stream does not wait for the checkpoint (decision 0040). A null time service (a writer
 * made outside a running task) never fires: size and checkpoint still send.
 */
public final class BatchTimer {
    /** What the timer does when it fires: sends the writer's batch. */
    public interface Send {
        void run() throws Exception;
    }

    private final ProcessingTimeService time;
    private final long intervalMillis;
    private boolean armed;

    public BatchTimer(ProcessingTimeService time, Duration interval) {
        this.time = time;
        this.intervalMillis = interval.toMillis();
    }

    /** Makes sure {@code send} runs within the interval; a timer already armed covers this row too. */
    public void arm(Send send) {
        if (armed || time == null) {
            return;
        }
        armed = true;
        time.registerTimer(time.getCurrentProcessingTime() + intervalMillis, t -> {
            armed = false;
            send.run();
        });
    }
}
