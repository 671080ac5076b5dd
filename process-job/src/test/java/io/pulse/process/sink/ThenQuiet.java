package io.pulse.process.sink;

import java.util.List;
import org.apache.flink.streaming.api.functions.source.SourceFunction;
import org.apache.flink.util.function.SerializableSupplier;

/** A test source: emits its rows, then stays open without emitting anything until cancelled (no end of input, no flush). */
public final class ThenQuiet<T> implements SourceFunction<T> {
    private final SerializableSupplier<List<T>> rows;
    private volatile boolean running = true;

    public ThenQuiet(SerializableSupplier<List<T>> rows) {
        this.rows = rows;
    }

    @Override
    public void run(SourceContext<T> out) throws InterruptedException {
        rows.get().forEach(out::collect);
        synchronized (this) {
            while (running) {
                wait(); // until cancel()
            }
        }
    }

    @Override
    public void cancel() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
    }
}
