package dev.vecmlp.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.io.AtomicFile;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Outputs;
import dev.vecmlp.nn.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vecmlp predict}: a model's outputs for every row of a data set, as CSV. */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Print or write a model file's predictions on a data set, as CSV.",
                "",
                "Columns: row, the predicted class (for a classifier), then every output.",
                "For a softmax model the outputs are the class probabilities. A CSV file",
                "of features only (no label column) is read with --no-label.",
                "",
                "A file saved by PyTorch (no vecmlp metadata) needs --layers, and --loss,",
                "--output-activation, --scaling where the defaults do not fit; or write",
                "them into a copy once with vecmlp import."})
public final class PredictCommand implements Callable<Integer> {
    /** Rows per call to the predictor: enough for the forward kernel's packed path. */
    private static final int BATCH = 256;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "The model file (safetensors).")
    Path model;

    @Mixin
    DataOptions input;

    @Mixin
    ArchitectureOptions architecture;

    @Mixin
    ScalingOption scaling;

    @Option(names = "--no-label",
            description = "CSV: no label column, every column is a feature. The class is then written for a softmax model or one with several outputs.")
    boolean noLabel;

    @Option(names = {"-o", "--output"}, paramLabel = "CSV", description = "Write the CSV here instead of printing it.")
    Path output;

    @Option(names = "--force", description = "Replace --output if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        Path source = input.source();
        if (output != null) {
            OutputGuard.checkNew("--output", output, force, "a CSV file to write the predictions to");
        }
        if (noLabel && DataSource.isIdxDirectory(source)) {
            throw new IllegalArgumentException("--no-label: " + source + " is an IDX directory, whose images always come with"
                    + " a labels file; --no-label is for a CSV file of features only (give one with --data)");
        }
        try (ModelFile.Contents contents = architecture.read(model, KernelProvider.best(), scaling, spec.commandLine().getErr());
             Dataset set = input.read(noLabel)) {
            Model m = contents.model();
            // Before scaling, which would otherwise report the mismatch in terms of the scaling, not the model.
            if (set.features() != m.spec().inputs()) {
                throw new IllegalArgumentException(source + ": the model expects " + m.spec().inputs() + " features per row, found "
                        + set.features() + hint(source, set.features(), m.spec().inputs()));
            }
            contents.scaling().apply(set);
            if (output == null) {
                PrintWriter out = spec.commandLine().getOut();
                write(m, set, out);
                out.flush();
            } else {
                // Through the models' writer: the old file or the whole new one, never half.
                AtomicFile.write(output, (ch, temp) -> {
                    Writer w = new BufferedWriter(Channels.newWriter(ch, StandardCharsets.UTF_8));
                    write(m, set, w);
                    w.flush();
                });
                spec.commandLine().getOut().printf("predictions: %s (%,d rows)%n", output, set.size());
                spec.commandLine().getOut().flush();
            }
        }
        return 0;
    }

    /** Why the feature count may be off by the label column, or "" when it is not off by one. */
    private String hint(Path source, int found, int expected) {
        if (noLabel && found == expected + 1) {
            return " (with --no-label every column is a feature; if one of them is a label, name it with --label instead)";
        }
        if (!noLabel && !DataSource.isIdxDirectory(source) && found == expected - 1) {
            return " (one column was taken as the label; if every column is a feature, add --no-label)";
        }
        return "";
    }

    private static void write(Model m, Dataset set, Writer out) throws IOException {
        int outputs = m.spec().outputs();
        // Without labels only the model can tell: the CLI gives a regression model one output per
        // target column, and vecmlp's readers give one target column, so several outputs are class scores.
        boolean classifier = m.spec().loss() == Loss.SOFTMAX_CROSS_ENTROPY
                || (set.isLabeled() ? set.isClassification() : outputs > 1);
        boolean softmax = m.spec().loss() == Loss.SOFTMAX_CROSS_ENTROPY;
        StringBuilder line = new StringBuilder("row");
        if (classifier) {
            line.append(",class");
        }
        for (int c = 0; c < outputs; c++) {
            line.append(softmax ? ",p" : ",y").append(c);
        }
        out.write(line.append('\n').toString());
        Matrix x = set.featureMatrix();
        int inputs = m.spec().inputs();
        try (Predictor p = m.predictor(BATCH)) {
            float[] in = new float[BATCH * inputs];
            float[] y = new float[BATCH * outputs];
            for (int from = 0; from < set.size(); from += BATCH) {
                int rows = Math.min(BATCH, set.size() - from);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < inputs; c++) {
                        in[r * inputs + c] = x.get(from + r, c);
                    }
                }
                // A short last batch runs padded (with rows of the batch before, or zeros) to the
                // size from which a row's bits do not depend on the batch: a row gets the bits it
                // would get in any other batching, a Spark partition's included.
                p.predict(MemorySegment.ofArray(in), MemorySegment.ofArray(y), Math.max(rows, Math.min(BATCH, p.uniformRows())));
                for (int r = 0; r < rows; r++) {
                    line.setLength(0);
                    line.append(from + r);
                    if (softmax) {
                        Outputs.softmaxInPlace(y, r * outputs, outputs);
                    }
                    if (classifier) {
                        line.append(',').append(Outputs.predictedClass(y, r * outputs, outputs));
                    }
                    for (int c = 0; c < outputs; c++) {
                        line.append(',').append(String.format(Locale.ROOT, "%.6g", y[r * outputs + c]));
                    }
                    out.write(line.append('\n').toString());
                }
            }
        }
    }
}
