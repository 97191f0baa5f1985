package dev.vecmlp.check;

import java.util.Arrays;

/** Accumulates one tensor's comparisons into a {@link TensorReport}. */
final class TensorStats {
    private final String name;
    private final int layer;
    private final boolean bias;
    private final boolean withResolution;
    private int checked, skipped, failing, zeros;
    private double maxError;
    private double worstScore = -1;
    private int worstRow = -1, worstColumn = -1;
    private double worstExpected = Double.NaN, worstFound = Double.NaN, worstAllowed = Double.NaN;
    private double dot, squares;
    private double resolution = Double.POSITIVE_INFINITY;
    private double[] ratios = new double[16];
    private int ratioCount;

    TensorStats(String name, int layer, boolean bias, boolean withResolution) {
        this.name = name;
        this.layer = layer;
        this.bias = bias;
        this.withResolution = withResolution;
    }

    void skip() {
        skipped++;
    }

    void add(int row, int column, double expected, double found, double allowed) {
        checked++;
        if (expected == 0 && found == 0) {
            zeros++;
        }
        double error = Math.abs(found - expected);
        // A NaN error fails and is the worst of all.
        boolean fails = !(error <= allowed);
        if (fails) {
            failing++;
        }
        double score = Double.isNaN(error) ? Double.POSITIVE_INFINITY : error / allowed;
        if (score > worstScore || worstRow < 0) {
            worstScore = score;
            worstRow = row;
            worstColumn = column;
            worstExpected = expected;
            worstFound = found;
            worstAllowed = allowed;
        }
        if (!(error <= maxError)) {
            maxError = error;
        }
        dot += found * expected;
        squares += expected * expected;
        if (expected != 0) {
            if (ratioCount == ratios.length) {
                ratios = Arrays.copyOf(ratios, 2 * ratioCount);
            }
            ratios[ratioCount++] = found / expected;
            resolution = Math.min(resolution, allowed / Math.abs(expected));
        }
    }

    TensorReport build() {
        return build(Double.NaN);
    }

    /** With a bound on |ratio − 1| (verdict 2). */
    TensorReport build(double ratioBound) {
        double median = Double.NaN;
        if (ratioCount > 0) {
            double[] r = Arrays.copyOf(ratios, ratioCount);
            Arrays.sort(r);
            median = ratioCount % 2 == 1 ? r[ratioCount / 2] : 0.5 * (r[ratioCount / 2 - 1] + r[ratioCount / 2]);
        }
        double ratio = squares > 0 ? dot / squares : Double.NaN;
        double res = withResolution && ratioCount > 0 ? resolution : Double.NaN;
        return new TensorReport(name, layer, bias, checked, skipped, failing, maxError, worstRow, worstColumn,
                worstExpected, worstFound, worstAllowed, ratio, median, res, ratioBound, zeros);
    }
}
