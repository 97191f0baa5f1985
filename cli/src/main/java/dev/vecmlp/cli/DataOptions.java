package dev.vecmlp.cli;

import java.io.IOException;
import java.nio.file.Path;

import dev.vecmlp.data.Dataset;
import picocli.CommandLine.Option;

/** Which data set a command reads a model's inputs from: the options {@code eval} and {@code predict} share. */
final class DataOptions {
    @Option(names = "--data", paramLabel = "PATH", description = "An IDX directory or a CSV file (default: the bundled MNIST subset).")
    Path data;

    @Option(names = "--split", paramLabel = "NAME", defaultValue = "t10k",
            description = "Which split of an IDX directory: t10k (test) or train (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--label", paramLabel = "COLUMN",
            description = "CSV label column: a header name or a 0-based index (default: the last column).")
    String label;

    @Option(names = "--regression", description = "CSV: the label column is a number, not a class.")
    boolean regression;

    /** The IDX directory or CSV file to read. */
    Path source() {
        return data != null ? data : DataSource.bundledMnist();
    }

    /** Reads the set; with {@code noLabel} a CSV file's every column is a feature. The caller closes it. */
    Dataset read(boolean noLabel) throws IOException {
        return read(noLabel, 0);
    }

    /** Reads the set with {@code classes} classes (0: inferred from its labels). The caller closes it. */
    Dataset read(boolean noLabel, int classes) throws IOException {
        if (!split.equals("t10k") && !split.equals("train")) {
            throw new IllegalArgumentException("--split: expected t10k or train, found '" + split + "'");
        }
        return DataSource.read("--data", source(), split, new DataSource.CsvSpec(label, regression, noLabel, classes));
    }
}
