package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.train.Evaluation;
import dev.vecmlp.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vecmlp eval}: a model file's loss and accuracy on a data set. */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Evaluate a model file on a data set: loss and accuracy.",
                "",
                "Prints the mean loss and, for classes, the accuracy (on the last line).",
                "The features are scaled as they were in training.",
                "",
                "A file saved by PyTorch (no vecmlp metadata) needs --layers, and --loss,",
                "--output-activation, --scaling where the defaults do not fit; or write",
                "them into a copy once with vecmlp import."})
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "The model file (safetensors) to evaluate.")
    Path model;

    @Mixin
    DataOptions input;

    @Mixin
    ArchitectureOptions architecture;

    @Mixin
    ScalingOption scaling;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: the available cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null && (threads < 1 || threads > 256)) {
            throw new IllegalArgumentException("--threads: expected 1 to 256, found " + threads);
        }
        try (ModelFile.Contents contents = architecture.read(model, KernelProvider.best(), scaling, spec.commandLine().getErr());
             Dataset set = input.read(false, classesOf(contents.model().spec()))) {
            Mlp net = contents.model().spec();
            // Before scaling, which would otherwise report the mismatch in terms of the scaling, not the model.
            if (set.features() != net.inputs()) {
                throw new IllegalArgumentException(input.source() + ": the model expects " + net.inputs()
                        + " features per row, found " + set.features());
            }
            contents.scaling().apply(set);
            int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            try (Evaluator ev = new Evaluator(contents.model(), n)) {
                Evaluation e = ev.evaluate(set);
                out.printf(Locale.ROOT, "model:    %s (%s)%n", model, contents.model().spec());
                out.printf(Locale.ROOT, "data:     %s, %,d rows%n", input.source(), set.size());
                out.printf(Locale.ROOT, "loss:     %.4f%n", e.loss());
                if (!Double.isNaN(e.accuracy())) {
                    out.printf(Locale.ROOT, "accuracy: %.4f%n", e.accuracy());
                }
                out.flush();
            }
        }
        return 0;
    }

    /** The classes a softmax model was trained on (one per output); 0 (inferred from the data) for other models. */
    private static int classesOf(Mlp net) {
        return net.loss() == Loss.SOFTMAX_CROSS_ENTROPY && net.outputs() >= 2 ? net.outputs() : 0;
    }
}
