package dev.vecmlp.perf;

import dev.vecmlp.nn.Mlp;

/**
 * The lecture's cost model of a pass: one multiply-add (MAC) per weight per row forward, two
 * backward (the weight gradient W̄_l = Z̄_lᵀ H_{l-1}, and the input gradient Z̄_l W_l for every
 * layer but the first, whose input gradient nobody needs). Biases, activations, their
 * derivatives and the loss are left out, as the lecture leaves them out.
 *
 * <pre>
 * forward MACs  = Σ_l in_l·out_l
 * backward MACs = Σ_l in_l·out_l + Σ_{l≥1} in_l·out_l      (layers counted from 0)
 * ratio         = backward / forward = (2L − 1) / L for L equal layers
 * </pre>
 * Network A: forward 668,672 MACs a row, backward 935,936, ratio 1.400.
 */
public final class FlopModel {
    private FlopModel() {
    }

    /** MACs of layer {@code l}'s product, per row: {@code in · out}, one per weight. */
    public static long layerMacs(Mlp spec, int l) {
        return spec.layer(l).weightCount();
    }

    /** Forward MACs per row: one per weight ({@link Mlp#forwardMultiplyAdds}). */
    public static long forwardMacs(Mlp spec) {
        return spec.forwardMultiplyAdds();
    }

    /** Backward MACs per row: every weight gradient, and the input gradient of every layer but the first. */
    public static long backwardMacs(Mlp spec) {
        long s = forwardMacs(spec);
        for (int l = 1; l < spec.depth(); l++) {
            s += layerMacs(spec, l);
        }
        return s;
    }

    /** The ratio backward / forward the model predicts. */
    public static double predictedRatio(Mlp spec) {
        return (double) backwardMacs(spec) / forwardMacs(spec);
    }

    /** GFLOP/s of {@code macsPerRow} MACs per row over {@code batch} rows in {@code micros} µs (2 FLOPs a MAC). */
    public static double gflops(long macsPerRow, int batch, double micros) {
        return 2.0 * macsPerRow * batch / (micros * 1e3);
    }
}
