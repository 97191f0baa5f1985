package dev.vecmlp.nn;

import dev.vecmlp.memory.Matrix;

/**
 * Where each layer's parameters live in the one parameter slab: {@code [W0 | b0 | W1 | b1 | ...]},
 * each weight matrix {@code [outputs][inputs]} with rows padded to {@link Matrix#PAD} floats and
 * each bias padded the same way, so every block starts on a 64-byte boundary. Gradients and
 * optimizer state use slabs of the same layout, so an update is one flat loop over the slab; the
 * padding is zero in all of them and stays zero.
 */
public final class ParameterLayout {
    private final long[] weightOffset;
    private final int[] weightStride;
    private final long[] biasOffset;
    private final long totalFloats;

    ParameterLayout(Mlp spec) {
        int depth = spec.depth();
        weightOffset = new long[depth];
        weightStride = new int[depth];
        biasOffset = new long[depth];
        long at = 0;
        for (int l = 0; l < depth; l++) {
            Layer layer = spec.layer(l);
            weightOffset[l] = at;
            weightStride[l] = Matrix.paddedStride(layer.inputs());
            at += (long) layer.outputs() * weightStride[l];
            biasOffset[l] = at;
            at += Matrix.paddedStride(layer.outputs());
        }
        totalFloats = at;
    }

    /** Float offset of layer {@code l}'s weight matrix. */
    public long weightOffset(int l) {
        return weightOffset[l];
    }

    /** Row stride of layer {@code l}'s weight matrix, in floats. */
    public int weightStride(int l) {
        return weightStride[l];
    }

    /** Float offset of layer {@code l}'s bias vector. */
    public long biasOffset(int l) {
        return biasOffset[l];
    }

    /** Size of a slab with this layout, padding included. */
    public long totalFloats() {
        return totalFloats;
    }
}
