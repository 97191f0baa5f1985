package dev.vecmlp.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.SplittableRandom;

import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;

/**
 * A table of examples held off-heap: {@code size} rows of {@code features} floats (rows padded to
 * 16 floats, like every matrix in vecmlp) and, per row, either a class label in
 * {@code [0, classes)} (a classification set), {@code targetColumns} float targets (a regression
 * set), or nothing (an unlabeled set: features to predict from, which cannot train or evaluate a
 * network).
 *
 * <p>Readers (IdxReader, CsvReader) and generators (Generated) allocate a
 * set with {@link #classification}, {@link #regression} or {@link #unlabeled} and write straight
 * into it. The trainer copies mini-batches out of it with {@link #copyBatch}, which allocates
 * nothing.
 *
 * <p>A dataset is written by one thread and then read by any number; it is {@link AutoCloseable}
 * and use after close is an {@link IllegalStateException}.
 */
public final class Dataset implements AutoCloseable {
    private final String name;
    private final int size;
    private final int features;
    private final int classes;
    private final int targetColumns;
    private final Slab slab;
    private final Matrix x;
    private final Matrix t;
    private final int[] labels;

    private Dataset(String name, int size, int features, int classes, int targetColumns) {
        this.name = Objects.requireNonNull(name, "name");
        if (size < 0) {
            throw new IllegalArgumentException(name + ": expected a number of rows >= 0, found " + size);
        }
        if (features < 1) {
            throw new IllegalArgumentException(name + ": expected at least 1 feature per row, found " + features);
        }
        this.size = size;
        this.features = features;
        this.classes = classes;
        this.targetColumns = targetColumns;
        long xFloats = (long) size * Matrix.paddedStride(features);
        long tFloats = targetColumns > 0 ? (long) size * Matrix.paddedStride(targetColumns) : 0;
        // Before the slab: an OutOfMemoryError here must not strand native memory nobody can close.
        this.labels = classes > 0 ? new int[size] : null;
        this.slab = Slab.allocate("dataset " + name, Math.max(1, xFloats + tFloats));
        this.x = slab.matrix(0, size, features);
        this.t = targetColumns > 0 ? slab.matrix(xFloats, size, targetColumns) : null;
    }

    /** A classification set of {@code size} rows, features and labels zero until written. */
    public static Dataset classification(String name, int size, int features, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException(name + ": expected at least 2 classes, found " + classes);
        }
        return new Dataset(name, size, features, classes, 0);
    }

    /** A regression set of {@code size} rows with {@code targetColumns} targets each, zero until written. */
    public static Dataset regression(String name, int size, int features, int targetColumns) {
        if (targetColumns < 1) {
            throw new IllegalArgumentException(name + ": expected at least 1 target column, found " + targetColumns);
        }
        return new Dataset(name, size, features, 0, targetColumns);
    }

    /**
     * An unlabeled set of {@code size} rows of features only, zero until written: it has no
     * labels and no target columns, so it can be fed to a predictor but not trained or evaluated
     * on.
     */
    public static Dataset unlabeled(String name, int size, int features) {
        return new Dataset(name, size, features, 0, 0);
    }

    /** A classification set copied from row-major arrays ({@code x.length == labels.length * features}). */
    public static Dataset ofClassification(String name, float[] x, int features, int[] labels, int classes) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(labels, "labels");
        if ((long) labels.length * features != x.length) {
            throw new IllegalArgumentException(name + ": expected " + (long) labels.length * features + " feature values ("
                    + labels.length + " rows x " + features + "), found " + x.length);
        }
        Dataset d = classification(name, labels.length, features, classes);
        try {
            d.x.copyFrom(x, 0);
            for (int r = 0; r < labels.length; r++) {
                d.setLabel(r, labels[r]);
            }
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** A regression set copied from row-major arrays. */
    public static Dataset ofRegression(String name, float[] x, int features, float[] targets, int targetColumns) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(targets, "targets");
        if (features < 1 || targetColumns < 1 || x.length % features != 0) {
            throw new IllegalArgumentException(name + ": expected a whole number of rows of " + features + " features, found "
                    + x.length + " values");
        }
        int rows = x.length / features;
        if ((long) rows * targetColumns != targets.length) {
            throw new IllegalArgumentException(name + ": expected " + (long) rows * targetColumns + " target values ("
                    + rows + " rows x " + targetColumns + "), found " + targets.length);
        }
        Dataset d = regression(name, rows, features, targetColumns);
        d.x.copyFrom(x, 0);
        d.t.copyFrom(targets, 0);
        return d;
    }

    public String name() {
        return name;
    }

    /** Number of rows (examples). */
    public int size() {
        return size;
    }

    /** Features per row. */
    public int features() {
        return features;
    }

    /** Number of classes of a classification set; 0 for a regression or an unlabeled set. */
    public int classes() {
        return classes;
    }

    /** Whether this is a classification set (it has class labels). */
    public boolean isClassification() {
        return classes > 0;
    }

    /** Whether rows have labels or targets: false only for an {@link #unlabeled} set. */
    public boolean isLabeled() {
        return classes > 0 || targetColumns > 0;
    }

    /** Target columns of a regression set; 0 for a classification or an unlabeled set. */
    public int targetColumns() {
        return targetColumns;
    }

    /** The features, {@code size x features}, as a writable view. */
    public Matrix featureMatrix() {
        slab.ensureOpen();
        return x;
    }

    /**
     * The targets of a regression set, {@code size x targetColumns}, as a writable view; any other set
     * has none (IllegalStateException).
     */
    public Matrix targetMatrix() {
        slab.ensureOpen();
        if (t == null) {
            throw new IllegalStateException(isClassification()
                    ? name + " is a classification set: it has labels, not target columns"
                    : name + " is an unlabeled set: it has features only, no target columns");
        }
        return t;
    }

    /** The label of row {@code row} of a classification set; any other set has none (IllegalStateException). */
    public int label(int row) {
        requireLabels();
        return labels[Objects.checkIndex(row, size)];
    }

    /**
     * Sets the label of a row of a classification set (any other set has none: IllegalStateException);
     * rejects a label outside {@code [0, classes)}.
     */
    public void setLabel(int row, int label) {
        requireLabels();
        Objects.checkIndex(row, size);
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException(name + " row " + row + ": expected a label in [0, " + classes + "), found " + label);
        }
        labels[row] = label;
    }

    /** One feature value. */
    public float feature(int row, int col) {
        return featureMatrix().get(row, col);
    }

    /**
     * Copies rows {@code order[from .. from+count)} into rows {@code 0 .. count} of {@code inputs}
     * and their targets into {@code targets}: for a regression set the target columns; for a
     * classification set one-hot vectors when {@code targets} has {@code classes} columns, or the
     * label itself as a number when it has one column and there are two classes (a 0/1 output).
     * {@code targets} may be null to copy the inputs only; it must be for an unlabeled set.
     * Allocates nothing.
     */
    public void copyBatch(int[] order, int from, int count, Matrix inputs, Matrix targets) {
        slab.ensureOpen();
        checkBatchShape(order, from, count, inputs, targets);
        MemorySegment xs = x.segment();
        long rowBytes = (long) features * Float.BYTES;
        for (int i = 0; i < count; i++) {
            int r = order[from + i];
            MemorySegment.copy(xs, (x.offset() + (long) r * x.stride()) * Float.BYTES,
                    inputs.segment(), (inputs.offset() + (long) i * inputs.stride()) * Float.BYTES, rowBytes);
        }
        if (targets == null) {
            return;
        }
        if (t != null) {
            long tBytes = (long) targetColumns * Float.BYTES;
            for (int i = 0; i < count; i++) {
                int r = order[from + i];
                MemorySegment.copy(t.segment(), (t.offset() + (long) r * t.stride()) * Float.BYTES,
                        targets.segment(), (targets.offset() + (long) i * targets.stride()) * Float.BYTES, tBytes);
            }
        } else {
            MemorySegment ts = targets.segment();
            int cols = targets.cols();
            for (int i = 0; i < count; i++) {
                int label = labels[order[from + i]];
                long row = targets.offset() + (long) i * targets.stride();
                if (cols == 1) {
                    ts.setAtIndex(ValueLayout.JAVA_FLOAT, row, label);
                } else {
                    for (int c = 0; c < cols; c++) {
                        ts.setAtIndex(ValueLayout.JAVA_FLOAT, row + c, c == label ? 1f : 0f);
                    }
                }
            }
        }
    }

    /** Whether a network with {@code outputs} outputs can be trained on this set; null if so, else why not. */
    public String targetMismatch(int outputs) {
        if (!isLabeled()) {
            return name + " is an unlabeled set (features only): expected labels or targets to train or evaluate a network"
                    + " with " + outputs + " output(s) on, found none";
        }
        if (t != null) {
            return outputs == targetColumns ? null
                    : name + " has " + targetColumns + " target column(s) but the network has " + outputs + " output(s)";
        }
        if (outputs == classes || (outputs == 1 && classes == 2)) {
            return null;
        }
        return name + " has " + classes + " classes: expected a network with " + classes + " outputs"
                + (classes == 2 ? " (or 1 output for a 0/1 target)" : "") + ", found " + outputs;
    }

    private void checkBatchShape(int[] order, int from, int count, Matrix inputs, Matrix targets) {
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(inputs, "inputs");
        Objects.checkFromIndexSize(from, count, order.length);
        if (inputs.cols() != features || inputs.rows() < count) {
            throw new IllegalArgumentException(name + ": expected an input matrix of at least " + count + " rows x " + features
                    + " columns, found " + inputs.rows() + "x" + inputs.cols());
        }
        if (targets != null && !isLabeled()) {
            throw new IllegalArgumentException(name + " is an unlabeled set (features only): expected no target matrix (null),"
                    + " found one of " + targets.rows() + "x" + targets.cols());
        }
        if (targets != null) {
            if (targets.rows() < count) {
                throw new IllegalArgumentException(name + ": expected a target matrix of at least " + count + " rows, found "
                        + targets.rows());
            }
            String why = targetMismatch(targets.cols());
            if (why != null) {
                throw new IllegalArgumentException(why);
            }
        }
        for (int i = from; i < from + count; i++) {
            if (order[i] < 0 || order[i] >= size) {
                throw new IndexOutOfBoundsException(name + ": expected row indices in [0, " + size + "), found " + order[i]
                        + " at position " + i);
            }
        }
    }

    /** A new set holding the given rows of this one, in that order. */
    public Dataset subset(String newName, int[] rows) {
        slab.ensureOpen();
        Dataset d = new Dataset(newName, rows.length, features, classes, targetColumns);
        try {
            for (int i = 0; i < rows.length; i++) {
                int r = Objects.checkIndex(rows[i], size);
                MemorySegment.copy(x.segment(), (x.offset() + (long) r * x.stride()) * Float.BYTES,
                        d.x.segment(), (d.x.offset() + (long) i * d.x.stride()) * Float.BYTES, (long) features * Float.BYTES);
                if (t != null) {
                    MemorySegment.copy(t.segment(), (t.offset() + (long) r * t.stride()) * Float.BYTES,
                            d.t.segment(), (d.t.offset() + (long) i * d.t.stride()) * Float.BYTES,
                            (long) targetColumns * Float.BYTES);
                } else if (labels != null) {
                    d.labels[i] = labels[r];
                }
            }
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** Rows {@code [from, to)} as a new set. */
    public Dataset slice(int from, int to) {
        Objects.checkFromToIndex(from, to, size);
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = from + i;
        }
        return subset(name + "[" + from + ":" + to + "]", rows);
    }

    /**
     * Splits off a seeded random {@code fraction} of the rows: returns {@code {rest, held out}}.
     * Both are new sets; this one is unchanged.
     */
    public Dataset[] split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException(name + ": expected a split fraction strictly between 0 and 1, found " + fraction);
        }
        int held = (int) Math.round(size * fraction);
        if (held < 1 || held >= size) {
            throw new IllegalArgumentException(name + ": a fraction of " + fraction + " of " + size
                    + " rows leaves an empty part; expected at least 1 row on each side");
        }
        int[] perm = permutation(size, seed);
        int[] rest = java.util.Arrays.copyOfRange(perm, held, size);
        int[] out = java.util.Arrays.copyOfRange(perm, 0, held);
        java.util.Arrays.sort(rest);
        java.util.Arrays.sort(out);
        Dataset a = subset(name + " (training part)", rest);
        try {
            return new Dataset[] {a, subset(name + " (held out)", out)};
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    /** A seeded Fisher-Yates permutation of {@code 0 .. n-1}. */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p, new SplittableRandom(seed));
        return p;
    }

    /** Fisher-Yates shuffle of {@code a} in place; allocates nothing. */
    public static void shuffle(int[] a, SplittableRandom rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }

    private void requireLabels() {
        slab.ensureOpen();
        if (labels == null) {
            throw new IllegalStateException(t != null
                    ? name + " is a regression set: it has target columns, not labels"
                    : name + " is an unlabeled set: it has features only, no labels");
        }
    }

    /** Frees the off-heap memory. */
    @Override
    public void close() {
        slab.close();
    }

    @Override
    public String toString() {
        String kind = classes > 0 ? classes + " classes" : targetColumns > 0 ? targetColumns + " targets" : "unlabeled";
        return "Dataset[" + name + ", " + size + " x " + features + ", " + kind + "]";
    }
}
