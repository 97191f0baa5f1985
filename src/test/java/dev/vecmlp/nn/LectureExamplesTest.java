package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;

/**
 * The worked examples of the lecture on MLPs and backprop, each recomputed by hand in double
 * precision from the same float parameters and compared with the engine on both kernel sets.
 *
 * <p>Tolerance of the small examples: every value here goes through fewer than 30 float32
 * roundings (relative error 2^-24 each) on O(1) numbers, so the engine is within about 2e-6 of the
 * double result; {@link #TOL} = 1e-5 leaves headroom, while a formula mistake (a lost factor, a
 * sign, a missing average or penalty) moves a value by 1e-2 or more.
 */
class LectureExamplesTest {
    private static final double TOL = 1e-5;
    /** Unit roundoff of float32. */
    private static final double U = 0x1p-24;

    static Stream<Kernels> kernels() {
        return Stream.of(KernelProvider.scalar(), KernelProvider.simd());
    }

    private static void assertNear(double expected, double actual, String what) {
        assertWithin(expected, actual, TOL * Math.max(1, Math.abs(expected)), what);
    }

    private static void assertWithin(double expected, double actual, double tol, String what) {
        assertTrue(Math.abs(expected - actual) <= tol,
                () -> what + ": expected " + expected + " ± " + tol + ", found " + actual);
    }

    private static double sigma(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    // ----------------------------------------------------------------------------------------
    // a. Univariate logistic least squares: z = w·x + b, y = σ(z), L = ½(y − t)² + λ/2·w².

    static Stream<Arguments> kernelsAndL2() {
        return kernels().flatMap(k -> Stream.of(Arguments.of(k, 0.0), Arguments.of(k, 0.25)));
    }

    @ParameterizedTest(name = "{0} λ={1}")
    @MethodSource("kernelsAndL2")
    void univariateLogisticLeastSquaresOneExample(Kernels kernels, double lambda) {
        float w = 0.75f, b = -0.25f, x = 1.5f, t = 0.2f;
        try (Model model = Mlp.input(1).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).l2(lambda)
                .build().init(1L, kernels);
             Workspace ws = model.workspace(1)) {
            model.setWeight(0, 0, 0, w);
            model.setBias(0, 0, b);
            ws.setInputs(new float[] {x}, 1);
            ws.setTargets(new float[] {t}, 1);
            double loss = model.forwardBackward(ws, 1);

            double z = (double) w * x + b;
            double y = sigma(z);
            double dy = y - t;
            double dsigma = y * (1 - y);
            assertNear(z, ws.preActivation(0).get(0, 0), "z");
            assertNear(y, ws.outputs().get(0, 0), "y");
            assertNear(0.5 * dy * dy + lambda / 2 * w * w, loss, "L");
            assertNear(dy * dsigma * x + lambda * w, model.weightGradient(0).get(0, 0), "dL/dw");
            assertNear(dy * dsigma, model.biasGradient(0).get(0, 0), "dL/db");
        }
    }

    @ParameterizedTest(name = "{0} λ={1}")
    @MethodSource("kernelsAndL2")
    void univariateLogisticLeastSquaresBatchIsAveraged(Kernels kernels, double lambda) {
        float w = -1.25f, b = 0.5f;
        float[] x = {-2f, -0.5f, 0f, 0.75f, 3f};
        float[] t = {0f, 1f, 0.5f, 0.25f, 1f};
        int n = x.length;
        try (Model model = Mlp.input(1).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).l2(lambda)
                .build().init(1L, kernels);
             Workspace ws = model.workspace(8)) {
            model.setWeight(0, 0, 0, w);
            model.setBias(0, 0, b);
            ws.setInputs(x, n);
            ws.setTargets(t, n);
            double loss = model.forwardBackward(ws, n);

            double sumLoss = 0, sumDw = 0, sumDb = 0;
            for (int i = 0; i < n; i++) {
                double y = sigma((double) w * x[i] + b);
                double dy = y - t[i];
                sumLoss += 0.5 * dy * dy;
                sumDw += dy * y * (1 - y) * x[i];
                sumDb += dy * y * (1 - y);
            }
            assertNear(sumLoss / n + lambda / 2 * w * w, loss, "L");
            assertNear(sumDw / n + lambda * w, model.weightGradient(0).get(0, 0), "dL/dw");
            assertNear(sumDb / n, model.biasGradient(0).get(0, 0), "dL/db");
        }
    }

    // ----------------------------------------------------------------------------------------
    // b. Two-layer MLP: z1 = W1 x + b1, h = φ(z1), z2 = W2 h + b2, y = z2, with backprop by hand.

    static Stream<Arguments> twoLayerCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Kernels k : kernels().toList()) {
            for (Activation phi : List.of(Activation.TANH, Activation.LOGISTIC, Activation.RELU, Activation.SOFTPLUS)) {
                for (Loss loss : Loss.values()) {
                    cases.add(Arguments.of(k, phi, loss));
                }
            }
        }
        return cases.stream();
    }

    private static double phi(Activation a, double z) {
        return switch (a) {
            case TANH -> Math.tanh(z);
            case LOGISTIC -> sigma(z);
            case RELU -> Math.max(0, z);
            case SOFTPLUS -> Math.log1p(Math.exp(z));
            default -> throw new IllegalArgumentException(a.name());
        };
    }

    private static double phiPrime(Activation a, double z) {
        return switch (a) {
            case TANH -> 1 - Math.tanh(z) * Math.tanh(z);
            case LOGISTIC -> sigma(z) * (1 - sigma(z));
            case RELU -> z > 0 ? 1 : 0;
            case SOFTPLUS -> sigma(z);
            default -> throw new IllegalArgumentException(a.name());
        };
    }

    @ParameterizedTest(name = "{0} φ={1} {2}")
    @MethodSource("twoLayerCases")
    void twoLayerBackpropMatchesTheLectureEquations(Kernels kernels, Activation phi, Loss lossKind) {
        int in = 3, hidden = 4, out = 2, n = 3;
        SplittableRandom rng = new SplittableRandom(20250917L + phi.ordinal());
        float[][] w1 = randomMatrix(rng, hidden, in);
        float[] b1 = randomVector(rng, hidden);
        float[][] w2 = randomMatrix(rng, out, hidden);
        float[] b2 = randomVector(rng, out);
        float[][] x = randomMatrix(rng, n, in);
        int[] labels = {1, 0, 1};
        float[][] t = new float[n][];
        for (int i = 0; i < n; i++) {
            t[i] = lossKind == Loss.SQUARED_ERROR ? randomVector(rng, out) : oneHot(labels[i], out);
        }

        // The lecture, one example at a time, then averaged over the batch.
        double expectedLoss = 0;
        double[][] gw1 = new double[hidden][in], gw2 = new double[out][hidden];
        double[] gb1 = new double[hidden], gb2 = new double[out];
        for (int i = 0; i < n; i++) {
            double[] z1 = new double[hidden], h = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                z1[j] = b1[j];
                for (int p = 0; p < in; p++) {
                    z1[j] += (double) w1[j][p] * x[i][p];
                }
                h[j] = phi(phi, z1[j]);
            }
            double[] y = new double[out];
            for (int j = 0; j < out; j++) {
                y[j] = b2[j];
                for (int p = 0; p < hidden; p++) {
                    y[j] += w2[j][p] * h[p];
                }
            }
            double[] yBar = new double[out];
            if (lossKind == Loss.SQUARED_ERROR) {
                for (int j = 0; j < out; j++) {
                    yBar[j] = y[j] - t[i][j];
                    expectedLoss += 0.5 * yBar[j] * yBar[j];
                }
            } else {
                double max = Math.max(y[0], y[1]);
                double lse = max + Math.log(Math.exp(y[0] - max) + Math.exp(y[1] - max));
                for (int j = 0; j < out; j++) {
                    yBar[j] = Math.exp(y[j] - lse) - t[i][j];
                    expectedLoss -= t[i][j] * (y[j] - lse);
                }
            }
            double[] hBar = new double[hidden];
            for (int j = 0; j < out; j++) {
                gb2[j] += yBar[j];
                for (int p = 0; p < hidden; p++) {
                    gw2[j][p] += yBar[j] * h[p];
                    hBar[p] += w2[j][p] * yBar[j];
                }
            }
            for (int j = 0; j < hidden; j++) {
                double z1Bar = hBar[j] * phiPrime(phi, z1[j]);
                gb1[j] += z1Bar;
                for (int p = 0; p < in; p++) {
                    gw1[j][p] += z1Bar * x[i][p];
                }
            }
        }

        try (Model model = Mlp.input(in).dense(hidden, phi).dense(out, Activation.LINEAR).loss(lossKind)
                .build().init(7L, kernels);
             Workspace ws = model.workspace(n)) {
            model.setParameters(concat(rows(w1), b1, rows(w2), b2));
            ws.setInputs(rows(x), n);
            if (lossKind == Loss.SQUARED_ERROR) {
                ws.setTargets(rows(t), n);
            } else {
                ws.setLabels(labels, n);
            }
            double loss = model.forwardBackward(ws, n);

            assertNear(expectedLoss / n, loss, "loss");
            for (int j = 0; j < out; j++) {
                assertNear(gb2[j] / n, model.biasGradient(1).get(0, j), "b̄2[" + j + "]");
                for (int p = 0; p < hidden; p++) {
                    assertNear(gw2[j][p] / n, model.weightGradient(1).get(j, p), "W̄2[" + j + "][" + p + "]");
                }
            }
            for (int j = 0; j < hidden; j++) {
                assertNear(gb1[j] / n, model.biasGradient(0).get(0, j), "b̄1[" + j + "]");
                for (int p = 0; p < in; p++) {
                    assertNear(gw1[j][p] / n, model.weightGradient(0).get(j, p), "W̄1[" + j + "][" + p + "]");
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // c. The hand-designed XOR network of hard-threshold units.

    private static final float[] XOR_INPUTS = {0, 0, 0, 1, 1, 0, 1, 1};
    private static final float[] XOR_OUTPUTS = {0, 1, 1, 0};

    /** h1 = [x1 + x2 − 0.5 > 0] (OR), h2 = [x1 + x2 − 1.5 > 0] (AND), y = [h1 − h2 − 0.5 > 0]. */
    private static Model xorNetwork(Kernels kernels) {
        Model model = Mlp.input(2).dense(2, Activation.HARD_THRESHOLD).dense(1, Activation.HARD_THRESHOLD)
                .loss(Loss.SQUARED_ERROR).build().init(3L, kernels);
        model.setParameters(new float[] {
            1, 1, 1, 1, -0.5f, -1.5f,
            1, -1, -0.5f});
        return model;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void handDesignedThresholdNetworkComputesXor(Kernels kernels) {
        try (Model model = xorNetwork(kernels);
             Predictor p = model.predictor(4)) {
            float[] y = new float[4];
            p.predict(XOR_INPUTS, y);
            assertArrayEquals(XOR_OUTPUTS, y, 0f, "XOR of (0,0), (0,1), (1,0), (1,1)");
            for (int i = 0; i < 4; i++) {
                float[] one = new float[1];
                p.predict(new float[] {XOR_INPUTS[2 * i], XOR_INPUTS[2 * i + 1]}, one);
                assertEquals(XOR_OUTPUTS[i], one[0], 0f, "XOR row " + i + " alone");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void thresholdNetworkHasZeroLossOnXorAndZeroGradientsEvenWhenWrong(Kernels kernels) {
        try (Model model = xorNetwork(kernels);
             Workspace ws = model.workspace(4)) {
            ws.setInputs(XOR_INPUTS, 4);
            ws.setTargets(XOR_OUTPUTS, 4);
            assertEquals(0.0, model.forwardBackward(ws, 4), 0.0, "loss on the XOR targets");

            // Two of four targets wrong by 1: L = (½ + ½) / 4. The step's derivative is 0, so the
            // error never reaches the weights: these units cannot be trained by gradients.
            ws.setTargets(new float[] {1, 1, 1, 1}, 4);
            assertEquals(0.25, model.forwardBackward(ws, 4), 0.0, "loss with two wrong targets");
            float[] g = model.gradientsToArray();
            assertArrayEquals(new float[g.length], g, 0f, "gradients of a hard-threshold network");
        }
    }

    // ----------------------------------------------------------------------------------------
    // d. A deep linear network is one linear layer: W = W3·W2·W1, b = W3(W2 b1 + b2) + b3.

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void deepLinearNetworkEqualsTheComposedLinearLayer(Kernels kernels) {
        int[] widths = {5, 7, 6, 4};
        int in = widths[0], out = widths[3], n = 9;
        SplittableRandom rng = new SplittableRandom(424242L);
        try (Model deep = Mlp.input(in).dense(widths[1], Activation.LINEAR).dense(widths[2], Activation.LINEAR)
                .dense(out, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build().init(11L, kernels);
             Predictor p = deep.predictor(n)) {
            for (int l = 0; l < 3; l++) {
                for (int j = 0; j < widths[l + 1]; j++) {
                    deep.setBias(l, j, (float) (2 * rng.nextDouble() - 1));
                }
            }
            // Composed in double: W = W3·W2·W1, b = W3(W2 b1 + b2) + b3; and the same products on
            // absolute values, which bound the rounding of the layer-by-layer float computation.
            double[][] wAll = null, wAbs = null;
            double[] bAll = null, bAbs = null;
            for (int l = 0; l < 3; l++) {
                double[][] w = toDouble(deep.weights(l).toArray(), widths[l + 1], widths[l]);
                double[] b = toDouble(deep.bias(l).toArray(), 1, widths[l + 1])[0];
                wAll = l == 0 ? w : multiply(w, wAll);
                wAbs = l == 0 ? abs(w) : multiply(abs(w), wAbs);
                bAll = l == 0 ? b : add(multiply(w, bAll), b);
                bAbs = l == 0 ? abs(b) : add(multiply(abs(w), bAbs), abs(b));
            }

            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (4 * rng.nextDouble() - 2);
            }
            float[] y = new float[n * out];
            p.predict(x, y);

            // Each layer's dot products and bias add err by at most (fan-in + 1)·2^-24 of their
            // sum of |terms|, and that error is carried up by |W| of the layers above; with the
            // composed absolute values as the scale, the three layers together err by at most
            // (5 + 7 + 6 + 3)·2^-24·scale to first order. Twice that covers the second order.
            double gamma = (5 + 7 + 6 + 3) * U;
            double[][] xs = toDouble(x, n, in), scale = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] xi = xs[i];
                double[] expected = add(multiply(wAll, xi), bAll);
                scale[i] = add(multiply(wAbs, abs(xi)), bAbs);
                for (int j = 0; j < out; j++) {
                    assertWithin(expected[j], y[i * out + j], 2 * gamma * scale[i][j],
                            "deep linear output [" + i + "][" + j + "] against W3·W2·W1 x + b");
                }
            }

            // The composed layer run by the engine agrees with the deep network to the same bound
            // plus its own: rounding W and b to float and one product of fan-in 5, (5 + 2)·2^-24.
            try (Model shallow = Mlp.input(in).dense(out, Activation.LINEAR).loss(Loss.SQUARED_ERROR)
                    .build().init(11L, kernels);
                 Predictor q = shallow.predictor(n)) {
                float[] params = new float[out * in + out];
                for (int j = 0; j < out; j++) {
                    for (int c = 0; c < in; c++) {
                        params[j * in + c] = (float) wAll[j][c];
                    }
                    params[out * in + j] = (float) bAll[j];
                }
                shallow.setParameters(params);
                float[] ys = new float[y.length];
                q.predict(x, ys);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < out; j++) {
                        assertWithin(y[i * out + j], ys[i * out + j], 2 * (gamma + (in + 2) * U) * scale[i][j],
                                "composed single layer output [" + i + "][" + j + "] against the deep network");
                    }
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------

    private static float[][] randomMatrix(SplittableRandom rng, int rows, int cols) {
        float[][] m = new float[rows][];
        for (int r = 0; r < rows; r++) {
            m[r] = randomVector(rng, cols);
        }
        return m;
    }

    private static float[] randomVector(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return v;
    }

    private static float[] oneHot(int label, int n) {
        float[] v = new float[n];
        v[label] = 1;
        return v;
    }

    /** The rows of {@code m}, one after another. */
    private static float[] rows(float[][] m) {
        return concat(m);
    }

    /** The arrays one after another: PyTorch's order when given rows(W1), b1, rows(W2), b2. */
    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] part : parts) {
            n += part.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    private static double[][] toDouble(float[] a, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[r][c] = a[r * cols + c];
            }
        }
        return m;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b[0].length; j++) {
                for (int p = 0; p < b.length; p++) {
                    c[i][j] += a[i][p] * b[p][j];
                }
            }
        }
        return c;
    }

    private static double[] multiply(double[][] a, double[] v) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            for (int p = 0; p < v.length; p++) {
                c[i] += a[i][p] * v[p];
            }
        }
        return c;
    }

    private static double[] add(double[] a, double[] b) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] + b[i];
        }
        return c;
    }

    private static double[][] abs(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = abs(a[i]);
        }
        return c;
    }

    private static double[] abs(double[] a) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = Math.abs(a[i]);
        }
        return c;
    }
}
