package io.pulse.producer.cli;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * A live progress line on a terminal (rewritten in place twice a second), or a plain line every
 * five seconds when the output is a file or pipe.
 */
final class ProgressLine implements AutoCloseable {
    private final PrintStream out;
    private final Supplier<String> status;
    private final boolean terminal = System.console() != null;
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean running = true;

    ProgressLine(PrintStream out, Supplier<String> status) {
        this.out = out;
        this.status = status;
        this.thread = new Thread(this::run, "progress");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private void run() {
        long period = terminal ? 500 : 5000;
        while (running) {
            try {
                Thread.sleep(period); // a display refresh interval, not a wait for a condition
            } catch (InterruptedException e) {
                return;
            }
            print();
        }
    }

    private synchronized void print() {
        String line = String.format("%s, elapsed %.1fs", status.get(), elapsedSeconds());
        if (terminal) {
            out.print("\r\033[K" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public synchronized void close() {
        running = false;
        thread.interrupt();
        if (terminal) {
            out.print("\r\033[K");
            out.flush();
        }
    }
}
