package dev.vecmlp.property;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.kernel.Tolerance;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;

/**
 * The algebra of the lecture, on generated networks and the kernels this JVM uses: a deep linear
 * network is its product matrix; L2 adds exactly λW to each weight gradient; the gradient of
 * softmax cross-entropy sums to zero along each row; a small step against the gradient lowers the
 * loss; permuting hidden units permutes the gradients and leaves the output alone.
 *
 * <p>Each check is a static method taking the case, so that a failure report's pasted code can
 * call it.
 */
class AlgebraPropertiesTest {
    private static final Kernels KERNELS = KernelProvider.best();
    private static final int TRIES = 300;

    // -----------------------------------------------------------------------------------------
    // A deep linear network equals its product matrix

    @Test
    void deepLinearNetworkIsItsProductMatrix() {
        Property.forAll("deep linear = product matrix", NetGen.defaults().activations(Activation.LINEAR),
                        AlgebraPropertiesTest::deepLinear)
                .reproduceWith("AlgebraPropertiesTest.deepLinear(c, Coverage.ignored());").tries(TRIES).check();
    }

    /**
     * The outputs equal {@code P·x + c} with {@code P = W_{L-1}···W_0} and
     * {@code c = W_{L-1}(···(W_1·b_0 + b_1)···) + b_{L-1}}, multiplied out in double first, within
     * the float32 bound of {@link Bounds#forward} (the double arithmetic's own error, under
     * 1e-15 of the same magnitudes, is covered by a 1e-9 relative slack).
     */
    static void deepLinear(NetCase c, Coverage coverage) {
        int in = c.spec().inputs(), out = c.spec().outputs();
        // P starts as the identity, the bias as zeros.
        double[][] p = identity(in);
        double[] bias = new double[in];
        int width = in;
        for (int l = 0; l < c.depth(); l++) {
            Layer layer = c.spec().layer(l);
            double[][] np = new double[layer.outputs()][in];
            double[] nb = new double[layer.outputs()];
            for (int i = 0; i < layer.outputs(); i++) {
                nb[i] = c.parameters()[c.biasIndex(l, i)];
                for (int j = 0; j < width; j++) {
                    double w = c.parameters()[c.weightIndex(l, i, j)];
                    nb[i] += w * bias[j];
                    for (int q = 0; q < in; q++) {
                        np[i][q] += w * p[j][q];
                    }
                }
            }
            p = np;
            bias = nb;
            width = layer.outputs();
        }
        NetCase.Pass pass = c.run(KERNELS);
        double[] bound = Bounds.forward(c);
        coverage.gradients(pass.gradients());
        for (int r = 0; r < c.batch(); r++) {
            for (int i = 0; i < out; i++) {
                double y = bias[i];
                for (int q = 0; q < in; q++) {
                    y += p[i][q] * c.inputs()[r * in + q];
                }
                float got = pass.outputs()[r * out + i];
                double b = bound[r * out + i] * (1 + 1e-9) + 1e-300;
                coverage.boundUsed(Math.abs(got - y) / b);
                if (!(Math.abs(got - y) <= b)) {
                    fail("output [" + r + "][" + i + "]: network " + got + ", product matrix " + y + ", |diff| "
                            + Math.abs(got - y) + " > bound " + b);
                }
            }
        }
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    // -----------------------------------------------------------------------------------------
    // L2 adds exactly λW

    @Test
    void l2AddsLambdaWToEachWeightGradient() {
        Property.forAll("L2 adds λW", NetGen.defaults().withL2(), AlgebraPropertiesTest::l2AddsLambdaW)
                .reproduceWith("AlgebraPropertiesTest.l2AddsLambdaW(c, Coverage.ignored());").tries(TRIES).check();
    }

    /**
     * With λ and without, on the same case: the error signals and activations are bitwise the same
     * (λ does not enter them), so are the bias gradients (not penalized), and each weight gradient
     * differs by λW up to the rounding of two float sums over the batch, one with the extra term
     * λw: {@link Tolerance#sum} of {@code Σ_r|Z̄[r][i]·X[r][j]|} (+ {@code |λw|}) for each.
     */
    static void l2AddsLambdaW(NetCase c, Coverage coverage) {
        float lambda = c.spec().l2();
        NetCase.Pass with = c.run(KERNELS), without = c.withL2(0f).run(KERNELS);
        coverage.deadUnits(c.deadUnits(without));
        coverage.gradients(without.gradients());
        for (int l = 0; l < c.depth(); l++) {
            assertBitwise("layer " + l + " error signal", with.errorSignals()[l], without.errorSignals()[l]);
            assertBitwise("layer " + l + " activation", with.activations()[l], without.activations()[l]);
        }
        for (int l = 0; l < c.depth(); l++) {
            Layer layer = c.spec().layer(l);
            float[] x = l == 0 ? c.inputs() : without.activations()[l - 1];
            float[] g = without.errorSignals()[l];
            for (int i = 0; i < layer.outputs(); i++) {
                int b = c.biasIndex(l, i);
                if (Float.floatToIntBits(with.gradients()[b]) != Float.floatToIntBits(without.gradients()[b])) {
                    fail("layer " + l + " bias [" + i + "]: gradient " + with.gradients()[b] + " with λ " + lambda + ", "
                            + without.gradients()[b] + " without: L2 must leave biases alone");
                }
                for (int j = 0; j < layer.inputs(); j++) {
                    double abs = 0;
                    for (int r = 0; r < c.batch(); r++) {
                        abs += Math.abs((double) g[r * layer.outputs() + i] * x[r * layer.inputs() + j]);
                    }
                    int k = c.weightIndex(l, i, j);
                    double lw = (double) lambda * c.parameters()[k];
                    double diff = (double) with.gradients()[k] - without.gradients()[k];
                    double bound = Tolerance.sum(c.batch(), abs) + Tolerance.sum(c.batch() + 1, abs + Math.abs(lw));
                    coverage.boundUsed(bound == 0 ? (diff == lw ? 0 : 1) : Math.abs(diff - lw) / bound);
                    if (!(Math.abs(diff - lw) <= bound)) {
                        fail("layer " + l + " weight [" + i + "][" + j + "]: gradient with λ minus without is " + diff
                                + ", λW is " + lw + ", |diff − λW| " + Math.abs(diff - lw) + " > bound " + bound);
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Softmax cross-entropy: gradient rows sum to zero

    @Test
    void softmaxCrossEntropyGradientRowsSumToZero() {
        Property.forAll("softmax CE gradient rows sum to 0",
                        NetGen.defaults().losses(Loss.SOFTMAX_CROSS_ENTROPY).outputs(Activation.LINEAR),
                        AlgebraPropertiesTest::softmaxRowsSumToZero)
                .reproduceWith("AlgebraPropertiesTest.softmaxRowsSumToZero(c, Coverage.ignored());").tries(TRIES).check();
    }

    /**
     * The last layer (linear, so its error signal is the loss's gradient in the logits) has
     * {@code Z̄ = (s·softmax(z) − t) / batch} per row, {@code s = Σt}, whose exact sum is 0. The
     * computed sum is within the sum of {@link Tolerance#softmax}'s per-element bounds, and so is
     * the last bias gradient's sum (those rows added up) within the rows' bounds plus the rounding
     * of its column sums.
     */
    static void softmaxRowsSumToZero(NetCase c, Coverage coverage) {
        NetCase.Pass pass = c.run(KERNELS);
        int last = c.depth() - 1, k = c.spec().outputs();
        float[] g = pass.errorSignals()[last], z = pass.preActivations()[last];
        coverage.deadUnits(c.deadUnits(pass));
        coverage.gradients(g);
        double allRows = 0;
        for (int r = 0; r < c.batch(); r++) {
            float[] zr = java.util.Arrays.copyOfRange(z, r * k, (r + 1) * k);
            float[] tr = java.util.Arrays.copyOfRange(c.targets(), r * k, (r + 1) * k);
            double[] b = Tolerance.softmax(zr, tr, 1f / c.batch()).gradient();
            double sum = 0, bound = 0;
            for (int j = 0; j < k; j++) {
                sum += g[r * k + j];
                bound += b[j];
            }
            allRows += bound;
            coverage.boundUsed(Math.abs(sum) / bound);
            if (!(Math.abs(sum) <= bound)) {
                fail("row " + r + ": the gradient in the logits sums to " + sum + ", not 0 within " + bound);
            }
        }
        double biasSum = 0, bound = allRows;
        for (int j = 0; j < k; j++) {
            biasSum += pass.gradients()[c.biasIndex(last, j)];
            double abs = 0;
            for (int r = 0; r < c.batch(); r++) {
                abs += Math.abs(g[r * k + j]);
            }
            bound += Tolerance.sum(c.batch(), abs);
        }
        if (!(Math.abs(biasSum) <= bound)) {
            fail("the last bias gradient sums to " + biasSum + ", not 0 within " + bound);
        }
    }

    // -----------------------------------------------------------------------------------------
    // A small step against the gradient lowers the loss

    @Test
    void aSmallStepAgainstTheGradientLowersTheLoss() {
        Property.forAll("a step along −gradient lowers the loss", NetGen.defaults(), AlgebraPropertiesTest::descent)
                .reproduceWith("AlgebraPropertiesTest.descent(c, Coverage.ignored());").tries(TRIES).check();
    }

    /**
     * Relative noise floor of a float32 loss: the predicted decrease {@code η‖g‖²} must stay
     * above this share of the loss for the comparison to mean anything. A float32 pass through at
     * most 4 layers of fan-in 33 is off by about {@code 4·35·2⁻²⁴ ≈ 8e-6} relative where nothing
     * cancels; 2⁻¹² leaves a factor of 30.
     */
    static final double NOISE = 0x1p-12;

    /**
     * Backtracking: steps {@code θ − η·g} with {@code η‖g‖²} (the first-order decrease) starting
     * at half the loss and halving; the property holds when one of them lowers the loss before
     * the predicted decrease falls under {@link #NOISE} of it. A wrong gradient (wrong sign,
     * wrong unit, missing term) gives no decrease at any small step. Cases with a zero gradient
     * or zero loss have nothing to check.
     */
    static void descent(NetCase c, Coverage coverage) {
        NetCase.Pass pass = c.run(KERNELS);
        coverage.deadUnits(c.deadUnits(pass));
        coverage.gradients(pass.gradients());
        float[] g = pass.gradients();
        double norm2 = 0;
        for (float v : g) {
            norm2 += (double) v * v;
        }
        double loss = pass.loss();
        if (norm2 == 0 || loss == 0) {
            return;
        }
        StringBuilder tried = new StringBuilder();
        for (double decrease = loss / 2; decrease >= NOISE * loss; decrease /= 2) {
            double eta = decrease / norm2;
            float[] p = c.parameters().clone();
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) (p[i] - eta * g[i]);
            }
            double after = c.withParameters(p).loss(KERNELS);
            if (after < loss) {
                return;
            }
            tried.append(String.format("%n  η %.3e (predicted −%.3e): loss %.9e", eta, decrease, after));
        }
        fail("loss " + loss + ", |g|² " + norm2 + ": no step along −g lowered it:" + tried);
    }

    // -----------------------------------------------------------------------------------------
    // Permuting hidden units

    @Test
    void permutingHiddenUnitsPermutesTheGradients() {
        Property.forAll("permuting hidden units", NetGen.defaults().minDepth(2), AlgebraPropertiesTest::permutation)
                .reproduceWith("AlgebraPropertiesTest.permutation(c, Coverage.ignored());").tries(TRIES).check();
    }

    /**
     * Margin for the permuted gradients, relative to the largest absolute term sum of the tensor
     * ({@code max Σ_r|Z̄[r][i]·X[r][j]|} over the weights, {@code max Σ_r|Z̄[r][i]|} over the
     * bias). Permuting a layer's units reorders the sums of the next layer's products, so those
     * come out rounded differently, by up to {@code 35·2⁻²⁴} relative for fan-in 33; the
     * difference then passes through at most three more layers, the loss and back. 2⁻¹⁴ allows
     * an amplification of about 30 on top, which a chain of layers with |φ'| ≤ 1 and weights of
     * variance 1/fan-in stays under; the coverage line prints the largest share of the margin used.
     */
    static final double PERMUTED_MARGIN = 0x1p-14;

    /**
     * Every hidden layer's units reordered by a fixed permutation of its width (rows of W and b,
     * and the next layer's columns with them). Exact: the layers before the first hidden one are
     * untouched, and the first hidden layer's Z and H are its old ones permuted, bit for bit (each
     * unit's dot product has the same terms in the same order). Not exact: the next layer sums
     * its products in another order, so the outputs may differ by rounding, within twice
     * {@link Bounds#forward} (each side's error); all gradients depend on the outputs, so they
     * are compared within {@link #PERMUTED_MARGIN}.
     */
    static void permutation(NetCase c, Coverage coverage) {
        int depth = c.depth();
        int[][] perm = new int[depth][];
        for (int l = 0; l < depth - 1; l++) {
            perm[l] = permutation(c.spec().layer(l).outputs(), l);
        }
        float[] p = c.parameters(), q = new float[p.length];
        for (int l = 0; l < depth; l++) {
            Layer layer = c.spec().layer(l);
            for (int i = 0; i < layer.outputs(); i++) {
                int si = l < depth - 1 ? perm[l][i] : i;
                for (int j = 0; j < layer.inputs(); j++) {
                    int sj = l > 0 ? perm[l - 1][j] : j;
                    q[c.weightIndex(l, i, j)] = p[c.weightIndex(l, si, sj)];
                }
                q[c.biasIndex(l, i)] = p[c.biasIndex(l, si)];
            }
        }
        NetCase permuted = c.withParameters(q);
        NetCase.Pass a = c.run(KERNELS), b = permuted.run(KERNELS);
        coverage.deadUnits(c.deadUnits(a));
        coverage.gradients(a.gradients());

        int w0 = c.spec().layer(0).outputs();
        for (int r = 0; r < c.batch(); r++) {
            for (int i = 0; i < w0; i++) {
                int from = r * w0 + perm[0][i], to = r * w0 + i;
                assertEquals(Float.floatToIntBits(a.preActivations()[0][from]), Float.floatToIntBits(b.preActivations()[0][to]),
                        () -> "layer 0 pre-activation of permuted unit " + to % w0 + " (row " + to / w0 + ")");
                assertEquals(Float.floatToIntBits(a.activations()[0][from]), Float.floatToIntBits(b.activations()[0][to]),
                        () -> "layer 0 activation of permuted unit " + to % w0 + " (row " + to / w0 + ")");
            }
        }
        double[] outBound = Bounds.forward(c);
        for (int e = 0; e < outBound.length; e++) {
            double diff = Math.abs((double) a.outputs()[e] - b.outputs()[e]);
            coverage.boundUsed(diff / (2 * outBound[e]));
            if (!(diff <= 2 * outBound[e])) {
                fail("output [" + e / c.spec().outputs() + "][" + e % c.spec().outputs() + "]: " + a.outputs()[e]
                        + " before the permutation, " + b.outputs()[e] + " after, |diff| " + diff + " > " + 2 * outBound[e]);
            }
        }
        for (int l = 0; l < depth; l++) {
            Layer layer = c.spec().layer(l);
            float[] x = l == 0 ? c.inputs() : a.activations()[l - 1];
            float[] g = a.errorSignals()[l];
            double weightScale = 0, biasScale = 0;
            for (int i = 0; i < layer.outputs(); i++) {
                double bias = 0;
                for (int r = 0; r < c.batch(); r++) {
                    bias += Math.abs(g[r * layer.outputs() + i]);
                }
                biasScale = Math.max(biasScale, bias);
                for (int j = 0; j < layer.inputs(); j++) {
                    double s = 0;
                    for (int r = 0; r < c.batch(); r++) {
                        s += Math.abs((double) g[r * layer.outputs() + i] * x[r * layer.inputs() + j]);
                    }
                    weightScale = Math.max(weightScale, s);
                }
            }
            double lambdaScale = 0;
            for (int i = 0; i < layer.outputs(); i++) {
                for (int j = 0; j < layer.inputs(); j++) {
                    lambdaScale = Math.max(lambdaScale, Math.abs((double) c.spec().l2() * p[c.weightIndex(l, i, j)]));
                }
            }
            double weightTol = PERMUTED_MARGIN * (weightScale + lambdaScale), biasTol = PERMUTED_MARGIN * biasScale;
            for (int i = 0; i < layer.outputs(); i++) {
                int si = l < depth - 1 ? perm[l][i] : i;
                compare(c, a, b, "layer " + l + " bias [" + si + "]", c.biasIndex(l, si), c.biasIndex(l, i), biasTol, coverage);
                for (int j = 0; j < layer.inputs(); j++) {
                    int sj = l > 0 ? perm[l - 1][j] : j;
                    compare(c, a, b, "layer " + l + " weight [" + si + "][" + sj + "]", c.weightIndex(l, si, sj),
                            c.weightIndex(l, i, j), weightTol, coverage);
                }
            }
        }
    }

    private static void compare(NetCase c, NetCase.Pass a, NetCase.Pass b, String what, int from, int to, double tol,
                                Coverage coverage) {
        double diff = Math.abs((double) a.gradients()[from] - b.gradients()[to]);
        coverage.boundUsed(tol == 0 ? (diff == 0 ? 0 : 1) : diff / tol);
        if (!(diff <= tol)) {
            fail(what + ": gradient " + a.gradients()[from] + ", " + b.gradients()[to] + " at its permuted place, |diff| "
                    + diff + " > " + tol);
        }
    }

    /** A fixed permutation of {@code n} for layer {@code l}: the same for every case, so shrinking keeps it. */
    static int[] permutation(int n, int l) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(0x9e37L * n + l);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static void assertBitwise(String what, float[] a, float[] b) {
        for (int e = 0; e < a.length; e++) {
            if (Float.floatToIntBits(a[e]) != Float.floatToIntBits(b[e])) {
                fail(what + " [" + e + "]: " + a[e] + " and " + b[e] + " differ; they must be the same bits");
            }
        }
    }
}
