package dev.vecmlp.check;

import java.util.Objects;
import java.util.SplittableRandom;

import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * A batch of inputs and targets in the engine's format: float32, row-major, no padding. The
 * reference network reads the same floats as doubles (exactly), so the reference and the engine
 * see the same data.
 *
 * <pre>{@code
 * Batch b = Batch.withLabels(pixels, new int[] {3, 7}, 10);   // one-hot targets for softmax
 * Batch r = Batch.random(spec, 8, 42L);                       // Gaussian inputs, labels or targets
 * }</pre>
 *
 * @param rows    the number of examples
 * @param inputs  {@code rows x inputs} floats
 * @param targets {@code rows x outputs} floats: one-hot or soft targets for softmax
 *                cross-entropy, real targets for squared error
 */
public record Batch(int rows, float[] inputs, float[] targets) {
    public Batch {
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(targets, "targets");
        if (rows < 1) {
            throw new IllegalArgumentException("batch: expected at least 1 row, found " + rows);
        }
        if (inputs.length % rows != 0 || targets.length % rows != 0) {
            throw new IllegalArgumentException("batch: expected inputs and targets to hold whole rows of " + rows
                    + " examples, found " + inputs.length + " input and " + targets.length + " target floats");
        }
        checkFinite("input", inputs, inputs.length / rows);
        checkFinite("target", targets, targets.length / rows);
    }

    /** A batch with one-hot targets from class labels in {@code [0, classes)}. */
    public static Batch withLabels(float[] inputs, int[] labels, int classes) {
        Objects.requireNonNull(labels, "labels");
        float[] t = new float[labels.length * classes];
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                throw new IllegalArgumentException("labels: expected a class in [0, " + classes + ") at row " + r
                        + ", found " + labels[r]);
            }
            t[r * classes + labels[r]] = 1f;
        }
        return new Batch(labels.length, inputs, t);
    }

    /**
     * {@code rows} examples with standard normal inputs; for softmax cross-entropy one-hot targets
     * of uniformly drawn classes, for squared error standard normal targets.
     */
    public static Batch random(Mlp spec, int rows, long seed) {
        Objects.requireNonNull(spec, "spec");
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[rows * spec.inputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        if (spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) {
                labels[r] = rng.nextInt(spec.outputs());
            }
            return withLabels(x, labels, spec.outputs());
        }
        float[] t = new float[rows * spec.outputs()];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) rng.nextGaussian();
        }
        return new Batch(rows, x, t);
    }

    /** Throws unless the row widths are those of {@code spec}'s input and output. */
    void checkShape(Mlp spec) {
        if (inputs.length != rows * spec.inputs()) {
            throw new IllegalArgumentException("batch inputs: expected " + rows + " x " + spec.inputs() + " = "
                    + (long) rows * spec.inputs() + " floats for " + spec + ", found " + inputs.length);
        }
        if (targets.length != rows * spec.outputs()) {
            throw new IllegalArgumentException("batch targets: expected " + rows + " x " + spec.outputs() + " = "
                    + (long) rows * spec.outputs() + " floats for " + spec + ", found " + targets.length);
        }
    }

    private static void checkFinite(String what, float[] a, int width) {
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                throw new IllegalArgumentException("batch " + what + " at row " + i / width + ", column " + i % width
                        + ": expected a finite value, found " + a[i]);
            }
        }
    }
}
