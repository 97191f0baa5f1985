package dev.vecmlp.nn;

import java.util.Objects;
import java.util.SplittableRandom;

import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;

/**
 * The parameters of an {@link Mlp}, in one off-heap slab laid out by {@link ParameterLayout},
 * with a gradient slab of the same layout, and the {@link Plan} that runs the network over them.
 *
 * <p>Parameters are read-only during a pass, so one model may serve many threads at once, each
 * through its own {@link Predictor} or {@link Workspace}. {@link #forwardBackward} writes the
 * model's one gradient slab, so training runs one backward pass at a time per model.
 *
 * <p>The model counts the predictors and workspaces it has made and not yet seen closed, and
 * {@link #close()} refuses while any is open: a predictor in use on another thread never finds
 * the parameters freed under it. Close them first, as try-with-resources does when they are
 * declared after the model.
 *
 * <pre>{@code
 * try (Model model = spec.init(42L);
 *      Predictor p = model.predictor(1)) {
 *     p.predict(pixels, scores);
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    private final Mlp spec;
    private final Kernels kernels;
    private final ParameterLayout layout;
    private final Plan plan;
    private final Slab parameters;
    private final Slab gradients;
    /** Guards the counts below and the closing of the slabs, so no predictor is made during a close. */
    private final Object lifecycle = new Object();
    private int openPredictors;
    private int openWorkspaces;

    Model(Mlp spec, Kernels kernels) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.layout = new ParameterLayout(spec);
        this.parameters = Slab.allocate("parameters(" + spec + ")", layout.totalFloats());
        Slab g;
        try {
            g = Slab.allocate("gradients(" + spec + ")", layout.totalFloats());
        } catch (RuntimeException | OutOfMemoryError e) {
            parameters.close();
            throw e;
        }
        this.gradients = g;
        this.plan = new Plan(spec, layout, kernels, parameters.segment(), gradients.segment());
    }

    /** Draws the weights (He or Glorot per layer) from a generator seeded with {@code seed}; biases 0. */
    void initialize(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            Matrix w = weights(l);
            boolean he = layer.activation().usesHeInit();
            double scale = he ? Math.sqrt(2.0 / layer.inputs()) : Math.sqrt(6.0 / (layer.inputs() + layer.outputs()));
            for (int r = 0; r < layer.outputs(); r++) {
                for (int c = 0; c < layer.inputs(); c++) {
                    double v = he ? rng.nextGaussian() * scale : (2 * rng.nextDouble() - 1) * scale;
                    w.set(r, c, (float) v);
                }
            }
            bias(l).fill(0f);
        }
    }

    public Mlp spec() {
        return spec;
    }

    public Kernels kernels() {
        return kernels;
    }

    public ParameterLayout layout() {
        return layout;
    }

    public Plan plan() {
        return plan;
    }

    /** The parameter slab: {@code [W0 | b0 | W1 | b1 | ...]}. */
    public Slab parameters() {
        ensureOpen();
        return parameters;
    }

    /** The gradient slab, same layout as {@link #parameters()}, written by {@link #forwardBackward}. */
    public Slab gradients() {
        ensureOpen();
        return gradients;
    }

    /** Layer {@code l}'s weights {@code [outputs][inputs]} as a view into the parameter slab. */
    public Matrix weights(int l) {
        Layer layer = spec.layer(checkLayer(l));
        return parameters().matrix(layout.weightOffset(l), layer.outputs(), layer.inputs(), layout.weightStride(l));
    }

    /** Layer {@code l}'s bias as a 1 x outputs view. */
    public Matrix bias(int l) {
        return parameters().matrix(layout.biasOffset(checkLayer(l)), 1, spec.layer(l).outputs());
    }

    /** The gradient of layer {@code l}'s weights. */
    public Matrix weightGradient(int l) {
        Layer layer = spec.layer(checkLayer(l));
        return gradients().matrix(layout.weightOffset(l), layer.outputs(), layer.inputs(), layout.weightStride(l));
    }

    /** The gradient of layer {@code l}'s bias, 1 x outputs. */
    public Matrix biasGradient(int l) {
        return gradients().matrix(layout.biasOffset(checkLayer(l)), 1, spec.layer(l).outputs());
    }

    /** Sets one weight. Rejects NaN and infinities. */
    public void setWeight(int l, int row, int col, float value) {
        Matrix w = weights(l);
        checkIndex("row", row, w.rows(), l);
        checkIndex("column", col, w.cols(), l);
        checkFinite(value, "layer " + l + " weight [" + row + "][" + col + "]");
        w.set(row, col, value);
    }

    /** Sets one bias. Rejects NaN and infinities. */
    public void setBias(int l, int unit, float value) {
        Matrix b = bias(l);
        checkIndex("unit", unit, b.cols(), l);
        checkFinite(value, "layer " + l + " bias [" + unit + "]");
        b.set(0, unit, value);
    }

    /**
     * All parameters in PyTorch's order: W0 row-major, b0, W1, b1, ... ({@link Mlp#parameterCount()} floats).
     */
    public float[] parametersToArray() {
        return toArray(parameters());
    }

    /** All gradients, in the order of {@link #parametersToArray()}. */
    public float[] gradientsToArray() {
        return toArray(gradients());
    }

    /**
     * Replaces all parameters from an array in the order of {@link #parametersToArray()}. The
     * array is checked whole first: on a wrong length or a NaN or infinite value nothing changes.
     */
    public void setParameters(float[] values) {
        Objects.requireNonNull(values, "values");
        long expected = spec.parameterCount();
        if (values.length != expected) {
            throw new IllegalArgumentException("parameters: expected " + expected + " floats for " + spec
                    + ", found " + values.length);
        }
        // The place is put into words only for a value that fails: building it for every value
        // took 139 ms for network A in a fresh JVM, a third of reading its model file.
        int at = 0;
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            int weights = layer.outputs() * layer.inputs();
            int bad = firstNonFinite(values, at, weights);
            if (bad >= 0) {
                checkFinite(values[at + bad],
                        "layer " + l + " weight [" + bad / layer.inputs() + "][" + bad % layer.inputs() + "]");
            }
            at += weights;
            bad = firstNonFinite(values, at, layer.outputs());
            if (bad >= 0) {
                checkFinite(values[at + bad], "layer " + l + " bias [" + bad + "]");
            }
            at += layer.outputs();
        }
        fromArray(values, parameters());
    }

    /**
     * A slab of this model's layout ({@link #parameters()}, {@link #gradients()}, one from
     * {@link #newParameterSlab}: an optimizer's state) as an array in the order of
     * {@link #parametersToArray()}, without the layout's padding.
     */
    public float[] toArray(Slab slab) {
        checkLayout(slab);
        float[] out = new float[Math.toIntExact(spec.parameterCount())];
        int at = 0;
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            Matrix w = slab.matrix(layout.weightOffset(l), layer.outputs(), layer.inputs(), layout.weightStride(l));
            w.copyTo(out, at);
            at += layer.outputs() * layer.inputs();
            slab.matrix(layout.biasOffset(l), 1, layer.outputs()).copyTo(out, at);
            at += layer.outputs();
        }
        return out;
    }

    /**
     * The inverse of {@link #toArray}: {@code values}, in the order of {@link #parametersToArray()},
     * into {@code slab}, its padding zeroed. Values are copied as they are, not checked: a
     * gradient from elsewhere is checked by whoever applies it.
     */
    public void fromArray(float[] values, Slab slab) {
        Objects.requireNonNull(values, "values");
        checkLayout(slab);
        if (values.length != spec.parameterCount()) {
            throw new IllegalArgumentException("values: expected " + spec.parameterCount() + " floats for " + spec + ", found "
                    + values.length);
        }
        slab.clear();
        int at = 0;
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            slab.matrix(layout.weightOffset(l), layer.outputs(), layer.inputs(), layout.weightStride(l)).copyFrom(values, at);
            at += layer.outputs() * layer.inputs();
            slab.matrix(layout.biasOffset(l), 1, layer.outputs()).copyFrom(values, at);
            at += layer.outputs();
        }
    }

    private void checkLayout(Slab slab) {
        Objects.requireNonNull(slab, "slab");
        slab.ensureOpen();
        if (slab.floats() < layout.totalFloats()) {
            throw new IllegalArgumentException("slab: expected at least " + layout.totalFloats() + " floats (the parameter layout of "
                    + spec + "), found " + slab.floats());
        }
    }

    /**
     * A workspace for training passes of up to {@code maxBatch} rows. The model stays open until
     * it is closed ({@link #close()}).
     */
    public Workspace workspace(int maxBatch) {
        synchronized (lifecycle) {
            ensureOpen();
            Workspace ws = new Workspace(spec, kernels, maxBatch, true, () -> released(false));
            openWorkspaces++;
            return ws;
        }
    }

    /**
     * A predictor for batches of up to {@code maxBatch} rows, one per thread, that computes
     * inputs holding NaN or infinities and reports them ({@link Predictor.NonFiniteInput#REPORT}).
     * The model stays open until it is closed ({@link #close()}).
     */
    public Predictor predictor(int maxBatch) {
        return predictor(maxBatch, Predictor.NonFiniteInput.REPORT);
    }

    /**
     * A predictor for batches of up to {@code maxBatch} rows, one per thread, with the given
     * handling of inputs that hold NaN or infinities.
     *
     * <pre>{@code
     * try (Predictor p = model.predictor(1, Predictor.NonFiniteInput.REJECT)) {
     *     p.predict(pixels, scores);   // IllegalArgumentException naming the row and column of a NaN
     * }
     * }</pre>
     */
    public Predictor predictor(int maxBatch, Predictor.NonFiniteInput nonFinite) {
        Objects.requireNonNull(nonFinite, "nonFinite");
        return newPredictor(maxBatch, nonFinite, null);
    }

    /**
     * A predictor as {@link #predictor(int)} that splits batches of at least
     * {@link Predictor#SPLIT_MIN_ROWS} rows across {@code pool}'s threads, with the same results
     * bit for bit; batch 1 runs on the calling thread. The pool stays its maker's to close, after
     * the predictor.
     *
     * <pre>{@code
     * try (WorkerPool pool = new WorkerPool(WorkerPool.defaultThreads(), "predict");
     *      Predictor p = model.predictor(256, pool)) {
     *     p.predict(pixels, scores);
     * }
     * }</pre>
     */
    public Predictor predictor(int maxBatch, WorkerPool pool) {
        return predictor(maxBatch, Predictor.NonFiniteInput.REPORT, pool);
    }

    /** A predictor with the given handling of non-finite inputs that splits large batches across {@code pool}. */
    public Predictor predictor(int maxBatch, Predictor.NonFiniteInput nonFinite, WorkerPool pool) {
        Objects.requireNonNull(nonFinite, "nonFinite");
        Objects.requireNonNull(pool, "pool");
        return newPredictor(maxBatch, nonFinite, pool);
    }

    private Predictor newPredictor(int maxBatch, Predictor.NonFiniteInput nonFinite, WorkerPool pool) {
        synchronized (lifecycle) {
            ensureOpen();
            Predictor p = new Predictor(this, maxBatch, nonFinite, pool);
            openPredictors++;
            return p;
        }
    }

    /** Called once by each predictor and workspace this model made, when it is closed. */
    void released(boolean predictor) {
        synchronized (lifecycle) {
            if (predictor) {
                openPredictors--;
            } else {
                openWorkspaces--;
            }
        }
    }

    /**
     * The forward pass and the loss (averaged over the batch, plus the L2 term) for the first
     * {@code batch} rows of inputs and targets in {@code ws}. Leaves Z, H and the last layer's
     * error signal in {@code ws}; does not touch the gradients.
     */
    public double forward(Workspace ws, int batch) {
        checkWorkspace(ws, batch);
        return plan.forward(ws, batch);
    }

    /**
     * Forward and backward: returns the loss and writes the gradient of the loss with respect to
     * every parameter into {@link #gradients()} (overwriting it).
     */
    public double forwardBackward(Workspace ws, int batch) {
        checkWorkspace(ws, batch);
        double loss = plan.forward(ws, batch);
        plan.backward(ws, batch);
        return loss;
    }

    /**
     * The forward pass over the first {@code rows} rows of {@code ws} and the sum of their row
     * losses, without averaging and without the L2 term: what an evaluation over many batches
     * adds up. Leaves the outputs in {@code ws}; does not touch the gradients.
     */
    public double lossSum(Workspace ws, int rows) {
        checkWorkspace(ws, rows);
        return plan.forwardShard(ws, rows, rows);
    }

    /**
     * A new zeroed slab with the layout of {@link #gradients()}, for a shard of a data-parallel
     * step ({@link #forwardBackwardShard}) or for optimizer state. The caller closes it.
     */
    public Slab newParameterSlab(String name) {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        return Slab.allocate(name + "(" + spec + ")", layout.totalFloats());
    }

    /**
     * One shard of a data-parallel training step: forward and backward over the first
     * {@code rows} rows of {@code ws}, taken as part of a batch of {@code batchTotal} rows. The
     * error signals are scaled by {@code 1 / batchTotal}, so the gradients of a batch's shards
     * add up to the batch's gradient; the L2 term's gradient {@code λW} is added only when
     * {@code withPenalty} is set (set it for exactly one shard). Writes into {@code gradients}, a
     * slab from {@link #newParameterSlab} or {@link #gradients()}.
     *
     * <pre>{@code
     * double sum = model.forwardBackwardShard(ws0, 32, 64, true, model.gradients())
     *            + model.forwardBackwardShard(ws1, 32, 64, false, shard1);
     * // model.gradients() + shard1 = the gradient of the 64-row batch
     * }</pre>
     *
     * @return the sum of the shard's per-row losses (not averaged, without the L2 term)
     */
    public double forwardBackwardShard(Workspace ws, int rows, int batchTotal, boolean withPenalty, Slab gradients) {
        checkWorkspace(ws, rows);
        Objects.requireNonNull(gradients, "gradients");
        gradients.ensureOpen();
        if (gradients.floats() < layout.totalFloats()) {
            throw new IllegalArgumentException("gradients: expected a slab of at least " + layout.totalFloats()
                    + " floats (the parameter layout of " + spec + "), found " + gradients.floats());
        }
        if (batchTotal < rows) {
            throw new IllegalArgumentException("batchTotal: expected at least the shard's " + rows + " rows, found " + batchTotal);
        }
        double sum = plan.forwardShard(ws, rows, batchTotal);
        plan.backward(ws, rows, gradients.segment(), withPenalty ? spec.l2() : 0f);
        return sum;
    }

    /** Σ‖W_l‖² over all weight matrices (not the biases). */
    public double sumOfSquaredWeights() {
        ensureOpen();
        return plan.sumOfSquaredWeights();
    }

    void ensureOpen() {
        if (parameters.isClosed()) {
            throw new IllegalStateException("model " + spec + ": closed; it can no longer be used");
        }
    }

    boolean isClosed() {
        return parameters.isClosed();
    }

    private void checkWorkspace(Workspace ws, int batch) {
        ensureOpen();
        Objects.requireNonNull(ws, "workspace");
        ws.ensureOpen();
        if (!ws.spec().equals(spec)) {
            throw new IllegalArgumentException("workspace: expected one made for " + spec + ", found one for " + ws.spec());
        }
        if (!ws.isTraining()) {
            throw new IllegalArgumentException("workspace: expected a training workspace (Model.workspace), found a prediction one");
        }
        ws.checkBatch(batch);
    }

    private int checkLayer(int l) {
        if (l < 0 || l >= spec.depth()) {
            throw new IndexOutOfBoundsException("layer: expected 0 to " + (spec.depth() - 1) + ", found " + l);
        }
        return l;
    }

    private static void checkIndex(String what, int index, int size, int layer) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("layer " + layer + " " + what + ": expected 0 to " + (size - 1) + ", found " + index);
        }
    }

    /** The index of the first value of {@code values[from .. from+count)} that is not finite, or -1. */
    private static int firstNonFinite(float[] values, int from, int count) {
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(values[from + i])) {
                return i;
            }
        }
        return -1;
    }

    static void checkFinite(float v, String where) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(where + ": expected a finite value, found " + v);
        }
    }

    /**
     * Frees the parameter and gradient memory, once every predictor and workspace made by this
     * model has been closed. Idempotent.
     *
     * <pre>{@code
     * try (Model model = spec.init(42L);
     *      Predictor p = model.predictor(1)) {   // closed before the model
     *     p.predict(pixels, scores);
     * }
     * }</pre>
     *
     * @throws IllegalStateException if predictors or workspaces of this model are still open;
     *         the model then stays open and usable, and a later close succeeds once they are closed
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (parameters.isClosed()) {
                return;
            }
            if (openPredictors > 0 || openWorkspaces > 0) {
                throw new IllegalStateException("model " + spec + ": " + openText() + " still open; close them first");
            }
            parameters.close();
            gradients.close();
        }
    }

    private String openText() {
        String predictors = openPredictors + (openPredictors == 1 ? " predictor" : " predictors");
        String workspaces = openWorkspaces + (openWorkspaces == 1 ? " workspace" : " workspaces");
        if (openWorkspaces == 0) {
            return predictors;
        }
        return openPredictors == 0 ? workspaces : predictors + " and " + workspaces;
    }

    @Override
    public String toString() {
        return "Model[" + spec + ", " + kernels.name() + (isClosed() ? ", closed" : "") + "]";
    }
}
