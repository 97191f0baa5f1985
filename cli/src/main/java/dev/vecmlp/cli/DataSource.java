package dev.vecmlp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.vecmlp.data.CsvReader;
import dev.vecmlp.data.DataFormatException;
import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.IdxReader;
import dev.vecmlp.data.Scaling;

/**
 * Where the commands get their data: a directory of IDX files named as MNIST names them, or a CSV
 * file. Directory layout: {@code train-images-idx3-ubyte[.gz]} with
 * {@code train-labels-idx1-ubyte[.gz]}, and optionally {@code t10k-images-idx3-ubyte[.gz]} with
 * {@code t10k-labels-idx1-ubyte[.gz]} as the test split.
 */
final class DataSource {
    /** The bundled MNIST subset, found beside the launcher (the {@code vecmlp.home} property it sets). */
    static Path bundledMnist() {
        return Path.of(System.getProperty("vecmlp.home", "."), "data", "mnist-10k");
    }

    private DataSource() {
    }

    /**
     * What a CSV file's columns mean: {@code label} names the label column (a header name or a
     * 0-based index; null for the last column), a number to predict with {@code regression}; with
     * {@code noLabel} there is none and every column is a feature.
     */
    record CsvSpec(String label, boolean regression, boolean noLabel, int classes) {
        CsvSpec {
            if (noLabel && label != null) {
                throw new IllegalArgumentException("--no-label: every column is a feature, so there is no label column for"
                        + " --label '" + label + "' to name; give one option or the other");
            }
            if (noLabel && regression) {
                throw new IllegalArgumentException("--no-label: there is no label column for --regression to read as a number;"
                        + " give one option or the other");
            }
        }

        /** Classes inferred from the file's labels. */
        CsvSpec(String label, boolean regression, boolean noLabel) {
            this(label, regression, noLabel, 0);
        }

        /** A file with a label column, as training and evaluation need. */
        CsvSpec(String label, boolean regression) {
            this(label, regression, false, 0);
        }

        /**
         * The same, with {@code classes} classes (0: inferred from the labels): a test file must
         * have the training set's classes even when its labels happen to miss the last ones.
         */
        CsvSpec withClasses(int n) {
            return new CsvSpec(label, regression, noLabel, n);
        }

        CsvReader.Options options() {
            if (noLabel) {
                return CsvReader.options().noLabel();
            }
            CsvReader.Options o = CsvReader.options();
            if (regression) {
                o = o.regression();
            } else if (classes >= 2) {
                o = o.classes(classes);
            }
            if (label == null || label.isEmpty()) {
                return o.labelLastColumn();
            }
            if (label.chars().allMatch(Character::isDigit)) {
                return o.labelColumn(Integer.parseInt(label));
            }
            return o.labelColumn(label);
        }
    }

    /** Whether {@code path} names an IDX directory (else it is a CSV file). */
    static boolean isIdxDirectory(Path path) {
        return Files.isDirectory(path);
    }

    /**
     * Reads split {@code split} ({@code "train"} or {@code "t10k"}) of an IDX directory, or the
     * CSV file {@code path}, given as {@code option}; every message names the option. The caller
     * closes the set.
     */
    static Dataset read(String option, Path path, String split, CsvSpec csv) throws IOException {
        PathArgument.requireFileOrDirectory(option, path, PathArgument.DATA);
        if (!isIdxDirectory(path)) {
            return PathArgument.read(option, path, "a CSV file", csv.options()::read);
        }
        if (csv.label() != null || csv.regression()) {
            throw new IllegalArgumentException((csv.label() != null ? "--label" : "--regression") + ": " + path
                    + " is an IDX directory, whose labels come from its labels file; the option is for CSV files");
        }
        String imagesName = split + "-images-idx3-ubyte";
        String labelsName = split + "-labels-idx1-ubyte";
        Path images = find(option, path, imagesName);
        Path labels = find(option, path, labelsName);
        if (images == null || labels == null) {
            throw new IllegalArgumentException(PathArgument.message(option, path, "IDX files " + imagesName + "[.gz] and "
                    + labelsName + "[.gz]", listing(path)));
        }
        return PathArgument.read(option, path, "an IDX directory", dir -> {
            IdxReader.Header h = IdxReader.readHeader(images);
            if (h.dims().size() != 3) {
                // IdxReader reads any rank; the MNIST names promise rows x height x width.
                throw new DataFormatException(images, "byte 3 (the number of dimensions)",
                        "a 3-D images file (magic 0x0000" + String.format("%02X", h.type().code()) + "03: rows x height x"
                                + " width, as idx3 in its name says)", h.dims().size() + " dimension"
                                + (h.dims().size() == 1 ? " (" + h.shape() + "), the shape of a labels file" : "s: " + h.shape()));
            }
            return csv.classes() >= 2 ? IdxReader.read(images, labels, csv.classes()) : IdxReader.read(images, labels);
        });
    }

    /** Whether an IDX directory has split {@code split}. */
    static boolean hasSplit(Path dir, String split) {
        return Files.isDirectory(dir) && find(dir, split + "-images-idx3-ubyte") != null
                && find(dir, split + "-labels-idx1-ubyte") != null;
    }

    /** The default scaling for a source: /255 for IDX images, standardized columns for CSV. */
    static Scaling.Kind defaultScaling(Path path) {
        return isIdxDirectory(path) ? Scaling.Kind.DIVIDE : Scaling.Kind.STANDARDIZE;
    }

    /**
     * {@code dir/base.gz} or {@code dir/base}, whichever is a file; null when neither exists;
     * refused, naming it, when one exists and is not a readable, non-empty file.
     */
    private static Path find(String option, Path dir, String base) {
        Path found = find(dir, base);
        if (found != null) {
            return found;
        }
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.exists(p) || Files.isSymbolicLink(p)) {
                PathArgument.requireFile(option, p, "an IDX file");
            }
        }
        return null;
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static String listing(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.limit(20).forEach(p -> names.add(p.getFileName().toString()));
        }
        return names.isEmpty() ? "an empty directory" : String.join(", ", names);
    }
}
