package dev.vecmlp.nn;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import dev.vecmlp.kernel.ForwardKernels;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.kernel.Pointwise;
import dev.vecmlp.memory.Matrix;

/**
 * The lecture's computation graph for one {@link Mlp}, fixed when the model is built: a list of
 * fused steps in topological order for the forward pass and in reverse order for the backward
 * pass. Each step is one kernel call (or two for the loss) over a {@link Workspace}; the plan holds
 * no memory of its own, so one plan serves every thread. It is built from what it runs on (the
 * layout, the kernels, the parameter and gradient segments), not from the model that owns
 * them, so it needs nothing above it.
 *
 * <pre>
 * forward, l = 0..L-1:  Z_l = H_{l-1} W_lᵀ + b_l, H_l = φ_l(Z_l)       (H_{-1} = X)
 * loss:                 L = mean loss(H_{L-1}, T) + λ/2 Σ‖W‖²,  Z̄_{L-1} = ∂L/∂H ∘ φ'(Z_{L-1})
 * backward, l = L-1..0: W̄_l = Z̄_lᵀ H_{l-1} + λW_l
 *                       b̄_l = column sums of Z̄_l
 *                       Z̄_{l-1} = (Z̄_l W_l) ∘ φ'_{l-1}(Z_{l-1})       (not for l = 0)
 * </pre>
 * No Jacobian is ever formed: each backward step is a vector-Jacobian product.
 */
public final class Plan {
    /** What a step computes. */
    public enum Kind {
        /** Z_l = H_{l-1} W_lᵀ + b_l and H_l = φ_l(Z_l): one NT product with fused epilogue. */
        DENSE,
        /** The loss and its error signal at the last layer. */
        LOSS,
        /** W̄_l = Z̄_lᵀ H_{l-1} (+ λW_l): a TN product, an outer product at batch 1. */
        WEIGHT_GRADIENT,
        /** b̄_l = column sums of Z̄_l. */
        BIAS_GRADIENT,
        /** Z̄_{l-1} = (Z̄_l W_l) ∘ φ'(Z_{l-1}): an NN product with the derivative fused. */
        INPUT_GRADIENT
    }

    /**
     * One step of the plan.
     *
     * @param kind  what it computes
     * @param layer the layer it belongs to (the last layer for {@link Kind#LOSS})
     */
    public record Step(Kind kind, int layer) {
        @Override
        public String toString() {
            return kind.name().toLowerCase().replace('_', ' ') + " " + layer;
        }
    }

    private final Mlp spec;
    private final ParameterLayout layout;
    private final Kernels kernels;
    private final MemorySegment parameters;
    private final MemorySegment gradients;
    private final List<Step> forward;
    private final List<Step> backward;

    /**
     * A plan for {@code spec} over parameters and gradients laid out by {@code layout}; the
     * segments are the owner's slabs, so they stop working when it closes them.
     */
    Plan(Mlp spec, ParameterLayout layout, Kernels kernels, MemorySegment parameters, MemorySegment gradients) {
        this.spec = spec;
        this.layout = layout;
        this.kernels = kernels;
        this.parameters = parameters;
        this.gradients = gradients;
        List<Step> fwd = new ArrayList<>();
        for (int l = 0; l < spec.depth(); l++) {
            fwd.add(new Step(Kind.DENSE, l));
        }
        fwd.add(new Step(Kind.LOSS, spec.depth() - 1));
        List<Step> bwd = new ArrayList<>();
        for (int l = spec.depth() - 1; l >= 0; l--) {
            bwd.add(new Step(Kind.WEIGHT_GRADIENT, l));
            bwd.add(new Step(Kind.BIAS_GRADIENT, l));
            if (l > 0) {
                bwd.add(new Step(Kind.INPUT_GRADIENT, l));
            }
        }
        this.forward = List.copyOf(fwd);
        this.backward = List.copyOf(bwd);
    }

    /** The forward steps, dense layers first to last, then the loss. */
    public List<Step> forwardSteps() {
        return forward;
    }

    /** The backward steps, last layer first. */
    public List<Step> backwardSteps() {
        return backward;
    }

    /**
     * Runs one step for a batch of {@code batch} rows already in {@code ws}.
     *
     * @return the loss for a {@link Kind#LOSS} step, else 0
     */
    public double execute(Step step, Workspace ws, int batch) {
        return switch (step.kind()) {
            case DENSE -> {
                dense(ws, step.layer(), batch, kernels);
                yield 0.0;
            }
            case LOSS -> loss(ws, batch);
            case WEIGHT_GRADIENT -> {
                weightGradient(ws, step.layer(), batch, gradients, spec.l2());
                yield 0.0;
            }
            case BIAS_GRADIENT -> {
                biasGradient(ws, step.layer(), batch, gradients);
                yield 0.0;
            }
            case INPUT_GRADIENT -> {
                inputGradient(ws, step.layer(), batch);
                yield 0.0;
            }
        };
    }

    /** All dense steps: the network's output for the batch, no loss. */
    void predict(Workspace ws, int batch) {
        predict(ws, batch, kernels);
    }

    /** All dense steps on {@code forward}: the plan's kernels, or their twin (the same bits). */
    void predict(Workspace ws, int batch, ForwardKernels forward) {
        for (int l = 0; l < spec.depth(); l++) {
            dense(ws, l, batch, forward);
        }
    }

    /** Dense steps and the loss (with the error signal at the last layer). */
    double forward(Workspace ws, int batch) {
        predict(ws, batch);
        return loss(ws, batch);
    }

    /** The backward steps, after {@link #forward}, into the owner's gradients. */
    void backward(Workspace ws, int batch) {
        backward(ws, batch, gradients, spec.l2());
    }

    /**
     * Dense steps and the loss terms of a shard of {@code rows} rows out of a batch of
     * {@code batchTotal}: error signals scaled by {@code 1 / batchTotal}.
     *
     * @return the sum of the shard's row losses
     */
    double forwardShard(Workspace ws, int rows, int batchTotal) {
        predict(ws, rows);
        return lossSum(ws, rows, 1f / batchTotal);
    }

    /** The backward steps into {@code gradients}, adding {@code lambda · W} to each weight gradient. */
    void backward(Workspace ws, int batch, MemorySegment gradients, float lambda) {
        for (int l = spec.depth() - 1; l >= 0; l--) {
            weightGradient(ws, l, batch, gradients, lambda);
            biasGradient(ws, l, batch, gradients);
            if (l > 0) {
                inputGradient(ws, l, batch);
            }
        }
    }

    private static Matrix layerInput(Workspace ws, int l) {
        return l == 0 ? ws.inputView() : ws.h(l - 1);
    }

    /** Σ‖W_l‖² over all weight matrices (not the biases). */
    double sumOfSquaredWeights() {
        double s = 0;
        for (int l = 0; l < spec.depth(); l++) {
            // The padding is zero, so the whole padded block gives the same sum in one flat loop.
            s += kernels.sumOfSquares((long) spec.layer(l).outputs() * layout.weightStride(l), parameters, layout.weightOffset(l));
        }
        return s;
    }

    private void dense(Workspace ws, int l, int batch, ForwardKernels forward) {
        Layer layer = spec.layer(l);
        Matrix x = layerInput(ws, l), z = ws.z(l), h = ws.h(l);
        MemorySegment p = parameters;
        ParameterLayout pl = layout;
        forward.matmulNT(batch, layer.outputs(), layer.inputs(),
                x.segment(), x.offset(), x.stride(),
                p, pl.weightOffset(l), pl.weightStride(l),
                p, pl.biasOffset(l),
                layer.activation().pointwise(),
                z.segment(), z.offset(), z.stride(),
                h.segment(), h.offset(), h.stride(),
                ws.scratchFloats() > 0 ? ws.segment() : null, ws.scratchOffset());
    }

    private double loss(Workspace ws, int batch) {
        double loss = lossSum(ws, batch, 1f / batch) / batch;
        if (spec.l2() != 0f) {
            loss += 0.5 * spec.l2() * sumOfSquaredWeights();
        }
        return loss;
    }

    /** The sum of the row losses; leaves the error signal, scaled by {@code scale}, at the last layer. */
    private double lossSum(Workspace ws, int batch, float scale) {
        int last = spec.depth() - 1;
        Layer layer = spec.layer(last);
        Matrix z = ws.z(last), h = ws.h(last), t = ws.targetView(), g = ws.g(last);
        Kernels k = kernels;
        double sum = switch (spec.loss()) {
            case SQUARED_ERROR -> k.squaredError(batch, layer.outputs(), h.segment(), h.offset(), h.stride(),
                    t.segment(), t.offset(), t.stride(), scale, g.segment(), g.offset(), g.stride());
            case SOFTMAX_CROSS_ENTROPY -> k.softmaxCrossEntropy(batch, layer.outputs(), h.segment(), h.offset(), h.stride(),
                    t.segment(), t.offset(), t.stride(), scale, g.segment(), g.offset(), g.stride());
        };
        Pointwise f = layer.activation().pointwise();
        if (f != Pointwise.LINEAR) {
            k.multiplyDerivative(f, batch, layer.outputs(), z.segment(), z.offset(), z.stride(),
                    h.segment(), h.offset(), h.stride(), g.segment(), g.offset(), g.stride());
        }
        return sum;
    }

    private void weightGradient(Workspace ws, int l, int batch, MemorySegment d, float lambda) {
        Layer layer = spec.layer(l);
        Matrix x = layerInput(ws, l), g = ws.g(l);
        MemorySegment p = parameters;
        ParameterLayout pl = layout;
        long w = pl.weightOffset(l);
        int ldw = pl.weightStride(l);
        if (batch == 1) {
            kernels.outer(layer.outputs(), layer.inputs(), g.segment(), g.offset(), x.segment(), x.offset(),
                    lambda, p, w, ldw, d, w, ldw);
        } else {
            kernels.matmulTN(layer.outputs(), layer.inputs(), batch,
                    g.segment(), g.offset(), g.stride(),
                    x.segment(), x.offset(), x.stride(),
                    lambda, p, w, ldw, d, w, ldw);
        }
    }

    private void biasGradient(Workspace ws, int l, int batch, MemorySegment d) {
        Matrix g = ws.g(l);
        kernels.columnSums(batch, spec.layer(l).outputs(), g.segment(), g.offset(), g.stride(),
                d, layout.biasOffset(l));
    }

    private void inputGradient(Workspace ws, int l, int batch) {
        Layer layer = spec.layer(l);
        Matrix g = ws.g(l), gPrev = ws.g(l - 1), zPrev = ws.z(l - 1), hPrev = ws.h(l - 1);
        kernels.matmulNN(batch, layer.inputs(), layer.outputs(),
                g.segment(), g.offset(), g.stride(),
                parameters, layout.weightOffset(l), layout.weightStride(l),
                spec.layer(l - 1).activation().pointwise(),
                zPrev.segment(), zPrev.offset(), zPrev.stride(),
                hPrev.segment(), hPrev.offset(), hPrev.stride(),
                gPrev.segment(), gPrev.offset(), gPrev.stride());
    }
}
