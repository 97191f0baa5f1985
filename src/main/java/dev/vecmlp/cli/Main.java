package dev.vecmlp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code vecmlp} command line: the entry point of {@code target/vecmlp.jar}, run by the
 * {@code ./vecmlp} launcher. Each subcommand lives in its own class in this package.
 */
@Command(
        name = "vecmlp",
        mixinStandardHelpOptions = true,
        version = "vecmlp 0.1.0",
        description = "A pure-Java multilayer-perceptron engine on the Vector API and off-heap memory.",
        subcommands = {InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec CommandSpec spec;

    /** Without a subcommand there is nothing to do but explain the usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        int exitCode = new CommandLine(new Main()).execute(args);
        System.exit(exitCode);
    }
}
