package dev.vecmlp.property;

import dev.vecmlp.kernel.Tolerance;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;

/**
 * Rounding bounds for a whole forward pass in float32, derived like {@link Tolerance}'s for one
 * kernel: how far any correct float32 evaluation of a case's outputs can be from the exact ones.
 */
final class Bounds {
    private Bounds() {
    }

    /**
     * Per output element ({@code batch x outputs}), a bound on {@code |computed − exact|}. Row by
     * row, in double: {@code A} bounds the magnitude of each activation and {@code E} its error.
     * A unit's pre-activation is a float sum of {@code fanIn} products and a bias, so it is off by
     * at most {@code Σ|w|·E_in} (the inputs' errors) plus {@link Tolerance#sum} of
     * {@code S = Σ|w|·A_in + |b|}; the activation passes that on times {@code sup|φ'|} (at most 1
     * for every differentiable activation here) and adds its own ulps
     * ({@link Tolerance#ACTIVATION_ULPS} plus one, relative to {@code A}), which LINEAR and RELU,
     * exact in float, do not. {@code A} after the activation is {@code S} for LINEAR and RELU,
     * {@code S + log 2} for SOFTPLUS and 1 for LOGISTIC and TANH.
     *
     * @throws IllegalArgumentException for HARD_THRESHOLD, whose output jumps at 0
     */
    static double[] forward(NetCase c) {
        int batch = c.batch(), in = c.spec().inputs(), out = c.spec().outputs();
        double[] bound = new double[batch * out];
        for (int r = 0; r < batch; r++) {
            double[] a = new double[in], e = new double[in];
            for (int j = 0; j < in; j++) {
                a[j] = Math.abs(c.inputs()[r * in + j]);
            }
            for (int l = 0; l < c.depth(); l++) {
                Layer layer = c.spec().layer(l);
                double[] na = new double[layer.outputs()], ne = new double[layer.outputs()];
                for (int i = 0; i < layer.outputs(); i++) {
                    double s = Math.abs(c.parameters()[c.biasIndex(l, i)]), carried = 0;
                    for (int j = 0; j < layer.inputs(); j++) {
                        double w = Math.abs(c.parameters()[c.weightIndex(l, i, j)]);
                        s += w * a[j];
                        carried += w * e[j];
                    }
                    double ez = carried + Tolerance.sum(layer.inputs() + 1, s);
                    Activation f = layer.activation();
                    switch (f) {
                        case LINEAR, RELU -> {
                            na[i] = s;
                            ne[i] = ez;
                        }
                        case SOFTPLUS -> {
                            na[i] = s + Math.log(2);
                            ne[i] = ez + 2 * (Tolerance.ACTIVATION_ULPS + 1) * Tolerance.U * na[i];
                        }
                        case LOGISTIC, TANH -> {
                            na[i] = 1;
                            ne[i] = ez + 2 * (Tolerance.ACTIVATION_ULPS + 1) * Tolerance.U;
                        }
                        case HARD_THRESHOLD -> throw new IllegalArgumentException("layer " + l
                                + ": expected an activation with a bounded slope, found HARD_THRESHOLD");
                    }
                }
                a = na;
                e = ne;
            }
            System.arraycopy(e, 0, bound, r * out, out);
        }
        return bound;
    }
}
