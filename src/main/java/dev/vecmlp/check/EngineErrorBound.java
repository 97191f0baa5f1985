package dev.vecmlp.check;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * A first-order bound, per parameter, on how far a float32 engine's gradient may lie from the
 * float64 reference's when both start from the same float32 parameters and data: a running-error
 * analysis of the engine's computation, evaluated in double on the reference's values (a second
 * pass over absolute values alongside the reference's own).
 *
 * <p>With u = 2^-24 and γ_n = n·u / (1 − n·u), and δ· the bound on an engine value's error:
 * <ul>
 *   <li>a sum of n products in float32 (with or without FMA, in any order) errs by at most
 *       γ_n·Σ|terms|; an error already in an operand is carried by what multiplies it. So
 *       forward {@code δZ_l = γ_{k+1}·(|H_{l-1}||W_l|ᵀ + |b_l|) + δH_{l-1}|W_l|ᵀ} (k inputs, the
 *       bias being one more term), weight gradients {@code δW̄_l = γ_{B+1}·(|Z̄_l|ᵀ|H_{l-1}| +
 *       λ|W_l|) + δZ̄_lᵀ|H_{l-1}| + |Z̄_l|ᵀ δH_{l-1}} (B rows), bias gradients
 *       {@code δb̄_l = γ_B·Σ|Z̄_l| + Σ δZ̄_l}, and {@code δH̄_{l-1} = γ_n·|Z̄_l||W_l| + δZ̄_l|W_l|};
 *   <li>an activation passes an error on by its Lipschitz constant (1; ¼ for the logistic) and
 *       adds its own evaluation error: exp-, log1p- and tanh-based functions are allowed
 *       {@link #FUNCTION_U}·u of their value (1 ulp for the Vector API's transcendental lanes,
 *       the roundings around them, and the reference's side);
 *   <li>a jump (the hard threshold, ReLU's derivative) where |z| ≤ δz may land on either side
 *       in float32: the bound there is the jump, 1;
 *   <li>a derivative from h: {@code δ(h(1−h)) ≤ δh + 2u·φ'}, {@code δ(1−h²) ≤ 2|h|δh + u(h² + φ')};
 *       the softplus' derivative, the logistic of z, {@code ≤ ¼δz + FUNCTION_U·u·φ'}; the product
 *       with the incoming error signal rounds once more;
 *   <li>the loss's error signal: squared error {@code δG = (δy + u|y − t|)/B + 2u|G|} (the float
 *       scale 1/B and the product each round once); softmax cross-entropy
 *       {@code δp_j ≤ p_j·(2·max_row δy + (|y_j − max y| + 8)·u)} (the shift by the row maximum,
 *       exp, the inverse of the sum, the product with s), then
 *       {@code δG = (s·δp + 2u(s·p + |t|))/B + 2u|G|}.
 * </ul>
 * The absolute values are the reference's, not the engine's, so the bound is first order; the
 * check applies it with a safety factor ({@link GradientCheck#ENGINE_SAFETY}). The propagation
 * through the layers is the depth factor: each layer adds its own γ and carries the errors of
 * the layers before it. Every bound also gets {@link #FLOOR}, below which float32 results are
 * subnormal and meaningless to compare.
 */
final class EngineErrorBound {
    static final double U = 0x1p-24;
    /** Allowed relative error of exp-, log1p- and tanh-based functions, in units of u. */
    static final double FUNCTION_U = 8;
    /** An absolute floor per value: below the smallest normal float32. */
    static final double FLOOR = Float.MIN_NORMAL;

    private EngineErrorBound() {
    }

    static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    /** The bound for every parameter's gradient, in the order of the parameters. */
    static double[] compute(ReferenceNetwork net, Batch batch) {
        ReferenceNetwork.Trace t = net.trace(batch);
        Mlp spec = net.spec();
        double[] p = net.parameters();
        int rows = batch.rows(), depth = spec.depth();
        double[][] dH = new double[depth][];
        double[][] dZ = new double[depth][];
        for (int l = 0; l < depth; l++) {
            Layer layer = spec.layer(l);
            int n = layer.outputs(), k = layer.inputs();
            int w = net.tensorOffset(2 * l), b = net.tensorOffset(2 * l + 1);
            double[] in = t.layerInput(l), dIn = l == 0 ? new double[in.length] : dH[l - 1];
            double[] z = t.z[l], h = t.h[l];
            dZ[l] = new double[rows * n];
            dH[l] = new double[rows * n];
            double g = gamma(k + 1);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double mag = Math.abs(p[b + j]), carried = 0;
                    for (int i = 0; i < k; i++) {
                        double aw = Math.abs(p[w + j * k + i]);
                        mag += Math.abs(in[r * k + i]) * aw;
                        carried += dIn[r * k + i] * aw;
                    }
                    int at = r * n + j;
                    double d = g * mag + carried + FLOOR;
                    dZ[l][at] = d;
                    dH[l][at] = activationError(layer.activation(), z[at], h[at], d);
                }
            }
        }
        int last = depth - 1, outs = spec.outputs();
        double[] y = t.h[last], g = t.outputBar, dG = new double[rows * outs];
        float[] targets = batch.targets();
        for (int r = 0; r < rows; r++) {
            if (spec.loss() == Loss.SQUARED_ERROR) {
                for (int j = 0; j < outs; j++) {
                    int at = r * outs + j;
                    dG[at] = (dH[last][at] + U * Math.abs(y[at] - targets[at])) / rows + 2 * U * Math.abs(g[at]) + FLOOR;
                }
            } else {
                double max = Double.NEGATIVE_INFINITY, maxErr = 0, s = 0;
                for (int j = 0; j < outs; j++) {
                    max = Math.max(max, y[r * outs + j]);
                    maxErr = Math.max(maxErr, dH[last][r * outs + j]);
                    s += targets[r * outs + j];
                }
                double lse = ReferenceNetwork.logSumExp(y, r, outs);
                for (int j = 0; j < outs; j++) {
                    int at = r * outs + j;
                    double pj = Math.exp(y[at] - lse);
                    double dp = pj * (2 * maxErr + (Math.abs(y[at] - max) + 8) * U);
                    dG[at] = (Math.abs(s) * dp + 2 * U * (Math.abs(s) * pj + Math.abs(targets[at]))) / rows
                            + 2 * U * Math.abs(g[at]) + FLOOR;
                }
            }
        }
        double[] bound = new double[net.parameterCount()];
        double[] bar = g, dBar = dG;
        double lambda = spec.l2();
        for (int l = last; l >= 0; l--) {
            Layer layer = spec.layer(l);
            int n = layer.outputs(), k = layer.inputs();
            int w = net.tensorOffset(2 * l), b = net.tensorOffset(2 * l + 1);
            double[] zBar = t.zBar[l], dZBar = new double[rows * n];
            for (int at = 0; at < dZBar.length; at++) {
                dZBar[at] = derivativeProductError(layer.activation(), t.z[l][at], t.h[l][at], dZ[l][at], dH[l][at],
                        bar[at], dBar[at]);
            }
            double[] in = t.layerInput(l), dIn = l == 0 ? new double[in.length] : dH[l - 1];
            double gw = gamma(rows + 1), gb = gamma(rows);
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < k; i++) {
                    double mag = lambda * Math.abs(p[w + j * k + i]), carried = 0;
                    for (int r = 0; r < rows; r++) {
                        mag += Math.abs(zBar[r * n + j] * in[r * k + i]);
                        carried += dZBar[r * n + j] * Math.abs(in[r * k + i]) + Math.abs(zBar[r * n + j]) * dIn[r * k + i];
                    }
                    bound[w + j * k + i] = gw * mag + carried + FLOOR;
                }
                double mag = 0, carried = 0;
                for (int r = 0; r < rows; r++) {
                    mag += Math.abs(zBar[r * n + j]);
                    carried += dZBar[r * n + j];
                }
                bound[b + j] = gb * mag + carried + FLOOR;
            }
            if (l > 0) {
                double[] prev = new double[rows * k], dPrev = new double[rows * k];
                double gn = gamma(n);
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < k; i++) {
                        double acc = 0, mag = 0, carried = 0;
                        for (int j = 0; j < n; j++) {
                            double aw = Math.abs(p[w + j * k + i]);
                            acc += zBar[r * n + j] * p[w + j * k + i];
                            mag += Math.abs(zBar[r * n + j]) * aw;
                            carried += dZBar[r * n + j] * aw;
                        }
                        prev[r * k + i] = acc;
                        dPrev[r * k + i] = gn * mag + carried + FLOOR;
                    }
                }
                bar = prev;
                dBar = dPrev;
            }
        }
        return bound;
    }

    /** δH from δZ through φ: carried by the Lipschitz constant, plus φ's own evaluation error. */
    private static double activationError(Activation f, double z, double h, double dz) {
        return switch (f) {
            case LINEAR, RELU -> dz;
            case HARD_THRESHOLD -> Math.abs(z) <= dz ? 1 : 0;
            case LOGISTIC -> 0.25 * dz + FUNCTION_U * U * Math.abs(h) + FLOOR;
            case TANH, SOFTPLUS -> dz + FUNCTION_U * U * Math.abs(h) + FLOOR;
        };
    }

    /** δ of {@code bar ∘ φ'(z, h)} given δ of {@code bar}, z and h. */
    private static double derivativeProductError(Activation f, double z, double h, double dz, double dh,
                                                 double bar, double dBar) {
        double d = ReferenceNetwork.phiPrime(f, z, h);
        double dd = switch (f) {
            case LINEAR, HARD_THRESHOLD -> 0;
            case RELU -> Math.abs(z) <= dz ? 1 : 0;
            case LOGISTIC -> dh + 2 * U * d;
            case TANH -> 2 * Math.abs(h) * dh + U * (h * h + d);
            case SOFTPLUS -> 0.25 * dz + FUNCTION_U * U * d;
        };
        if (f == Activation.LINEAR) {
            return dBar;
        }
        return dBar * Math.abs(d) + Math.abs(bar) * dd + U * Math.abs(bar * d) + FLOOR;
    }
}
