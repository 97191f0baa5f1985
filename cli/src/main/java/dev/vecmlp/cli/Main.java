package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

import dev.vecmlp.train.TrainingDivergedException;
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
        footer = {"", "The launcher also runs the JMH benchmark report of perf/ (perf/README.md):",
            "  ./vecmlp bench [--quick] [--peak GFLOPS] [--out DIR] [--cell NET:BATCH]   (./vecmlp bench --help)"},
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, ImportCommand.class, DemoCommand.class, FeaturesCommand.class,
                GradcheckCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec CommandSpec spec;

    /** Without a subcommand there is nothing to do but explain the usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        int exit;
        try {
            exit = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // Workspaces and data sets are allocated up front, so this comes early, before any file is written.
            System.err.println("vecmlp: out of memory (" + e.getMessage() + "); use a smaller --batch or data set, or give"
                    + " the JVM more with VECMLP_JAVA_OPTS=-Xmx8g (heap) or -XX:MaxDirectMemorySize (off-heap)");
            exit = 1;
        }
        System.exit(exit);
    }

    /** The command line with vecmlp's handling of errors: a message, not a stack trace. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::report);
        return cl;
    }

    /**
     * Bad input (a malformed file, a wrong option value) is the user's to fix: one line naming
     * what was expected and found, exit code 1. Anything else is a bug: the stack trace too.
     */
    private static int report(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof IOException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UncheckedIOException || e instanceof TrainingDivergedException) {
            err.println("vecmlp " + cl.getCommandName() + ": " + e.getMessage());
        } else {
            err.println("vecmlp " + cl.getCommandName() + ": internal error, please report it");
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }
}
