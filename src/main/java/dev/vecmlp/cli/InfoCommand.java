package dev.vecmlp.cli;

import dev.vecmlp.kernel.KernelProvider;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vecmlp info}: the Java runtime in use and the engine it selects on this machine. */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Show the Java runtime, the processor count and the engine selected on this machine.")
public final class InfoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Java:       %s (%s)%n", Runtime.version(), System.getProperty("java.vendor"));
        out.printf("Java home:  %s%n", System.getProperty("java.home"));
        out.printf("Processors: %d%n", Runtime.getRuntime().availableProcessors());
        out.flush();
        String engine;
        try {
            engine = KernelProvider.describe();
        } catch (LinkageError | RuntimeException e) {
            // E.g. NoClassDefFoundError for jdk.incubator.vector when the JVM was started
            // without --add-modules jdk.incubator.vector.
            spec.commandLine().getErr().printf("Engine:     unavailable: %s%n", e);
            spec.commandLine().getErr().flush();
            return 1;
        }
        out.printf("Engine:     %s%n", engine);
        out.flush();
        return 0;
    }
}
