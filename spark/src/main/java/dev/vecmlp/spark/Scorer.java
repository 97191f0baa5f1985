package dev.vecmlp.spark;

import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.NoSuchElementException;

import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;

import dev.vecmlp.io.ModelFormatException;
import dev.vecmlp.nn.Outputs;
import dev.vecmlp.nn.Predictor;

/**
 * Scores one partition: reads up to {@code batchSize} rows, predicts them in one call of a
 * {@link Predictor} of the task's own, and hands the rows out with the prediction columns
 * appended. Rows are read and handed out lazily, a batch at a time, so a partition never sits in
 * memory whole. The predictor and the task's hold on the shared model are released when the
 * partition is done or, if it fails, when the task ends.
 */
final class Scorer implements Iterator<Row> {
    /** What a task needs to know; serialised into each task, so small: the model travels as a broadcast. */
    record Settings(String modelKey, String modelName, String featuresCol, int featureIndex, FeatureColumn kind, int inputs,
                    int outputs, boolean softmax, boolean classifier, int batchSize, boolean prediction, boolean probability,
                    boolean rawPrediction) implements Serializable {
        int added() {
            return (prediction ? 1 : 0) + (probability ? 1 : 0) + (rawPrediction ? 1 : 0);
        }
    }

    /** Enough for {@link Predictor#uniformRows} on every kernel set there is (16 at 512 bits). */
    static final int UNIFORM_ROWS_AT_MOST = 64;

    private final Iterator<Row> rows;
    private final Broadcast<byte[]> bytes;
    private final Settings s;
    private final int partition;
    private final Row[] batch;
    private final float[] in;
    private final float[] out;
    private ExecutorModels.Lease lease;
    private Predictor predictor;
    private long rowsRead;
    private int size;
    private int next;

    private Scorer(Iterator<Row> rows, Broadcast<byte[]> bytes, Settings s, int partition) {
        this.rows = rows;
        this.bytes = bytes;
        this.s = s;
        this.partition = partition;
        this.batch = new Row[s.batchSize()];
        // Room for a short batch padded to the predictor's uniform rows (see fill).
        int room = Math.max(s.batchSize(), UNIFORM_ROWS_AT_MOST);
        this.in = new float[room * s.inputs()];
        this.out = new float[room * s.outputs()];
    }

    /** The partition function: scores {@code rows}, the rows of one partition. */
    static Iterator<Row> score(Iterator<Row> rows, Broadcast<byte[]> bytes, Settings s) {
        TaskContext task = TaskContext.get();
        Scorer scorer = new Scorer(rows, bytes, s, task == null ? 0 : task.partitionId());
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> scorer.release());
        }
        return scorer;
    }

    @Override
    public boolean hasNext() {
        if (next < size) {
            return true;
        }
        if (!rows.hasNext()) {
            release();
            return false;
        }
        fill();
        return true;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int r = next++;
        Row row = batch[r];
        batch[r] = null;
        Object[] values = new Object[row.length() + s.added()];
        for (int c = 0; c < row.length(); c++) {
            values[c] = row.get(c);
        }
        int at = row.length();
        int o = r * s.outputs();
        if (s.rawPrediction()) {
            values[at++] = vector(out, o, s.outputs());
        }
        if (s.softmax()) {
            Outputs.softmaxInPlace(out, o, s.outputs());
        }
        if (s.prediction()) {
            values[at++] = s.classifier() ? (double) Outputs.predictedClass(out, o, s.outputs()) : (double) out[o];
        }
        if (s.probability()) {
            values[at] = vector(out, o, s.outputs());
        }
        return RowFactory.create(values);
    }

    private static DenseVector vector(float[] y, int at, int n) {
        double[] v = new double[n];
        for (int c = 0; c < n; c++) {
            v[c] = y[at + c];
        }
        return new DenseVector(v);
    }

    /** Reads the next batch of rows and predicts it. */
    private void fill() {
        int width = s.inputs();
        size = 0;
        next = 0;
        long first = rowsRead;
        while (size < batch.length && rows.hasNext()) {
            Row row = rows.next();
            long number = rowsRead++;
            s.kind().copy(row, s.featureIndex(), in, size * width, width, what -> where(number, what));
            batch[size++] = row;
        }
        if (predictor == null) {
            open();
        }
        // A short batch (a partition's last) runs padded with zero rows to the size from which a
        // row's bits do not depend on the batch: each row gets the bits ./vecmlp predict gives it,
        // wherever the partitions cut.
        int run = Math.max(size, predictor.uniformRows());
        java.util.Arrays.fill(in, size * width, run * width, 0f);
        lease.scaling().apply(in, run * width);
        predictor.predict(MemorySegment.ofArray(in), MemorySegment.ofArray(out), run);
        if (predictor.lastCallHadNonFiniteInput()) {
            int r = predictor.lastNonFiniteRow(), c = predictor.lastNonFiniteColumn();
            throw where(first + r, "feature " + c + ": expected a finite number, found " + in[r * width + c]);
        }
    }

    private IllegalArgumentException where(long rowNumber, String what) {
        return new IllegalArgumentException("featuresCol '" + s.featuresCol() + "' (" + s.kind().typeName() + "), row "
                + rowNumber + " of partition " + partition + ": " + what);
    }

    private void open() {
        try {
            lease = ExecutorModels.acquire(s.modelKey(), s.modelName(), bytes::value);
        } catch (ModelFormatException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        predictor = lease.model().predictor(in.length / s.inputs());
        if (predictor.uniformRows() > predictor.maxBatch()) {
            throw new IllegalStateException("kernels " + lease.model().kernels().name() + ": expected uniform rows of at most "
                    + UNIFORM_ROWS_AT_MOST + ", found " + predictor.uniformRows());
        }
    }

    /** Closes the predictor and lets go of the model; safe to call again. */
    private void release() {
        if (predictor != null) {
            predictor.close();
            predictor = null;
        }
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }
}
