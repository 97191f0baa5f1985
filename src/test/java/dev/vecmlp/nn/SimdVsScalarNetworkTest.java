package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.memory.Matrix;

/**
 * Whole networks on the Vector API kernels against the same networks on the scalar kernels: same
 * seed, same parameters, same data; loss, every layer's Z, H and error signal Z̄, and every
 * gradient must agree to within a bound derived from float32 rounding.
 *
 * <h2>The bound</h2>
 * The scalar kernels accumulate in double and round once, so they are within 2^-24 (= u) of
 * exact per value; the difference from the SIMD side is then bounded by a forward error analysis
 * of the SIMD computation, run in double alongside the scalar results:
 * <ul>
 *   <li>a dot product of k terms plus a bias, in float with FMA and in any summation order, errs by
 *       at most (k + 1)·u·Σ|terms| (each term passes through at most k nontrivial roundings); we
 *       use (k + 3)·u to cover the scalar side's own final rounding;
 *   <li>an error already in an operand is carried by the magnitude of what multiplies it
 *       (|W|·δh forward, |W|·δZ̄ backward) and by the Lipschitz constant of φ and φ' (1 for
 *       linear, ReLU, tanh and softplus, ¼ for the logistic);
 *   <li>the activation functions built on exp, log1p and tanh may differ between the two sides
 *       by {@link #FUNCTION_U}·u of their value: the Vector API specifies its transcendental
 *       lanes by the accuracy of the Math method on double narrowed to float (within 1 ulp,
 *       2u), the logistic and softplus add up to two roundings (another 2u) and the scalar side
 *       one (u), 5u in all;
 *   <li>where φ or φ' jumps (hard threshold, ReLU') and the scalar z lies within its error bound
 *       of 0, the two sides may fall on different sides of the jump, so the bound there is the
 *       jump itself (1), carried on to the layers after it;
 *   <li>softmax: an error δ in the logits and the float rounding of log-sum-exp change each
 *       softmax value by a factor of at most exp(δ_j + max δ + u·(|lse| + |z − lse| + n + ...)).
 * </ul>
 * These are first-order worst-case bounds (the absolute values include the errors already
 * present, which covers most of the second order); a mismatch fails when it exceeds
 * {@link #SAFETY} times the bound. Real rounding errors are far smaller than the worst case, so the
 * test does not flake, while a wrong index, a missed tail element or a wrong lane in a fold is
 * off by O(1) of the value and far outside the bound. Every case is seeded; the failure message
 * names the case, seed and shape.
 */
class SimdVsScalarNetworkTest {
    private static final double U = 0x1p-24;
    /** Allowed relative difference of exp-, log1p- and tanh-based functions, in units of u. */
    private static final double FUNCTION_U = 8;
    private static final double SAFETY = 2;
    /** Below the normal range neither side's subnormal results are meaningful. */
    private static final double FLOOR = Float.MIN_NORMAL;

    private static final Activation[] ACTIVATIONS = Activation.values();
    private static final int[] WIDTHS = {1, 15, 16, 17, 33, 64, 65};
    private static final int[] BATCHES = {1, 2, 5, 17, 64};
    private static final long SEED = 0x51_4D_D0_0D_5CA1L;
    /** 6 hidden x 6 last activations x 2 losses x L2 off/on. */
    private static final int CASES = 6 * 6 * 2 * 2;

    /** One random network and its batch; its data comes from the seed too. */
    record Case(int index, long seed, int inputs, int[] widths, Activation hidden, Activation last, Loss loss,
                double l2, int batch, int maxBatch) {
        Mlp spec() {
            Mlp.Builder b = Mlp.input(inputs);
            for (int l = 0; l < widths.length; l++) {
                b.dense(widths[l], l == widths.length - 1 ? last : hidden);
            }
            return b.loss(loss).l2(l2).build();
        }

        @Override
        public String toString() {
            StringBuilder shape = new StringBuilder().append(inputs);
            for (int w : widths) {
                shape.append('-').append(w);
            }
            return "#" + index + " seed=" + seed + " " + shape + " hidden=" + hidden + " last=" + last + " " + loss
                    + " l2=" + l2 + " batch=" + batch + "/" + maxBatch;
        }
    }

    static Stream<Case> cases() {
        return Stream.concat(gridCases(), wideCases());
    }

    /**
     * Fan-ins of 1000 and 4097, and batches over the packing threshold. The forward product splits the output columns into blocks of
     * 64 and 12 (a fixed byte budget of W rows), and a weight block of 4097 x 65 floats is long
     * enough for the chunked float sum of the L2 term.
     */
    static Stream<Case> wideCases() {
        return Stream.of(
                new Case(CASES, SEED + CASES, 1000, new int[] {65, 17}, Activation.TANH, Activation.LINEAR,
                        Loss.SOFTMAX_CROSS_ENTROPY, 0.01, 17, 17),
                new Case(CASES + 1, SEED + CASES + 1, 4097, new int[] {65, 3}, Activation.RELU, Activation.LINEAR,
                        Loss.SQUARED_ERROR, 0.01, 5, 8),
                new Case(CASES + 2, SEED + CASES + 2, 4097, new int[] {33}, Activation.LOGISTIC, Activation.LOGISTIC,
                        Loss.SQUARED_ERROR, 0, 1, 1),
                // Batches of 128 rows and more take the forward product through the transposed,
                // packed weights and the workspace's scratch; 129 leaves an edge row.
                new Case(CASES + 3, SEED + CASES + 3, 100, new int[] {70, 33, 10}, Activation.SOFTPLUS, Activation.LINEAR,
                        Loss.SOFTMAX_CROSS_ENTROPY, 0.01, 129, 130),
                new Case(CASES + 4, SEED + CASES + 4, 64, new int[] {64, 17}, Activation.TANH, Activation.LOGISTIC,
                        Loss.SQUARED_ERROR, 0, 256, 256));
    }

    static Stream<Case> gridCases() {
        return IntStream.range(0, CASES).mapToObj(i -> {
            long seed = SEED + i;
            SplittableRandom rng = new SplittableRandom(seed);
            Activation hidden = ACTIVATIONS[i % 6];
            Activation last = ACTIVATIONS[(i / 6) % 6];
            Loss loss = (i / 36) % 2 == 0 ? Loss.SQUARED_ERROR : Loss.SOFTMAX_CROSS_ENTROPY;
            double l2 = (i / 72) % 2 == 0 ? 0 : 0.01;
            // i % 6 and (i / 2) % 4 together run through all 24 pairs, so every hidden activation
            // meets every depth; inputs and batches cycle through all their values.
            int depth = 1 + (i / 2) % 4;
            int[] widths = new int[depth];
            for (int l = 0; l < depth; l++) {
                boolean softmaxOut = l == depth - 1 && loss == Loss.SOFTMAX_CROSS_ENTROPY;
                widths[l] = softmaxOut ? WIDTHS[1 + rng.nextInt(WIDTHS.length - 1)] : WIDTHS[rng.nextInt(WIDTHS.length)];
            }
            int batch = BATCHES[i % BATCHES.length];
            return new Case(i, seed, WIDTHS[i % WIDTHS.length], widths, hidden, last, loss, l2, batch, batch + i % 3);
        });
    }

    /** What one kernel set computed for a case. */
    private record Run(double loss, double[][][] z, double[][][] h, double[][][] g, double[][][] wGrad, double[][] bGrad) {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void simdNetworkAgreesWithScalarWithinFloatRounding(Case c) {
        Mlp spec = c.spec();
        int depth = spec.depth(), n = c.batch();
        SplittableRandom rng = new SplittableRandom(~c.seed());
        float[] x = uniform(rng, n * spec.inputs(), 1);
        float[] biases = uniform(rng, (int) (spec.parameterCount() - spec.forwardMultiplyAdds()), 0.5);
        float[] targets = new float[n * spec.outputs()];
        int[] labels = new int[n];
        boolean oneHot = spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY && rng.nextBoolean();
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(spec.outputs());
            double sum = 0;
            for (int j = 0; j < spec.outputs(); j++) {
                double v = spec.loss() == Loss.SQUARED_ERROR ? 2 * rng.nextDouble() - 1 : rng.nextDouble();
                targets[i * spec.outputs() + j] = (float) v;
                sum += v;
            }
            if (spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
                // A distribution: soft targets summing to 1, or the one-hot rows setLabels makes.
                for (int j = 0; j < spec.outputs(); j++) {
                    int at = i * spec.outputs() + j;
                    targets[at] = oneHot ? (j == labels[i] ? 1f : 0f) : targets[at] / (float) sum;
                }
            }
        }

        double[][][] w = new double[depth][][];
        double[][] b = new double[depth][];
        Run simd, scalar;
        try (Model simdModel = spec.init(c.seed(), KernelProvider.simd());
             Model scalarModel = spec.init(c.seed(), KernelProvider.scalar())) {
            assertArrayEquals(scalarModel.parametersToArray(), simdModel.parametersToArray(),
                    () -> c + ": initial parameters depend on the kernels");
            for (Model m : List.of(simdModel, scalarModel)) {
                int at = 0;
                for (int l = 0; l < depth; l++) {
                    for (int j = 0; j < spec.layer(l).outputs(); j++) {
                        m.setBias(l, j, biases[at++]);
                    }
                }
            }
            for (int l = 0; l < depth; l++) {
                w[l] = read(scalarModel.weights(l), spec.layer(l).outputs());
                b[l] = read(scalarModel.bias(l), 1)[0];
            }
            simd = run(simdModel, c, x, targets, labels, oneHot);
            scalar = run(scalarModel, c, x, targets, labels, oneHot);
        }

        Bounds e = new Bounds(c, spec, toRows(x, n, spec.inputs()), toRows(targets, n, spec.outputs()), w, b, scalar);
        List<String> failures = new ArrayList<>();
        compare(failures, "loss", scalar.loss(), simd.loss(), e.loss);
        for (int l = 0; l < depth; l++) {
            compare(failures, "Z" + l, scalar.z()[l], simd.z()[l], e.z[l]);
            compare(failures, "H" + l, scalar.h()[l], simd.h()[l], e.h[l]);
            compare(failures, "Z̄" + l, scalar.g()[l], simd.g()[l], e.g[l]);
            compare(failures, "W̄" + l, scalar.wGrad()[l], simd.wGrad()[l], e.w[l]);
            compare(failures, "b̄" + l, new double[][] {scalar.bGrad()[l]}, new double[][] {simd.bGrad()[l]},
                    new double[][] {e.b[l]});
        }
        assertTrue(failures.isEmpty(), () -> c + " (" + spec + "): " + failures.size()
                + " values differ between simd and scalar by more than " + SAFETY + " x the float32 bound, first ones:\n  "
                + String.join("\n  ", failures.subList(0, Math.min(10, failures.size()))));
    }

    private static Run run(Model model, Case c, float[] x, float[] targets, int[] labels, boolean oneHot) {
        Mlp spec = model.spec();
        int depth = spec.depth(), n = c.batch();
        try (Workspace ws = model.workspace(c.maxBatch())) {
            ws.setInputs(x, n);
            if (oneHot) {
                ws.setLabels(labels, n);
            } else {
                ws.setTargets(targets, n);
            }
            double loss = model.forwardBackward(ws, n);
            double[][][] z = new double[depth][][], h = new double[depth][][], g = new double[depth][][];
            double[][][] wGrad = new double[depth][][];
            double[][] bGrad = new double[depth][];
            for (int l = 0; l < depth; l++) {
                z[l] = read(ws.preActivation(l), n);
                h[l] = read(ws.activation(l), n);
                g[l] = read(ws.errorSignal(l), n);
                wGrad[l] = read(model.weightGradient(l), spec.layer(l).outputs());
                bGrad[l] = read(model.biasGradient(l), 1)[0];
            }
            return new Run(loss, z, h, g, wGrad, bGrad);
        }
    }

    /**
     * The forward error analysis of the class comment: for every value the SIMD side computes,
     * a bound on its distance from the scalar side, built from the scalar run's values.
     */
    private static final class Bounds {
        final double[][][] z, h, g, w;
        final double[][] b;
        final double loss;

        Bounds(Case c, Mlp spec, double[][] x, double[][] t, double[][][] weights, double[][] biases, Run s) {
            int depth = spec.depth(), n = c.batch();
            double lambda = spec.l2();
            z = new double[depth][][];
            h = new double[depth][][];
            g = new double[depth][][];
            w = new double[depth][][];
            b = new double[depth][];

            // Forward: Z = H_prev·Wᵀ + b (the inputs X are the same on both sides), then H = φ(Z).
            for (int l = 0; l < depth; l++) {
                Layer layer = spec.layer(l);
                double[][] in = l == 0 ? x : s.h()[l - 1];
                double[][] inErr = l == 0 ? new double[n][layer.inputs()] : h[l - 1];
                z[l] = new double[n][layer.outputs()];
                h[l] = new double[n][layer.outputs()];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < layer.outputs(); j++) {
                        double terms = Math.abs(biases[l][j]), carried = 0;
                        for (int p = 0; p < layer.inputs(); p++) {
                            double aw = Math.abs(weights[l][j][p]);
                            terms += (Math.abs(in[i][p]) + inErr[i][p]) * aw;
                            carried += aw * inErr[i][p];
                        }
                        z[l][i][j] = (layer.inputs() + 3) * U * terms + carried;
                        h[l][i][j] = activationError(layer.activation(), s.z()[l][i][j], s.h()[l][i][j], z[l][i][j]);
                    }
                }
            }

            // The loss and the error signal of the last layer, ∂L/∂H ∘ φ'(Z), with the float
            // 1/batch the engine scales by.
            int last = depth - 1, m = spec.outputs();
            double scale = 1f / n;
            double sumLoss = 0;
            g[last] = new double[n][m];
            for (int i = 0; i < n; i++) {
                double[] y = s.h()[last][i], ey = h[last][i];
                double[] gPre = new double[m], eGPre = new double[m];
                if (spec.loss() == Loss.SQUARED_ERROR) {
                    // g = (y − t)/batch rounds twice; ½d² moves by |d|·δy and sums m terms in float.
                    for (int j = 0; j < m; j++) {
                        double d = y[j] - t[i][j];
                        gPre[j] = scale * d;
                        eGPre[j] = scale * ey[j] + 2 * U * Math.abs(gPre[j]);
                        sumLoss += Math.abs(d) * ey[j] + 0.5 * ey[j] * ey[j] + (m + 3) * U * 0.5 * d * d;
                    }
                } else {
                    double max = Double.NEGATIVE_INFINITY, maxErr = 0, sumT = 0, sumAbsTY = 0, sumTErr = 0;
                    for (int j = 0; j < m; j++) {
                        max = Math.max(max, y[j]);
                        maxErr = Math.max(maxErr, ey[j]);
                        sumT += t[i][j];
                        sumAbsTY += Math.abs(t[i][j] * y[j]);
                        sumTErr += Math.abs(t[i][j]) * ey[j];
                    }
                    double sumExp = 0;
                    for (int j = 0; j < m; j++) {
                        sumExp += Math.exp(y[j] - max);
                    }
                    // log-sum-exp moves by at most max δy, plus its float rounding: the sum of m
                    // exponentials, the log and the final rounding to float (u·|lse|).
                    double lse = max + Math.log(sumExp);
                    double roundLse = U * (m + 2 * FUNCTION_U + 4);
                    for (int j = 0; j < m; j++) {
                        double sm = Math.exp(y[j] - lse);
                        double eps = ey[j] + maxErr + U * Math.abs(lse) + U * Math.abs(y[j] - lse) + roundLse;
                        gPre[j] = scale * (sumT * sm - t[i][j]);
                        eGPre[j] = scale * (sumT * sm * Math.expm1(eps) + (m + 3) * U * (sumT * sm + Math.abs(t[i][j])));
                    }
                    sumLoss += sumT * maxErr + sumTErr + roundLse * (sumT * Math.abs(lse) + sumAbsTY + sumT)
                            + m * U * sumT * Math.abs(lse);
                }
                for (int j = 0; j < m; j++) {
                    g[last][i][j] = productError(spec.layer(last).activation(), gPre[j], eGPre[j],
                            s.z()[last][i][j], s.h()[last][i][j], z[last][i][j], h[last][i][j]);
                }
            }
            // The penalty λ/2·Σ‖W‖², summed in float over each weight block by the SIMD side.
            double l2 = 0;
            for (int l = 0; l < depth && lambda != 0; l++) {
                double sq = 0;
                for (double[] row : weights[l]) {
                    for (double v : row) {
                        sq += v * v;
                    }
                }
                l2 += 0.5 * lambda * (spec.layer(l).weightCount() + 3) * U * sq;
            }
            loss = sumLoss / n + l2 + FLOOR;

            // Backward: W̄ = Z̄ᵀ·H_prev + λW (batch terms), b̄ = column sums of Z̄, and
            // Z̄_prev = (Z̄·W) ∘ φ'(Z_prev) (fan-out terms).
            for (int l = last; l >= 0; l--) {
                Layer layer = spec.layer(l);
                double[][] in = l == 0 ? x : s.h()[l - 1];
                double[][] inErr = l == 0 ? new double[n][layer.inputs()] : h[l - 1];
                double[][] gl = s.g()[l], eg = g[l];
                w[l] = new double[layer.outputs()][layer.inputs()];
                b[l] = new double[layer.outputs()];
                for (int j = 0; j < layer.outputs(); j++) {
                    double biasTerms = 0, biasCarried = 0;
                    for (int i = 0; i < n; i++) {
                        biasTerms += Math.abs(gl[i][j]) + eg[i][j];
                        biasCarried += eg[i][j];
                    }
                    b[l][j] = (n + 2) * U * biasTerms + biasCarried;
                    for (int p = 0; p < layer.inputs(); p++) {
                        double terms = lambda * Math.abs(weights[l][j][p]), carried = 0;
                        for (int i = 0; i < n; i++) {
                            terms += (Math.abs(gl[i][j]) + eg[i][j]) * (Math.abs(in[i][p]) + inErr[i][p]);
                            carried += eg[i][j] * Math.abs(in[i][p]) + (Math.abs(gl[i][j]) + eg[i][j]) * inErr[i][p];
                        }
                        w[l][j][p] = (n + 3) * U * terms + carried;
                    }
                }
                if (l > 0) {
                    Activation prev = spec.layer(l - 1).activation();
                    g[l - 1] = new double[n][layer.inputs()];
                    for (int i = 0; i < n; i++) {
                        for (int p = 0; p < layer.inputs(); p++) {
                            double product = 0, terms = 0, carried = 0;
                            for (int j = 0; j < layer.outputs(); j++) {
                                double aw = Math.abs(weights[l][j][p]);
                                product += gl[i][j] * weights[l][j][p];
                                terms += (Math.abs(gl[i][j]) + eg[i][j]) * aw;
                                carried += eg[i][j] * aw;
                            }
                            double eProduct = (layer.outputs() + 3) * U * terms + carried;
                            g[l - 1][i][p] = productError(prev, product, eProduct,
                                    s.z()[l - 1][i][p], s.h()[l - 1][i][p], z[l - 1][i][p], h[l - 1][i][p]);
                        }
                    }
                }
            }
        }

        /** Bound on |H| difference given the Z difference {@code ez}, at the scalar's z and h. */
        private static double activationError(Activation a, double z, double h, double ez) {
            double f = FUNCTION_U * U;
            return switch (a) {
                case LINEAR, RELU -> ez;
                case TANH, SOFTPLUS -> ez + f * (Math.abs(h) + ez) + FLOOR;
                case LOGISTIC -> ez / 4 + f * (Math.abs(h) + ez / 4) + FLOOR;
                case HARD_THRESHOLD -> Math.abs(z) <= ez ? 1 : 0;
            };
        }

        /**
         * Bound on the difference of {@code v ∘ φ'(z, h)} given the bound {@code ev} on v and the
         * bounds {@code ez}, {@code eh} on z and h.
         */
        private static double productError(Activation a, double v, double ev, double z, double h, double ez, double eh) {
            double d = switch (a) {
                case LINEAR -> 1;
                case HARD_THRESHOLD -> 0;
                case RELU -> z > 0 ? 1 : 0;
                case SOFTPLUS -> 1 / (1 + Math.exp(-z));
                case LOGISTIC -> h * (1 - h);
                case TANH -> 1 - h * h;
            };
            double ed = switch (a) {
                case LINEAR, HARD_THRESHOLD -> 0;
                case RELU -> Math.abs(z) <= ez ? 1 : 0;
                case SOFTPLUS -> ez / 4 + FUNCTION_U * U * d + FLOOR;
                case LOGISTIC -> eh * (Math.abs(1 - 2 * h) + eh) + 4 * U * d + FLOOR;
                case TANH -> eh * (2 * Math.abs(h) + eh) + 4 * U * (d + h * h) + FLOOR;
            };
            return Math.abs(v) * ed + (d + ed) * ev + U * Math.abs(v * d);
        }
    }

    private static void compare(List<String> failures, String what, double expected, double found, double bound) {
        double tol = SAFETY * bound + FLOOR;
        if (!(Math.abs(found - expected) <= tol)) {
            failures.add(what + ": scalar " + expected + ", simd " + found + ", |difference| " + Math.abs(found - expected)
                    + " > allowed " + tol);
        }
    }

    private static void compare(List<String> failures, String what, double[][] expected, double[][] found, double[][] bound) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                compare(failures, what + "[" + i + "][" + j + "]", expected[i][j], found[i][j], bound[i][j]);
            }
        }
    }

    private static double[][] read(Matrix m, int rows) {
        double[][] out = new double[rows][m.cols()];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < m.cols(); c++) {
                out[r][c] = m.get(r, c);
            }
        }
        return out;
    }

    private static double[][] toRows(float[] a, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r][c] = a[r * cols + c];
            }
        }
        return out;
    }

    private static float[] uniform(SplittableRandom rng, int n, double range) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((2 * rng.nextDouble() - 1) * range);
        }
        return a;
    }
}
