package dev.vecmlp.nn;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;

/**
 * The per-thread memory of a pass through a network, allocated once for a maximum batch: the
 * input X, and for every layer its pre-activation Z, activation H and (when training) error signal
 * Z̄, plus the targets, and the scratch the forward kernel asks for. All batch-major, rows padded
 * to 16 floats, in one slab.
 *
 * <p>A workspace belongs to one thread at a time. Many workspaces may share one model, and the
 * model that made it cannot be closed while it is open: the workspace tells it when it closes,
 * through the callback it was made with, and knows nothing else of it.
 *
 * <pre>{@code
 * try (Workspace ws = model.workspace(64)) {
 *     ws.setInputs(x, 64);
 *     ws.setLabels(labels, 64);
 *     double loss = model.forwardBackward(ws, 64);   // gradients now in model.gradients()
 * }
 * }</pre>
 */
public final class Workspace implements AutoCloseable {
    private final Mlp spec;
    private final int maxBatch;
    private final boolean training;
    private final Slab slab;
    /** What to tell the model that made it when this closes, or null for a predictor's own workspace. */
    private final Runnable onClose;
    private final MemorySegment seg;
    private final Matrix input;
    private final Matrix[] z;
    private final Matrix[] h;
    private final Matrix[] g;
    private final Matrix targets;
    private final long scratchOffset;
    private final long scratchFloats;

    Workspace(Mlp spec, Kernels kernels, int maxBatch, boolean training, Runnable onClose) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("workspace: expected a maximum batch >= 1, found " + maxBatch);
        }
        this.spec = spec;
        this.maxBatch = maxBatch;
        this.training = training;
        this.onClose = onClose;
        int depth = spec.depth();
        long floats = (long) maxBatch * Matrix.paddedStride(spec.inputs());
        for (Layer layer : spec.layers()) {
            floats += (long) maxBatch * Matrix.paddedStride(layer.outputs()) * (training ? 3 : 2);
        }
        if (training) {
            floats += (long) maxBatch * Matrix.paddedStride(spec.outputs());
        }
        long scratch = 0;
        for (Layer layer : spec.layers()) {
            scratch = Math.max(scratch, kernels.scratchFloatsNT(maxBatch, layer.outputs(), layer.inputs()));
        }
        // The scratch comes last; every block before it is a whole number of padded rows, so it
        // starts 64-byte aligned like them.
        floats += scratch;
        this.scratchFloats = scratch;
        this.slab = Slab.allocate("workspace(" + spec + ", batch " + maxBatch + ")", floats);
        this.seg = slab.segment();
        long at = 0;
        input = slab.matrix(at, maxBatch, spec.inputs());
        at += input.extentFloats();
        z = new Matrix[depth];
        h = new Matrix[depth];
        g = new Matrix[depth];
        for (int l = 0; l < depth; l++) {
            int width = spec.layer(l).outputs();
            z[l] = slab.matrix(at, maxBatch, width);
            at += z[l].extentFloats();
            h[l] = slab.matrix(at, maxBatch, width);
            at += h[l].extentFloats();
            if (training) {
                g[l] = slab.matrix(at, maxBatch, width);
                at += g[l].extentFloats();
            }
        }
        targets = training ? slab.matrix(at, maxBatch, spec.outputs()) : null;
        if (training) {
            at += targets.extentFloats();
        }
        scratchOffset = at;
    }

    /** The network this workspace was made for. */
    public Mlp spec() {
        return spec;
    }

    /** The largest batch a pass through this workspace may have. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Whether it has room for error signals and targets (made by the model's {@code workspace(maxBatch)}). */
    public boolean isTraining() {
        return training;
    }

    /** The input X, {@code maxBatch x inputs}. */
    public Matrix inputs() {
        ensureOpen();
        return input;
    }

    /** The targets T, {@code maxBatch x outputs}. */
    public Matrix targets() {
        ensureOpen();
        requireTraining("targets");
        return targets;
    }

    /** Pre-activation Z of layer {@code l}. */
    public Matrix preActivation(int l) {
        ensureOpen();
        return z[checkLayer(l)];
    }

    /** Activation H = φ(Z) of layer {@code l}; for the last layer, the network's output. */
    public Matrix activation(int l) {
        ensureOpen();
        return h[checkLayer(l)];
    }

    /** The network's output, the activation of the last layer. */
    public Matrix outputs() {
        return activation(spec.depth() - 1);
    }

    /** Error signal Z̄ = ∂loss/∂Z of layer {@code l}, valid after a backward pass. */
    public Matrix errorSignal(int l) {
        ensureOpen();
        requireTraining("error signals");
        return g[checkLayer(l)];
    }

    /** Copies {@code batch} rows of inputs, row-major without padding ({@code x.length == batch * inputs}). */
    public void setInputs(float[] x, int batch) {
        Objects.requireNonNull(x, "inputs");
        checkBatch(batch);
        checkLength("inputs", x, batch, spec.inputs());
        inputs().copyRowsFrom(x, 0, batch);
    }

    /** Copies {@code batch} rows of targets ({@code t.length == batch * outputs}). */
    public void setTargets(float[] t, int batch) {
        Objects.requireNonNull(t, "targets");
        checkBatch(batch);
        checkLength("targets", t, batch, spec.outputs());
        targets().copyRowsFrom(t, 0, batch);
    }

    /** Sets one-hot targets from class labels in {@code [0, outputs)}. */
    public void setLabels(int[] labels, int batch) {
        checkBatch(batch);
        checkLabels(labels, batch);
        setLabelRows(labels, 0, batch);
    }

    /** Throws unless {@code labels} holds exactly {@code batch} labels. */
    static void checkLabels(int[] labels, int batch) {
        Objects.requireNonNull(labels, "labels");
        if (labels.length != batch) {
            throw new IllegalArgumentException("labels: expected " + batch + " labels for a batch of " + batch
                    + ", found " + labels.length);
        }
    }

    /**
     * One-hot targets for rows {@code [0, rows)} from {@code labels[from, from + rows)}; an
     * invalid label is named by its index in {@code labels}.
     */
    void setLabelRows(int[] labels, int from, int rows) {
        Matrix tm = targets();
        int classes = spec.outputs();
        for (int r = 0; r < rows; r++) {
            int label = labels[from + r];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("labels: expected a class in [0, " + classes + ") at row "
                        + (from + r) + ", found " + label);
            }
            for (int c = 0; c < classes; c++) {
                tm.set(r, c, c == label ? 1f : 0f);
            }
        }
    }

    MemorySegment segment() {
        return seg;
    }

    Matrix inputView() {
        return input;
    }

    Matrix z(int l) {
        return z[l];
    }

    Matrix h(int l) {
        return h[l];
    }

    Matrix g(int l) {
        return g[l];
    }

    Matrix targetView() {
        return targets;
    }

    /** Float offset of the forward kernel's scratch in {@link #segment()}. */
    long scratchOffset() {
        return scratchOffset;
    }

    /** Floats of scratch (0 when the kernels want none). */
    long scratchFloats() {
        return scratchFloats;
    }

    void ensureOpen() {
        if (slab.isClosed()) {
            throw new IllegalStateException("workspace for " + spec + ": closed; it can no longer be used");
        }
    }

    boolean isClosed() {
        return slab.isClosed();
    }

    /** Throws unless {@code 1 <= batch <= maxBatch}. */
    void checkBatch(int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch: expected 1 to " + maxBatch + " rows (the workspace's maximum), found " + batch);
        }
    }

    private void requireTraining(String what) {
        if (!training) {
            throw new IllegalStateException("this workspace was made for inference and has no " + what
                    + "; use Model.workspace(maxBatch) for training");
        }
    }

    private int checkLayer(int l) {
        if (l < 0 || l >= spec.depth()) {
            throw new IndexOutOfBoundsException("layer: expected 0 to " + (spec.depth() - 1) + ", found " + l);
        }
        return l;
    }

    private static void checkLength(String what, float[] a, int batch, int width) {
        long expected = (long) batch * width;
        if (a.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " floats (" + batch + " rows x " + width
                    + "), found " + a.length);
        }
    }

    /** Frees the memory, and lets the model that made it close once nothing else of it is open. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (slab.isClosed()) {
                return;
            }
            slab.close();
        }
        if (onClose != null) {
            onClose.run();
        }
    }
}
