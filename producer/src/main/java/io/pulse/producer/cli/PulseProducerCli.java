package io.pulse.producer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pulse-producer produce|replay}: what {@code ./pulse produce} and {@code ./pulse replay} run. */
@Command(name = "pulse-producer", mixinStandardHelpOptions = true, version = "Pulse producer 0.1",
        description = "Generates user traffic into Kafka and PostgreSQL, or replays a JSON-lines file of events.",
        subcommands = {ProduceCommand.class, ReplayCommand.class})
public final class PulseProducerCli {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line as main runs it: expected failures print their fix, not a stack trace, and exit 1. */
    public static CommandLine commandLine() {
        return new CommandLine(new PulseProducerCli())
                .setExecutionExceptionHandler((e, cli, parse) -> {
                    cli.getErr().println("error: " + e.getMessage());
                    return 1;
                });
    }
}
