package dev.vecmlp.check;

import java.util.Arrays;
import java.util.Objects;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * The network of an {@link Mlp} in float64, written straight from the lecture's backprop
 * equations and independent of the kernels: the check the float32 engine is held against.
 *
 * <pre>
 * forward, l = 1..L:   Z_l = H_{l-1} W_lᵀ + b_l,  H_l = φ_l(Z_l)              (H_0 = X)
 * loss:                E = (1/B) Σ_rows loss(H_L, T) + λ/2 Σ_l ‖W_l‖²      (biases not penalised)
 * output error:        H̄_L = ∂E/∂H_L,  Z̄_L = H̄_L ∘ φ'_L(Z_L)
 * backward, l = L..1:  W̄_l = Z̄_lᵀ H_{l-1} + λ W_l,  b̄_l = Σ_rows Z̄_l
 *                      H̄_{l-1} = Z̄_l W_l,  Z̄_{l-1} = H̄_{l-1} ∘ φ'_{l-1}(Z_{l-1})
 * </pre>
 * Every backward step is a vector-Jacobian product; no Jacobian is formed. The definitions are
 * the engine's: the data term is the mean over the batch; softmax cross-entropy is applied to the
 * last layer's activation {@code H_L} with {@code s = Σ t} per row (loss {@code s·logsumexp(h) −
 * Σ t·h}, so soft targets work); squared error is {@code ½‖h − t‖²}; φ'(0) is 0 for ReLU and the
 * hard threshold's derivative is 0 everywhere.
 *
 * <p>Parameters are one {@code double[]} in PyTorch's order ({@link Model#parametersToArray}):
 * W0 row-major {@code [outputs][inputs]}, b0, W1, b1, ... Tensor {@code t} is layer
 * {@code t / 2}'s weights for even {@code t}, its bias for odd {@code t}, named by their layer
 * counted from 0, as everywhere in vecmlp: {@code W0, b0, W1, ...}.
 *
 * <pre>{@code
 * ReferenceNetwork ref = ReferenceNetwork.of(model);          // the model's floats, as doubles
 * ReferenceNetwork.Gradient g = ref.gradient(Batch.random(model.spec(), 8, 1L));
 * double[] w0 = g.tensor(0);                                  // ∂E/∂W0, row-major
 * }</pre>
 */
public final class ReferenceNetwork {
    private final Mlp spec;
    private final double[] parameters;
    private final int[] offsets;

    private ReferenceNetwork(Mlp spec, double[] parameters) {
        this.spec = spec;
        this.parameters = parameters;
        this.offsets = new int[2 * spec.depth() + 1];
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            offsets[2 * l + 1] = offsets[2 * l] + layer.outputs() * layer.inputs();
            offsets[2 * l + 2] = offsets[2 * l + 1] + layer.outputs();
        }
    }

    /** The network of {@code model}, its float32 parameters copied exactly into doubles. */
    public static ReferenceNetwork of(Model model) {
        Objects.requireNonNull(model, "model");
        float[] p = model.parametersToArray();
        double[] d = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            d[i] = p[i];
        }
        return of(model.spec(), d);
    }

    /**
     * The network of {@code spec} with the given parameters (copied), in the order of
     * {@link Model#parametersToArray}.
     *
     * @throws IllegalArgumentException on a wrong length or a NaN or infinite parameter, naming it
     */
    public static ReferenceNetwork of(Mlp spec, double[] parameters) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(parameters, "parameters");
        if (parameters.length != spec.parameterCount()) {
            throw new IllegalArgumentException("parameters: expected " + spec.parameterCount() + " values for " + spec
                    + ", found " + parameters.length);
        }
        ReferenceNetwork net = new ReferenceNetwork(spec, parameters.clone());
        for (int i = 0; i < parameters.length; i++) {
            if (!Double.isFinite(parameters[i])) {
                throw new IllegalArgumentException("parameter " + net.coordinateName(i) + ": expected a finite value, found "
                        + parameters[i]);
            }
        }
        return net;
    }

    public Mlp spec() {
        return spec;
    }

    /** A copy of the parameters, in the order of {@link Model#parametersToArray}. */
    public double[] parameters() {
        return parameters.clone();
    }

    /** The number of tensors: two per layer, the weights and the bias. */
    public int tensorCount() {
        return 2 * spec.depth();
    }

    /** {@code W0, b0, W1, b1, ...}: layer {@code t / 2}, weights for even {@code t}. */
    public String tensorName(int t) {
        checkTensor(t);
        return (t % 2 == 0 ? "W" : "b") + (t / 2);
    }

    /** Where tensor {@code t} starts in the parameter array. */
    public int tensorOffset(int t) {
        checkTensor(t);
        return offsets[t];
    }

    /** The number of values in tensor {@code t}. */
    public int tensorSize(int t) {
        checkTensor(t);
        return offsets[t + 1] - offsets[t];
    }

    /** Rows of tensor {@code t}: the layer's outputs (for a bias too: one row per unit). */
    public int tensorRows(int t) {
        checkTensor(t);
        return spec.layer(t / 2).outputs();
    }

    /** Columns of tensor {@code t}: the layer's inputs for weights, 1 for a bias. */
    public int tensorColumns(int t) {
        checkTensor(t);
        return t % 2 == 0 ? spec.layer(t / 2).inputs() : 1;
    }

    /** The tensor a parameter index belongs to. */
    public int tensorOf(int index) {
        if (index < 0 || index >= parameters.length) {
            throw new IndexOutOfBoundsException("parameter index: expected 0 to " + (parameters.length - 1) + ", found " + index);
        }
        int t = Arrays.binarySearch(offsets, index);
        return t >= 0 ? t : -t - 2;
    }

    /** A parameter's name: {@code W1[3][0]} (row = output unit, column = input) or {@code b1[3]}. */
    public String coordinateName(int index) {
        int t = tensorOf(index);
        int i = index - offsets[t];
        int cols = tensorColumns(t);
        return t % 2 == 0 ? tensorName(t) + "[" + i / cols + "][" + i % cols + "]" : tensorName(t) + "[" + i + "]";
    }

    /** The loss E (mean over the batch plus the L2 term) at these parameters. */
    public double loss(Batch batch) {
        checkBatch(batch);
        return forward(parameters, batch).loss;
    }

    /**
     * The loss and its gradient with respect to every parameter.
     *
     * @param loss       E, as {@link #loss}
     * @param parameters ∂E/∂θ in the order of the parameters
     */
    public record Gradient(double loss, double[] parameters, ReferenceNetwork network) {
        /** ∂E/∂(tensor t), a copy, row-major. */
        public double[] tensor(int t) {
            int o = network.tensorOffset(t);
            return Arrays.copyOfRange(parameters, o, o + network.tensorSize(t));
        }
    }

    /** Forward and backward passes: the loss and every gradient, by backprop in float64. */
    public Gradient gradient(Batch batch) {
        checkBatch(batch);
        Trace trace = forward(parameters, batch);
        backward(trace, batch);
        return new Gradient(trace.loss, trace.gradient, this);
    }

    // ---------------------------------------------------------------------------------------

    /** What a pass leaves: Z_l, H_l and, after {@link #backward}, Z̄_l and the gradient. */
    static final class Trace {
        final double[] input;
        final double[][] z;
        final double[][] h;
        final double[][] zBar;
        /** ∂E/∂H_L, before the output activation's derivative. */
        double[] outputBar;
        double loss;
        double[] gradient;

        Trace(double[] input, int depth) {
            this.input = input;
            this.z = new double[depth][];
            this.h = new double[depth][];
            this.zBar = new double[depth][];
        }

        /** H_{l-1}, the input of layer {@code l} (X for the first). */
        double[] layerInput(int l) {
            return l == 0 ? input : h[l - 1];
        }
    }

    void checkBatch(Batch batch) {
        Objects.requireNonNull(batch, "batch");
        batch.checkShape(spec);
    }

    int parameterCount() {
        return parameters.length;
    }

    Trace trace(Batch batch) {
        checkBatch(batch);
        Trace t = forward(parameters, batch);
        backward(t, batch);
        return t;
    }

    Trace forward(double[] p, Batch batch) {
        return forward(p, batch, 0, null);
    }

    /**
     * The forward pass and the loss at parameters {@code p} (of this network's layout); layers
     * before {@code from} are taken from {@code base} (a pass at parameters that differ from
     * {@code p} only in layer {@code from} and after), the rest computed.
     */
    Trace forward(double[] p, Batch batch, int from, Trace base) {
        int rows = batch.rows();
        double[] x = new double[batch.inputs().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = batch.inputs()[i];
        }
        Trace t = new Trace(x, spec.depth());
        for (int l = 0; l < from; l++) {
            t.z[l] = base.z[l];
            t.h[l] = base.h[l];
        }
        for (int l = from; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            int n = layer.outputs(), k = layer.inputs();
            int w = offsets[2 * l], b = offsets[2 * l + 1];
            double[] in = t.layerInput(l), z = new double[rows * n], h = new double[rows * n];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double acc = p[b + j];
                    for (int i = 0; i < k; i++) {
                        acc += in[r * k + i] * p[w + j * k + i];
                    }
                    z[r * n + j] = acc;
                    h[r * n + j] = phi(layer.activation(), acc);
                }
            }
            t.z[l] = z;
            t.h[l] = h;
        }
        double data = 0;
        double[] y = t.h[spec.depth() - 1];
        int n = spec.outputs();
        for (int r = 0; r < rows; r++) {
            data += rowLoss(y, batch.targets(), r, n);
        }
        double penalty = 0;
        for (int l = 0; l < spec.depth(); l++) {
            for (int i = offsets[2 * l]; i < offsets[2 * l + 1]; i++) {
                penalty += p[i] * p[i];
            }
        }
        t.loss = data / rows + 0.5 * spec.l2() * penalty;
        return t;
    }

    private double rowLoss(double[] y, float[] targets, int r, int n) {
        if (spec.loss() == Loss.SQUARED_ERROR) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                double d = y[r * n + j] - targets[r * n + j];
                s += d * d;
            }
            return 0.5 * s;
        }
        double lse = logSumExp(y, r, n), s = 0, tz = 0;
        for (int j = 0; j < n; j++) {
            s += targets[r * n + j];
            tz += targets[r * n + j] * y[r * n + j];
        }
        return s * lse - tz;
    }

    static double logSumExp(double[] y, int r, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, y[r * n + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(y[r * n + j] - max);
        }
        return max + Math.log(sum);
    }

    /** Backprop from the loss to every parameter, in reverse topological order. */
    private void backward(Trace t, Batch batch) {
        int rows = batch.rows(), last = spec.depth() - 1, n = spec.outputs();
        double[] y = t.h[last];
        float[] targets = batch.targets();
        double[] hBar = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            if (spec.loss() == Loss.SQUARED_ERROR) {
                for (int j = 0; j < n; j++) {
                    hBar[r * n + j] = (y[r * n + j] - targets[r * n + j]) / rows;
                }
            } else {
                double lse = logSumExp(y, r, n), s = 0;
                for (int j = 0; j < n; j++) {
                    s += targets[r * n + j];
                }
                for (int j = 0; j < n; j++) {
                    hBar[r * n + j] = (s * Math.exp(y[r * n + j] - lse) - targets[r * n + j]) / rows;
                }
            }
        }
        t.outputBar = hBar;
        double[] g = new double[parameters.length];
        double lambda = spec.l2();
        for (int l = last; l >= 0; l--) {
            Layer layer = spec.layer(l);
            int outs = layer.outputs(), k = layer.inputs();
            double[] zBar = times(hBar, layer.activation(), t.z[l], t.h[l]);
            t.zBar[l] = zBar;
            double[] in = t.layerInput(l);
            int w = offsets[2 * l], b = offsets[2 * l + 1];
            for (int j = 0; j < outs; j++) {
                for (int i = 0; i < k; i++) {
                    double acc = lambda * parameters[w + j * k + i];
                    for (int r = 0; r < rows; r++) {
                        acc += zBar[r * outs + j] * in[r * k + i];
                    }
                    g[w + j * k + i] = acc;
                }
                double acc = 0;
                for (int r = 0; r < rows; r++) {
                    acc += zBar[r * outs + j];
                }
                g[b + j] = acc;
            }
            if (l > 0) {
                double[] prev = new double[rows * k];
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < k; i++) {
                        double acc = 0;
                        for (int j = 0; j < outs; j++) {
                            acc += zBar[r * outs + j] * parameters[w + j * k + i];
                        }
                        prev[r * k + i] = acc;
                    }
                }
                hBar = prev;
            }
        }
        t.gradient = g;
    }

    /** Z̄ = H̄ ∘ φ'(Z). */
    private static double[] times(double[] hBar, Activation f, double[] z, double[] h) {
        double[] out = new double[hBar.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = hBar[i] * phiPrime(f, z[i], h[i]);
        }
        return out;
    }

    /** φ(z) in float64, by the definitions of {@link Activation}. */
    static double phi(Activation f, double z) {
        return switch (f) {
            case LINEAR -> z;
            case RELU -> Math.max(z, 0.0);
            case SOFTPLUS -> Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
            case HARD_THRESHOLD -> z > 0 ? 1.0 : 0.0;
            case LOGISTIC -> 1.0 / (1.0 + Math.exp(-z));
            case TANH -> Math.tanh(z);
        };
    }

    /** φ'(z) in float64, given {@code h = φ(z)}: 0 at ReLU's kink and everywhere for the threshold. */
    static double phiPrime(Activation f, double z, double h) {
        return switch (f) {
            case LINEAR -> 1.0;
            case RELU -> z > 0 ? 1.0 : 0.0;
            case SOFTPLUS -> 1.0 / (1.0 + Math.exp(-z));
            case HARD_THRESHOLD -> 0.0;
            case LOGISTIC -> h * (1.0 - h);
            case TANH -> 1.0 - h * h;
        };
    }

    private void checkTensor(int t) {
        if (t < 0 || t >= tensorCount()) {
            throw new IndexOutOfBoundsException("tensor: expected 0 to " + (tensorCount() - 1) + " for " + spec + ", found " + t);
        }
    }

    @Override
    public String toString() {
        return "ReferenceNetwork[" + spec + "]";
    }
}
