package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.train.Evaluation;
import dev.vecmlp.train.Evaluator;
import picocli.CommandLine.Command;
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
                "The features are scaled as they were in training."})
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "The model file (safetensors) to evaluate.")
    Path model;

    @Option(names = "--data", paramLabel = "PATH", description = "An IDX directory or a CSV file (default: the bundled MNIST subset).")
    Path data;

    @Option(names = "--split", paramLabel = "NAME", defaultValue = "t10k",
            description = "Which split of an IDX directory: t10k (test) or train (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--label", paramLabel = "COLUMN", description = "CSV label column: a header name or a 0-based index (default: the last column).")
    String label;

    @Option(names = "--regression", description = "CSV: the label column is a number, not a class.")
    boolean regression;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: the available cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path source = data != null ? data : DataSource.bundledMnist();
        if (!split.equals("t10k") && !split.equals("train")) {
            throw new IllegalArgumentException("--split: expected t10k or train, found '" + split + "'");
        }
        try (ModelFile.Contents contents = ModelFile.read(model);
             Dataset set = DataSource.read(source, split, new DataSource.CsvSpec(label, regression))) {
            contents.scaling().apply(set);
            int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            try (Evaluator ev = new Evaluator(contents.model(), Math.max(1, n))) {
                Evaluation e = ev.evaluate(set);
                out.printf(Locale.ROOT, "model:    %s (%s)%n", model, contents.model().spec());
                out.printf(Locale.ROOT, "data:     %s, %,d rows%n", source, set.size());
                out.printf(Locale.ROOT, "loss:     %.4f%n", e.loss());
                if (!Double.isNaN(e.accuracy())) {
                    out.printf(Locale.ROOT, "accuracy: %.4f%n", e.accuracy());
                }
                out.flush();
            }
        }
        return 0;
    }
}
