package dev.vecmlp.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

import dev.vecmlp.memory.Matrix;

/**
 * How raw features are scaled before they reach the network: {@code x' = (x − offset[j]) · factor[j]}
 * per column {@code j}. Fitted on the training set, saved with the model, and applied unchanged to
 * every set the model later sees, so prediction scales exactly as training did.
 *
 * <ul>
 *   <li>{@link Kind#NONE}: features as they are;
 *   <li>{@link Kind#DIVIDE}: divide by a constant (255 for 8-bit images);
 *   <li>{@link Kind#STANDARDIZE}: subtract each column's mean, divide by its standard deviation
 *       (a constant column, or one whose deviation is too small for its reciprocal to be a
 *       float, is only centred).
 * </ul>
 */
public final class Scaling {
    /** The three kinds of scaling. */
    public enum Kind {
        NONE, DIVIDE, STANDARDIZE;

        /** Parses {@code none}, {@code divide} (or {@code 255}), {@code standardize}. */
        public static Kind parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "none" -> NONE;
                case "divide", "255", "divide255" -> DIVIDE;
                case "standardize", "standardise", "standard", "z" -> STANDARDIZE;
                default -> throw new IllegalArgumentException("scaling: expected none, divide or standardize, found '" + s + "'");
            };
        }
    }

    private final Kind kind;
    private final float[] offset;
    private final float[] factor;

    private Scaling(Kind kind, float[] offset, float[] factor) {
        this.kind = kind;
        this.offset = offset;
        this.factor = factor;
    }

    /** No scaling for {@code features} columns. */
    public static Scaling none(int features) {
        float[] one = new float[features];
        Arrays.fill(one, 1f);
        return new Scaling(Kind.NONE, new float[features], one);
    }

    /** Divide every column by {@code divisor} (finite, non-zero). */
    public static Scaling divide(int features, float divisor) {
        if (!Float.isFinite(divisor) || divisor == 0f) {
            throw new IllegalArgumentException("scaling: expected a finite non-zero divisor, found " + divisor);
        }
        float[] f = new float[features];
        Arrays.fill(f, 1f / divisor);
        return new Scaling(Kind.DIVIDE, new float[features], f);
    }

    /** Column means and standard deviations of {@code data}'s features (computed in double). */
    public static Scaling standardize(Dataset data) {
        int n = data.size(), d = data.features();
        if (n == 0) {
            throw new IllegalArgumentException(data.name() + ": cannot standardize an empty set");
        }
        Matrix x = data.featureMatrix();
        double[] mean = new double[d];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < d; c++) {
                mean[c] += x.get(r, c);
            }
        }
        for (int c = 0; c < d; c++) {
            mean[c] /= n;
        }
        double[] var = new double[d];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < d; c++) {
                double e = x.get(r, c) - mean[c];
                var[c] += e * e;
            }
        }
        for (int c = 0; c < d; c++) {
            var[c] /= n;
        }
        return standardize(mean, var);
    }

    /**
     * Standardization from column moments computed elsewhere (summed over a cluster's
     * partitions, say): {@code mean[c]} and {@code variance[c]}, the mean squared deviation.
     */
    public static Scaling standardize(double[] mean, double[] variance) {
        if (mean.length != variance.length || mean.length == 0) {
            throw new IllegalArgumentException("scaling: expected means and variances of the same non-zero length, found "
                    + mean.length + " and " + variance.length);
        }
        float[] off = new float[mean.length], fac = new float[mean.length];
        for (int c = 0; c < mean.length; c++) {
            double sd = Math.sqrt(variance[c]);
            off[c] = (float) mean[c];
            // A deviation below about 3e-39 has a reciprocal beyond float range: such a column is
            // constant as far as floats go, and an infinite factor would make it NaN.
            float inverse = (float) (1 / sd);
            fac[c] = sd > 0 && Double.isFinite(sd) && Float.isFinite(inverse) ? inverse : 1f;
        }
        return new Scaling(Kind.STANDARDIZE, off, fac);
    }

    /** The scaling of {@code kind} fitted to {@code data} ({@link Kind#DIVIDE} divides by 255). */
    public static Scaling fit(Kind kind, Dataset data) {
        return Objects.requireNonNull(kind, "kind") == Kind.STANDARDIZE ? standardize(data) : ofKind(kind, data.features());
    }

    /**
     * The scaling of a kind that needs no data, {@link Kind#NONE} or {@link Kind#DIVIDE} (by
     * 255), for {@code features} columns: what {@link #fit} gives for any data of that width.
     *
     * @throws IllegalArgumentException for {@link Kind#STANDARDIZE}, whose offsets and factors
     *                                  come from data
     */
    public static Scaling ofKind(Kind kind, int features) {
        return switch (Objects.requireNonNull(kind, "kind")) {
            case NONE -> none(features);
            case DIVIDE -> divide(features, 255f);
            case STANDARDIZE -> throw new IllegalArgumentException("scaling: expected none or divide, found standardize,"
                    + " whose column means and deviations come from the training data");
        };
    }

    /** Restores a saved scaling; arrays are copied and checked (same length, finite values). */
    public static Scaling of(Kind kind, float[] offset, float[] factor) {
        Objects.requireNonNull(kind, "kind");
        if (offset.length != factor.length || offset.length == 0) {
            throw new IllegalArgumentException("scaling: expected offset and factor arrays of the same non-zero length, found "
                    + offset.length + " and " + factor.length);
        }
        for (int i = 0; i < offset.length; i++) {
            if (!Float.isFinite(offset[i]) || !Float.isFinite(factor[i])) {
                throw new IllegalArgumentException("scaling: expected finite values, found offset " + offset[i] + " and factor "
                        + factor[i] + " at column " + i);
            }
        }
        return new Scaling(kind, offset.clone(), factor.clone());
    }

    public Kind kind() {
        return kind;
    }

    /** Number of feature columns it applies to. */
    public int features() {
        return offset.length;
    }

    /** A copy of the per-column offsets. */
    public float[] offsets() {
        return offset.clone();
    }

    /** A copy of the per-column factors. */
    public float[] factors() {
        return factor.clone();
    }

    /** Scales every row of {@code data} in place. */
    public void apply(Dataset data) {
        checkWidth(data.features(), data.name());
        if (kind == Kind.NONE) {
            return;
        }
        Matrix x = data.featureMatrix();
        for (int r = 0; r < data.size(); r++) {
            for (int c = 0; c < offset.length; c++) {
                x.set(r, c, (x.get(r, c) - offset[c]) * factor[c]);
            }
        }
    }

    /** Scales {@code rows} rows of {@code features()} floats in {@code x} in place. */
    public void apply(float[] x) {
        apply(x, x.length);
    }

    /**
     * Scales the first {@code floats} values of {@code x} in place, whole rows of
     * {@code features()} floats: a batch in a buffer sized for a larger one.
     */
    public void apply(float[] x, int floats) {
        if (floats % offset.length != 0 || floats < 0 || floats > x.length) {
            throw new IllegalArgumentException("input: expected a multiple of " + offset.length + " features, at most "
                    + x.length + ", found " + floats);
        }
        if (kind == Kind.NONE) {
            return;
        }
        for (int i = 0; i < floats; i++) {
            int c = i % offset.length;
            x[i] = (x[i] - offset[c]) * factor[c];
        }
    }

    private void checkWidth(int features, String where) {
        if (features != offset.length) {
            throw new IllegalArgumentException(where + ": the scaling was fitted to " + offset.length + " features, found "
                    + features);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scaling s && s.kind == kind && Arrays.equals(s.offset, offset) && Arrays.equals(s.factor, factor);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(offset) * 17 + Arrays.hashCode(factor);
    }

    @Override
    public String toString() {
        return "Scaling[" + kind.name().toLowerCase(Locale.ROOT) + ", " + offset.length + " features]";
    }
}
