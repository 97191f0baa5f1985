package dev.vecmlp.nn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

import dev.vecmlp.memory.Matrix;

/**
 * Runs a {@link Model} forward for inference: one predictor per thread, over the model's shared
 * parameters, with its own preallocated workspace, so a call allocates nothing.
 *
 * <p>Outputs are the last layer's activations: for a softmax cross-entropy model, the logits
 * (softmax is monotone, so {@link #classify} needs no exponentials).
 *
 * <pre>{@code
 * try (Predictor p = model.predictor(1)) {
 *     float[] scores = new float[10];
 *     p.predict(pixels, scores);     // pixels.length == 784
 *     int digit = p.classify(pixels);
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    private final Model model;
    private final Workspace ws;
    private final int inputs;
    private final int outputs;

    Predictor(Model model, int maxBatch) {
        this.model = model;
        this.ws = new Workspace(model.spec(), model.kernels(), maxBatch, false, null);
        this.inputs = model.spec().inputs();
        this.outputs = model.spec().outputs();
    }

    public Model model() {
        return model;
    }

    public int maxBatch() {
        return ws.maxBatch();
    }

    /**
     * Predicts a batch given row-major without padding: {@code input.length = batch * inputs},
     * {@code output.length = batch * outputs}.
     */
    public void predict(float[] input, float[] output) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        int batch = batchOf(input.length);
        if (output.length != (long) batch * outputs) {
            throw new IllegalArgumentException("output: expected " + ((long) batch * outputs) + " floats (" + batch
                    + " rows x " + outputs + "), found " + output.length);
        }
        ensureOpen();
        ws.inputView().copyRowsFrom(input, 0, batch);
        model.plan().predict(model, ws, batch);
        ws.h(model.spec().depth() - 1).copyRowsTo(output, 0, batch);
    }

    /**
     * Predicts {@code batch} rows of native-order floats, row-major without padding, from
     * {@code input} into {@code output}.
     */
    public void predict(MemorySegment input, MemorySegment output, int batch) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        ws.checkBatch(batch);
        checkSegment("input", input, (long) batch * inputs);
        checkSegment("output", output, (long) batch * outputs);
        ensureOpen();
        Matrix x = ws.inputView();
        long rowBytes = (long) inputs * Float.BYTES;
        for (int r = 0; r < batch; r++) {
            MemorySegment.copy(input, r * rowBytes, x.segment(), (x.offset() + (long) r * x.stride()) * Float.BYTES, rowBytes);
        }
        model.plan().predict(model, ws, batch);
        Matrix y = ws.h(model.spec().depth() - 1);
        long outBytes = (long) outputs * Float.BYTES;
        for (int r = 0; r < batch; r++) {
            MemorySegment.copy(y.segment(), (y.offset() + (long) r * y.stride()) * Float.BYTES, output, r * outBytes, outBytes);
        }
    }

    /** The index of the largest output for one example ({@code input.length == inputs}). */
    public int classify(float[] input) {
        Objects.requireNonNull(input, "input");
        if (input.length != inputs) {
            throw new IllegalArgumentException("input: expected " + inputs + " floats (one example), found " + input.length);
        }
        ensureOpen();
        ws.inputView().copyRowsFrom(input, 0, 1);
        model.plan().predict(model, ws, 1);
        Matrix y = ws.h(model.spec().depth() - 1);
        int best = 0;
        float bestValue = y.get(0, 0);
        for (int c = 1; c < outputs; c++) {
            float v = y.get(0, c);
            if (v > bestValue) {
                best = c;
                bestValue = v;
            }
        }
        return best;
    }

    private int batchOf(int length) {
        if (length == 0 || length % inputs != 0) {
            throw new IllegalArgumentException("input: expected a positive multiple of " + inputs
                    + " floats (rows of " + inputs + " features), found " + length);
        }
        int batch = length / inputs;
        ws.checkBatch(batch);
        return batch;
    }

    private static void checkSegment(String what, MemorySegment s, long floats) {
        if (s.byteSize() < floats * Float.BYTES) {
            throw new IllegalArgumentException(what + ": expected at least " + floats + " floats (" + (floats * Float.BYTES)
                    + " bytes), found a segment of " + s.byteSize() + " bytes");
        }
        if (s.isNative() && s.address() % ValueLayout.JAVA_FLOAT.byteAlignment() != 0) {
            throw new IllegalArgumentException(what + ": expected a float-aligned segment, found address " + s.address());
        }
    }

    private void ensureOpen() {
        if (ws.isClosed()) {
            throw new IllegalStateException("predictor for " + model.spec() + ": closed; it can no longer be used");
        }
        model.ensureOpen();
    }

    /** Frees the workspace, and lets the model close once nothing else of it is open. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (ws.isClosed()) {
                return;
            }
            ws.close();
        }
        model.released(true);
    }
}
