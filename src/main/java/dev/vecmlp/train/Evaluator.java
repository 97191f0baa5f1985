package dev.vecmlp.train;

import java.util.Objects;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.WorkerPool;
import dev.vecmlp.nn.Workspace;

/**
 * Measures a model's loss and accuracy on a data set, in chunks spread over a few threads. The
 * chunk losses are added in chunk order, so the figures are the same whatever the thread count.
 *
 * <pre>{@code
 * try (Evaluator ev = new Evaluator(model, 2)) {
 *     Evaluation e = ev.evaluate(test);
 *     System.out.printf("test accuracy: %.4f%n", e.accuracy());
 * }
 * }</pre>
 */
public final class Evaluator implements AutoCloseable {
    /** Rows per chunk: big enough for the forward kernel's packed path (128 rows and up). */
    static final int CHUNK = 256;

    private final Model model;
    private final WorkerPool pool;
    private final boolean ownsPool;
    private final Workspace[] ws;
    private Dataset data;
    private int[] order;
    private double[] chunkLoss;
    private int[] chunkCorrect;
    private final WorkerPool.Job job = this::runThread;

    /** An evaluator with its own {@code threads} threads (the caller's included). */
    public Evaluator(Model model, int threads) {
        this(model, new WorkerPool(threads, "vecmlp-eval"), true);
    }

    Evaluator(Model model, WorkerPool pool, boolean ownsPool) {
        this.model = Objects.requireNonNull(model, "model");
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.ws = new Workspace[pool.threads()];
        try {
            for (int t = 0; t < ws.length; t++) {
                ws[t] = model.workspace(CHUNK);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
    }

    /** Loss and accuracy of the model on every row of {@code data}. */
    public Evaluation evaluate(Dataset data) {
        Objects.requireNonNull(data, "data");
        checkFits(model, data);
        if (data.size() == 0) {
            throw new IllegalArgumentException(data.name() + ": expected at least one row to evaluate, found none");
        }
        int chunks = (data.size() + CHUNK - 1) / CHUNK;
        this.data = data;
        this.order = identity(data.size());
        this.chunkLoss = new double[chunks];
        this.chunkCorrect = new int[chunks];
        try {
            pool.run(job, ws.length);
            double loss = 0;
            long correct = 0;
            for (int c = 0; c < chunks; c++) {
                loss += chunkLoss[c];
                correct += chunkCorrect[c];
            }
            double accuracy = data.isClassification() ? (double) correct / data.size() : Double.NaN;
            return new Evaluation(loss / data.size(), accuracy, data.size());
        } finally {
            this.data = null;
            this.order = null;
        }
    }

    private void runThread(int thread, int threads) {
        Workspace w = ws[thread];
        for (int c = thread; c < chunkLoss.length; c += threads) {
            int from = c * CHUNK;
            int rows = Math.min(CHUNK, data.size() - from);
            data.copyBatch(order, from, rows, w.inputs(), w.targets());
            chunkLoss[c] = model.lossSum(w, rows);
            chunkCorrect[c] = data.isClassification() ? countCorrect(data, order, from, rows, w.outputs()) : 0;
        }
    }

    /** How many of rows {@code order[from ..]} the outputs classify right (argmax, or > 0.5 for one output). */
    static int countCorrect(Dataset data, int[] order, int from, int rows, Matrix y) {
        int correct = 0;
        int cols = y.cols();
        for (int r = 0; r < rows; r++) {
            int predicted;
            if (cols == 1) {
                predicted = y.get(r, 0) > 0.5f ? 1 : 0;
            } else {
                predicted = 0;
                float best = y.get(r, 0);
                for (int c = 1; c < cols; c++) {
                    float v = y.get(r, c);
                    if (v > best) {
                        best = v;
                        predicted = c;
                    }
                }
            }
            if (predicted == data.label(order[from + r])) {
                correct++;
            }
        }
        return correct;
    }

    /** Frees the workspaces, and the threads if they are this evaluator's own. */
    @Override
    public void close() {
        for (Workspace w : ws) {
            if (w != null) {
                w.close();
            }
        }
        if (ownsPool) {
            pool.close();
        }
    }

    /** The rows 0 to n - 1 in order. */
    static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** Throws unless the model's inputs and outputs fit the data set. */
    static void checkFits(Model model, Dataset data) {
        if (data.features() != model.spec().inputs()) {
            throw new IllegalArgumentException(data.name() + ": the network expects " + model.spec().inputs()
                    + " input features per row, found " + data.features());
        }
        String why = data.targetMismatch(model.spec().outputs());
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
    }
}
