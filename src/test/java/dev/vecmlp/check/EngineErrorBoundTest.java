package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * Pins the value of {@link EngineErrorBound}: a worked scalar example, and the bound of small
 * non-square networks (every activation, both losses, with and without L2, several rows) against
 * the formulas of its Javadoc written out again here, matrix by matrix on two-dimensional arrays.
 */
class EngineErrorBoundTest {
    private static final double U = 0x1p-24;
    private static final double FLOOR = Float.MIN_NORMAL;

    private static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    @Test
    void gammaIsNuOverOneMinusNu() {
        assertEquals(3 * U / (1 - 3 * U), EngineErrorBound.gamma(3), 0);
        // Larger than n·u, by a second-order term.
        assertTrue(EngineErrorBound.gamma(5) > 5 * U);
        assertEquals(5 * U * (1 + 5 * U), EngineErrorBound.gamma(5), 1e-18);
    }

    /**
     * 1-1 linear, squared error, batch 1: z = w·x + b, G = y − t.
     * δz = γ2(|x||w| + |b|) + F, δG = (δz + u|y − t|) + 2u|G| + F, δw = γ2·|G||x| + δG|x| + F,
     * δb = γ1·|G| + δG + F.
     */
    @Test
    void scalarLinearSquaredErrorByHand() {
        Mlp spec = Mlp.input(1).dense(1, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        double w = 0.75, b = -0.5, x = 2, t = 3;
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[] {w, b});
        double[] bound = EngineErrorBound.compute(net, new Batch(1, new float[] {(float) x}, new float[] {(float) t}));
        double y = w * x + b, g = y - t;
        double dz = gamma(2) * (Math.abs(x * w) + Math.abs(b)) + FLOOR;
        double dg = dz + U * Math.abs(y - t) + 2 * U * Math.abs(g) + FLOOR;
        assertEquals(gamma(2) * Math.abs(g * x) + dg * Math.abs(x) + FLOOR, bound[0], 1e-12 * bound[0]);
        assertEquals(gamma(1) * Math.abs(g) + dg + FLOOR, bound[1], 1e-12 * bound[1]);
        // To first order: y = 1, G = −2, δz = 4u, δG = 10u, so δw = 8u + 20u and δb = 2u + 10u.
        assertEquals(28 * U, bound[0], 1e-6 * bound[0]);
        assertEquals(12 * U, bound[1], 1e-6 * bound[1]);
    }

    @Test
    void everyActivationWithSquaredError() {
        for (Activation hidden : Activation.values()) {
            for (Activation out : Activation.values()) {
                Mlp spec = Mlp.input(3).dense(2, hidden).dense(4, out).loss(Loss.SQUARED_ERROR).build();
                assertMatchesFormulas(spec, 3, 11L + hidden.ordinal() * 7 + out.ordinal());
            }
        }
    }

    @Test
    void softmaxAndL2() {
        for (Activation hidden : Activation.values()) {
            Mlp spec = Mlp.input(3).dense(4, hidden).dense(2, Activation.TANH).dense(3, Activation.LINEAR)
                    .loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(0.25).build();
            assertMatchesFormulas(spec, 4, 5L + hidden.ordinal());
        }
        Mlp l2 = Mlp.input(2).dense(3, Activation.LOGISTIC).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR)
                .l2(0.5).build();
        assertMatchesFormulas(l2, 2, 99L);
    }

    /** Soft targets whose sum is not 1 exercise s in the softmax error signal. */
    @Test
    void softmaxWithSoftTargets() {
        Mlp spec = Mlp.input(2).dense(3, Activation.SOFTPLUS).dense(3, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        ReferenceNetwork net = net(spec, 3L);
        Batch batch = new Batch(2, new float[] {0.5f, -1.5f, 2f, 0.25f}, new float[] {0.5f, 1f, 0.25f, 0, 2f, -0.5f});
        assertBound(net, batch);
    }

    /** The bound covers the actual float32 error of a forward-backward pass done in float32 here. */
    @Test
    void boundCoversAFloat32Pass() {
        Mlp spec = Mlp.input(3).dense(5, Activation.TANH).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        for (long seed = 1; seed <= 20; seed++) {
            ReferenceNetwork net = net(spec, seed);
            Batch batch = Batch.random(spec, 3, seed);
            double[] bound = EngineErrorBound.compute(net, batch);
            double[] exact = net.gradient(batch).parameters();
            float[] f = float32Gradient(net.parameters(), batch);
            double ratio = 0;
            for (int i = 0; i < bound.length; i++) {
                assertTrue(Math.abs(f[i] - exact[i]) <= bound[i], "seed " + seed + " parameter " + i);
                ratio = Math.max(ratio, Math.abs(exact[i]) * U / bound[i]);
            }
            // Not vacuous: some bound is within a factor 1e3 of one rounding of its gradient.
            assertTrue(ratio > 1e-3, "seed " + seed + ": " + ratio);
        }
    }

    /** 3-5-2 tanh/linear, squared error, in float32 with one rounding per operation. */
    private static float[] float32Gradient(double[] pd, Batch batch) {
        float[] p = new float[pd.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) pd[i];
        }
        int rows = batch.rows();
        float[] x = batch.inputs(), t = batch.targets();
        float[] g = new float[p.length];
        for (int r = 0; r < rows; r++) {
            float[] h = new float[5];
            for (int j = 0; j < 5; j++) {
                float z = p[15 + j];
                for (int i = 0; i < 3; i++) {
                    z += x[r * 3 + i] * p[j * 3 + i];
                }
                h[j] = (float) Math.tanh(z);
            }
            float[] gy = new float[2];
            for (int j = 0; j < 2; j++) {
                float y = p[30 + j];
                for (int i = 0; i < 5; i++) {
                    y += h[i] * p[20 + j * 5 + i];
                }
                gy[j] = (y - t[r * 2 + j]) * (1f / rows);
                g[30 + j] += gy[j];
                for (int i = 0; i < 5; i++) {
                    g[20 + j * 5 + i] += gy[j] * h[i];
                }
            }
            for (int i = 0; i < 5; i++) {
                float hb = 0;
                for (int j = 0; j < 2; j++) {
                    hb += gy[j] * p[20 + j * 5 + i];
                }
                float zb = hb * (1 - h[i] * h[i]);
                g[15 + i] += zb;
                for (int c = 0; c < 3; c++) {
                    g[i * 3 + c] += zb * x[r * 3 + c];
                }
            }
        }
        return g;
    }

    private static ReferenceNetwork net(Mlp spec, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] p = new double[(int) spec.parameterCount()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (rng.nextGaussian() * 0.8);
        }
        return ReferenceNetwork.of(spec, p);
    }

    private static void assertMatchesFormulas(Mlp spec, int rows, long seed) {
        assertBound(net(spec, seed), Batch.random(spec, rows, seed));
    }

    private static void assertBound(ReferenceNetwork net, Batch batch) {
        double[] expected = formulas(net, batch);
        double[] found = EngineErrorBound.compute(net, batch);
        assertEquals(expected.length, found.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], found[i], 1e-12 * expected[i], net.spec() + " " + net.coordinateName(i));
        }
    }

    // ---- the Javadoc's bound, written out on [row][unit] arrays ----------------------------------

    private static double[] formulas(ReferenceNetwork net, Batch batch) {
        Mlp spec = net.spec();
        int rows = batch.rows(), depth = spec.depth();
        double[] p = net.parameters();
        double[][][] w = new double[depth][][];
        double[][] b = new double[depth][];
        for (int l = 0; l < depth; l++) {
            int n = spec.layer(l).outputs(), k = spec.layer(l).inputs();
            w[l] = new double[n][k];
            b[l] = new double[n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < k; i++) {
                    w[l][j][i] = p[net.tensorOffset(2 * l) + j * k + i];
                }
                b[l][j] = p[net.tensorOffset(2 * l + 1) + j];
            }
        }
        double[][][] h = new double[depth + 1][][], z = new double[depth][][];
        double[][][] dh = new double[depth + 1][][], dz = new double[depth][][];
        h[0] = matrix(batch.inputs(), rows, spec.inputs());
        dh[0] = new double[rows][spec.inputs()];
        for (int l = 0; l < depth; l++) {
            Activation f = spec.layer(l).activation();
            int n = b[l].length, k = w[l][0].length;
            z[l] = new double[rows][n];
            h[l + 1] = new double[rows][n];
            dz[l] = new double[rows][n];
            dh[l + 1] = new double[rows][n];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double sum = b[l][j], abs = Math.abs(b[l][j]), carried = 0;
                    for (int i = 0; i < k; i++) {
                        sum += h[l][r][i] * w[l][j][i];
                        abs += Math.abs(h[l][r][i]) * Math.abs(w[l][j][i]);
                        carried += dh[l][r][i] * Math.abs(w[l][j][i]);
                    }
                    z[l][r][j] = sum;
                    h[l + 1][r][j] = phi(f, sum);
                    dz[l][r][j] = gamma(k + 1) * abs + carried + FLOOR;
                    double v = Math.abs(h[l + 1][r][j]);
                    dh[l + 1][r][j] = switch (f) {
                        case LINEAR, RELU -> dz[l][r][j];
                        case HARD_THRESHOLD -> Math.abs(sum) <= dz[l][r][j] ? 1 : 0;
                        case LOGISTIC -> dz[l][r][j] / 4 + 8 * U * v + FLOOR;
                        case TANH, SOFTPLUS -> dz[l][r][j] + 8 * U * v + FLOOR;
                    };
                }
            }
        }
        int outs = spec.outputs();
        double[][] y = h[depth], dy = dh[depth], t = matrix(batch.targets(), rows, outs);
        double[][] bar = new double[rows][outs], dBar = new double[rows][outs];
        for (int r = 0; r < rows; r++) {
            if (spec.loss() == Loss.SQUARED_ERROR) {
                for (int j = 0; j < outs; j++) {
                    bar[r][j] = (y[r][j] - t[r][j]) / rows;
                    dBar[r][j] = (dy[r][j] + U * Math.abs(y[r][j] - t[r][j])) / rows + 2 * U * Math.abs(bar[r][j]) + FLOOR;
                }
            } else {
                double max = y[r][0], maxErr = 0, s = 0, sum = 0;
                for (int j = 0; j < outs; j++) {
                    max = Math.max(max, y[r][j]);
                    maxErr = Math.max(maxErr, dy[r][j]);
                    s += t[r][j];
                }
                for (int j = 0; j < outs; j++) {
                    sum += Math.exp(y[r][j] - max);
                }
                for (int j = 0; j < outs; j++) {
                    double pj = Math.exp(y[r][j] - max) / sum;
                    bar[r][j] = (s * pj - t[r][j]) / rows;
                    double dp = pj * (2 * maxErr + (Math.abs(y[r][j] - max) + 8) * U);
                    dBar[r][j] = (Math.abs(s) * dp + 2 * U * (Math.abs(s) * pj + Math.abs(t[r][j]))) / rows
                            + 2 * U * Math.abs(bar[r][j]) + FLOOR;
                }
            }
        }
        double[] bound = new double[p.length];
        double lambda = spec.l2();
        for (int l = depth - 1; l >= 0; l--) {
            Activation f = spec.layer(l).activation();
            int n = b[l].length, k = w[l][0].length;
            double[][] zb = new double[rows][n], dzb = new double[rows][n];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double zz = z[l][r][j], hh = h[l + 1][r][j], d = phiPrime(f, zz, hh);
                    double ez = dz[l][r][j], eh = dh[l + 1][r][j];
                    zb[r][j] = bar[r][j] * d;
                    double dd = switch (f) {
                        case LINEAR, HARD_THRESHOLD -> 0;
                        case RELU -> Math.abs(zz) <= ez ? 1 : 0;
                        case LOGISTIC -> eh + 2 * U * d;
                        case TANH -> 2 * Math.abs(hh) * eh + U * (hh * hh + d);
                        case SOFTPLUS -> ez / 4 + 8 * U * d;
                    };
                    dzb[r][j] = f == Activation.LINEAR ? dBar[r][j]
                            : dBar[r][j] * Math.abs(d) + Math.abs(bar[r][j]) * dd + U * Math.abs(bar[r][j] * d) + FLOOR;
                }
            }
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < k; i++) {
                    double abs = lambda * Math.abs(w[l][j][i]), carried = 0;
                    for (int r = 0; r < rows; r++) {
                        abs += Math.abs(zb[r][j]) * Math.abs(h[l][r][i]);
                        carried += dzb[r][j] * Math.abs(h[l][r][i]) + Math.abs(zb[r][j]) * dh[l][r][i];
                    }
                    bound[net.tensorOffset(2 * l) + j * k + i] = gamma(rows + 1) * abs + carried + FLOOR;
                }
                double abs = 0, carried = 0;
                for (int r = 0; r < rows; r++) {
                    abs += Math.abs(zb[r][j]);
                    carried += dzb[r][j];
                }
                bound[net.tensorOffset(2 * l + 1) + j] = gamma(rows) * abs + carried + FLOOR;
            }
            double[][] prev = new double[rows][k], dPrev = new double[rows][k];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < k; i++) {
                    double abs = 0, carried = 0;
                    for (int j = 0; j < n; j++) {
                        prev[r][i] += zb[r][j] * w[l][j][i];
                        abs += Math.abs(zb[r][j]) * Math.abs(w[l][j][i]);
                        carried += dzb[r][j] * Math.abs(w[l][j][i]);
                    }
                    dPrev[r][i] = gamma(n) * abs + carried + FLOOR;
                }
            }
            bar = prev;
            dBar = dPrev;
        }
        return bound;
    }

    private static double[][] matrix(float[] a, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[r][c] = a[r * cols + c];
            }
        }
        return m;
    }

    private static double phi(Activation f, double z) {
        return switch (f) {
            case LINEAR -> z;
            case RELU -> z > 0 ? z : 0;
            case SOFTPLUS -> Math.log(1 + Math.exp(z));
            case HARD_THRESHOLD -> z > 0 ? 1 : 0;
            case LOGISTIC -> 1 / (1 + Math.exp(-z));
            case TANH -> Math.tanh(z);
        };
    }

    private static double phiPrime(Activation f, double z, double h) {
        return switch (f) {
            case LINEAR -> 1;
            case RELU -> z > 0 ? 1 : 0;
            case SOFTPLUS -> 1 / (1 + Math.exp(-z));
            case HARD_THRESHOLD -> 0;
            case LOGISTIC -> h * (1 - h);
            case TANH -> (1 - h) * (1 + h);
        };
    }
}
