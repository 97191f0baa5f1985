package dev.vecmlp.check;

import java.util.SplittableRandom;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * Monte Carlo arithmetic (D. S. Parker, 1997) for the engine's gradient: the reference's
 * equations again, with every operation the float32 engine rounds perturbed by a random relative
 * error of up to u = 2^-24 (an FMA step of a dot product once, exp-, log1p- and tanh-based
 * functions by {@link #FUNCTION_U}·u). The spread of the gradients of a few such runs around the
 * exact one estimates how far float32 rounding moves each tensor, including the correlations
 * between its coordinates that a worst-case bound has to assume away: a 4-layer, 33-wide net's
 * worst-case bound on its first weights can be 10% of their size, while the simulated spread of
 * the least-squares ratio engine/reference stays near 1e-7.
 *
 * <p>Verdict 2 uses it for one number per tensor: the bound on |ratio − 1| of the least-squares
 * ratio {@code Σ e·r / Σ r²}, {@link #SIGMAS} times the root-mean-square deviation of the
 * simulated runs' ratios from 1, plus {@link #systematicFloor} for errors that do not average out
 * (a transcendental lane that is biased one way). That is what catches one tensor scaled by
 * 1 + 1e-4, which no worst-case bound on a deep net can see.
 */
final class RoundingSimulation {
    static final double U = EngineErrorBound.U;
    /** Relative error of the engine's transcendental functions in the simulation, in units of u. */
    static final double FUNCTION_U = 4;
    /** Simulated runs per check. */
    static final int RUNS = 16;
    /** Standard deviations allowed. */
    static final double SIGMAS = 8;

    private final ReferenceNetwork net;
    private final Mlp spec;
    private final double[] p;
    private final SplittableRandom rng;

    RoundingSimulation(ReferenceNetwork net, long seed) {
        this.net = net;
        this.spec = net.spec();
        this.p = net.parameters();
        this.rng = new SplittableRandom(seed);
    }

    /** A bias of a few u per layer that random runs cannot show. */
    static double systematicFloor(Mlp spec) {
        return 2 * FUNCTION_U * U * (spec.depth() + 1);
    }

    /**
     * The bound on |ratio − 1| per tensor, NaN where the reference gradient of the tensor is 0
     * (no ratio).
     */
    static double[] ratioBounds(ReferenceNetwork net, Batch batch, double[] reference, long seed) {
        RoundingSimulation sim = new RoundingSimulation(net, seed);
        int tensors = net.tensorCount();
        double[] sumSq = new double[tensors];
        for (int run = 0; run < RUNS; run++) {
            double[] g = sim.gradient(batch);
            for (int t = 0; t < tensors; t++) {
                double r = ratio(net, t, g, reference) - 1;
                sumSq[t] += r * r;
            }
        }
        double[] out = new double[tensors];
        double floor = systematicFloor(net.spec());
        for (int t = 0; t < tensors; t++) {
            out[t] = SIGMAS * Math.sqrt(sumSq[t] / RUNS) + floor;
        }
        return out;
    }

    /** Σ found·expected / Σ expected² over tensor {@code t}. */
    static double ratio(ReferenceNetwork net, int t, double[] found, double[] expected) {
        double dot = 0, sq = 0;
        int o = net.tensorOffset(t);
        for (int i = o; i < o + net.tensorSize(t); i++) {
            dot += found[i] * expected[i];
            sq += expected[i] * expected[i];
        }
        return dot / sq;
    }

    /** x with one rounding's worth of random relative error. */
    double fl(double x) {
        return x * (1 + U * (2 * rng.nextDouble() - 1));
    }

    /** A transcendental function's result, with its error. */
    double fn(double x) {
        return x * (1 + FUNCTION_U * U * (2 * rng.nextDouble() - 1));
    }

    private double phi(Activation f, double z) {
        double h = ReferenceNetwork.phi(f, z);
        return switch (f) {
            case LINEAR, RELU, HARD_THRESHOLD -> h;
            case SOFTPLUS, LOGISTIC, TANH -> fn(h);
        };
    }

    double phiPrime(Activation f, double z, double h) {
        return switch (f) {
            case LINEAR -> 1;
            case RELU -> z > 0 ? 1 : 0;
            case HARD_THRESHOLD -> 0;
            case SOFTPLUS -> fn(1 / (1 + Math.exp(-z)));
            case LOGISTIC -> fl(h * fl(1 - h));
            case TANH -> fl(1 - fl(h * h));
        };
    }

    /** One simulated run: the gradient, every parameter. */
    double[] gradient(Batch batch) {
        int rows = batch.rows(), depth = spec.depth();
        double[][] z = new double[depth][], h = new double[depth][];
        double[] x = new double[batch.inputs().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = batch.inputs()[i];
        }
        for (int l = 0; l < depth; l++) {
            Layer layer = spec.layer(l);
            int n = layer.outputs(), k = layer.inputs();
            int w = net.tensorOffset(2 * l), b = net.tensorOffset(2 * l + 1);
            double[] in = l == 0 ? x : h[l - 1];
            z[l] = new double[rows * n];
            h[l] = new double[rows * n];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double acc = p[b + j];
                    for (int i = 0; i < k; i++) {
                        acc = fl(acc + in[r * k + i] * p[w + j * k + i]);
                    }
                    z[l][r * n + j] = acc;
                    h[l][r * n + j] = phi(layer.activation(), acc);
                }
            }
        }
        int last = depth - 1, outs = spec.outputs();
        double[] y = h[last], bar = new double[rows * outs];
        float[] t = batch.targets();
        double scale = fl(1.0 / rows);
        for (int r = 0; r < rows; r++) {
            if (spec.loss() == Loss.SQUARED_ERROR) {
                for (int j = 0; j < outs; j++) {
                    bar[r * outs + j] = fl(fl(y[r * outs + j] - t[r * outs + j]) * scale);
                }
            } else {
                double max = Double.NEGATIVE_INFINITY, sum = 0, s = 0;
                for (int j = 0; j < outs; j++) {
                    max = Math.max(max, y[r * outs + j]);
                    s += t[r * outs + j];
                }
                double[] e = new double[outs];
                for (int j = 0; j < outs; j++) {
                    e[j] = fn(Math.exp(fl(y[r * outs + j] - max)));
                    sum += e[j];
                }
                double inverse = fl(1 / sum), sf = fl(s);
                for (int j = 0; j < outs; j++) {
                    bar[r * outs + j] = fl(fl(fl(fl(e[j] * inverse) * sf) - t[r * outs + j]) * scale);
                }
            }
        }
        // ReferenceNetwork's backward pass again, every operation rounded (fl) as the engine's float32
        // rounds it: a copy on purpose, so that the reference stays plain double arithmetic and a
        // change to one cannot hide a bug in the other.
        double[] g = new double[p.length];
        double lambda = spec.l2();
        for (int l = last; l >= 0; l--) {
            Layer layer = spec.layer(l);
            int n = layer.outputs(), k = layer.inputs();
            int w = net.tensorOffset(2 * l), b = net.tensorOffset(2 * l + 1);
            double[] zBar = new double[rows * n];
            for (int i = 0; i < zBar.length; i++) {
                zBar[i] = layer.activation() == Activation.LINEAR ? bar[i]
                        : fl(bar[i] * phiPrime(layer.activation(), z[l][i], h[l][i]));
            }
            double[] in = l == 0 ? x : h[l - 1];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < k; i++) {
                    double acc = lambda == 0 ? 0 : fl(lambda * p[w + j * k + i]);
                    for (int r = 0; r < rows; r++) {
                        acc = fl(acc + zBar[r * n + j] * in[r * k + i]);
                    }
                    g[w + j * k + i] = acc;
                }
                double acc = 0;
                for (int r = 0; r < rows; r++) {
                    acc = fl(acc + zBar[r * n + j]);
                }
                g[b + j] = acc;
            }
            if (l > 0) {
                double[] prev = new double[rows * k];
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < k; i++) {
                        double acc = 0;
                        for (int j = 0; j < n; j++) {
                            acc = fl(acc + zBar[r * n + j] * p[w + j * k + i]);
                        }
                        prev[r * k + i] = acc;
                    }
                }
                bar = prev;
            }
        }
        return g;
    }
}
