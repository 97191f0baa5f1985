package dev.vecmlp.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;

import org.apache.spark.sql.Row;

import dev.vecmlp.nn.Mlp;

/**
 * One partition's training rows, packed once when a fit begins and cached by Spark: features
 * row-major as floats, and a class or a target per row. Every step reads them from here, not
 * from the DataFrame's rows again. Bad rows are refused here, with the column, the row and the
 * partition.
 */
final class TrainingBlock implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final int rows;
    final int features;
    final float[] x;
    /** Classes, for a classifier; else null. */
    final int[] labels;
    /** Targets, for a regression; else null. */
    final float[] targets;

    private TrainingBlock(int partition, int rows, int features, float[] x, int[] labels, float[] targets) {
        this.partition = partition;
        this.rows = rows;
        this.features = features;
        this.x = x;
        this.labels = labels;
        this.targets = targets;
    }

    /** The largest class in the block, -1 when it has none. */
    int maxLabel() {
        int max = -1;
        if (labels != null) {
            for (int i = 0; i < rows; i++) {
                max = Math.max(max, labels[i]);
            }
        }
        return max;
    }

    /**
     * Packs a partition's rows, whose column 0 holds the features ({@code kind}) and column 1
     * the label: a class (a whole number from 0) when {@code classify}, else a finite target.
     */
    static TrainingBlock pack(int partition, Iterator<Row> it, FeatureColumn kind, String featuresCol, String labelCol,
                              boolean classify) {
        int width = -1, n = 0;
        float[] x = new float[0];
        int[] labels = classify ? new int[16] : null;
        float[] targets = classify ? null : new float[16];
        while (it.hasNext()) {
            Row row = it.next();
            int r = n;
            FeatureColumn.Where where = what -> new IllegalArgumentException("featuresCol '" + featuresCol + "' ("
                    + kind.typeName() + "), row " + r + " of partition " + partition + ": " + what);
            if (width < 0) {
                width = kind.width(row, 0, where);
                if (width < 1 || width > Mlp.MAX_WIDTH) {
                    throw where.error("expected 1 to " + Mlp.MAX_WIDTH + " features, found " + width);
                }
                x = new float[16 * width];
            }
            if ((long) (n + 1) * width > Integer.MAX_VALUE - 16) {
                throw where.error("expected at most " + (Integer.MAX_VALUE - 16) / width + " rows of " + width
                        + " features in one partition (one Java array), found more: repartition into more partitions");
            }
            if ((n + 1) * width > x.length) {
                x = Arrays.copyOf(x, (int) Math.min(Integer.MAX_VALUE - 16, 2L * x.length));
            }
            kind.copy(row, 0, x, n * width, width, what -> where.error(what.replace("(the model's inputs)",
                    "(the width of this partition's first row)")));
            for (int c = 0; c < width; c++) {
                if (!Float.isFinite(x[n * width + c])) {
                    throw where.error("feature " + c + ": expected a finite number, found " + x[n * width + c]);
                }
            }
            if (classify) {
                if (n == labels.length) {
                    labels = Arrays.copyOf(labels, 2 * n);
                }
                labels[n] = classOf(row, labelCol, r, partition);
            } else {
                if (n == targets.length) {
                    targets = Arrays.copyOf(targets, 2 * n);
                }
                targets[n] = targetOf(row, labelCol, r, partition);
            }
            n++;
        }
        return new TrainingBlock(partition, n, Math.max(width, 0), Arrays.copyOf(x, n * Math.max(width, 0)),
                classify ? Arrays.copyOf(labels, n) : null, classify ? null : Arrays.copyOf(targets, n));
    }

    private static IllegalArgumentException badLabel(String labelCol, int row, int partition, String what) {
        return new IllegalArgumentException("labelCol '" + labelCol + "', row " + row + " of partition " + partition + ": " + what);
    }

    private static int classOf(Row row, String labelCol, int r, int partition) {
        if (row.isNullAt(1)) {
            throw badLabel(labelCol, r, partition, "expected a class (a whole number from 0), found null");
        }
        double v = ((Number) row.get(1)).doubleValue();
        if (v != Math.rint(v) || v < 0 || v >= Mlp.MAX_WIDTH) {
            throw badLabel(labelCol, r, partition, "expected a class (a whole number from 0 to " + (Mlp.MAX_WIDTH - 1)
                    + "), found " + row.get(1));
        }
        return (int) v;
    }

    private static float targetOf(Row row, String labelCol, int r, int partition) {
        if (row.isNullAt(1)) {
            throw badLabel(labelCol, r, partition, "expected a finite number, found null");
        }
        float v = ((Number) row.get(1)).floatValue();
        if (!Float.isFinite(v)) {
            throw badLabel(labelCol, r, partition, "expected a finite number (as a float), found " + row.get(1));
        }
        return v;
    }
}
