package dev.vecmlp.kernel;

/**
 * How far a float32 SIMD kernel may be from {@link ScalarKernels}, derived from float32 rounding
 * instead of guessed.
 *
 * <p><b>Model.</b> Every float32 operation returns the exact result times {@code (1 + δ)} with
 * {@code |δ| ≤ u = 2⁻²⁴} (round to nearest; an FMA rounds once). A sum of {@code n} terms, each an
 * exact or once-rounded product, computed in <em>any</em> order and grouping, is within
 * {@code γ_n · Σ|term|} of the exact sum, {@code γ_n = n·u / (1 − n·u)} (Higham, <i>Accuracy and
 * Stability of Numerical Algorithms</i>, §3.1). The order is irrelevant to the bound, so it holds
 * for the SIMD kernels' lane-parallel partial sums, fold trees and reductions alike, without
 * assuming anything about them.
 *
 * <p><b>The reference.</b> {@link ScalarKernels} accumulates in double and rounds once to float at
 * the end, so it is within {@code u·|exact| + γ(double)_n·Σ|term|} of the exact value, and
 * {@code |exact| ≤ Σ|term|}. By the triangle inequality,
 * <pre>  |simd − ref| ≤ (γ_{n+1} + γd_n) · Σ|term|      ({@link #sum})</pre>
 * that is {@code c·(n+1)·u·Σ|term|} with {@code c = 1} up to second-order terms. For a dot product
 * of length {@code k} with a bias the terms are the {@code k} products and the bias, so
 * {@code n + 1 = k + 2}. No extra constant is needed because {@code γ} already covers every
 * summation order. The bound is attained only when all roundings line up, so real errors are far
 * smaller; a kernel that drops or doubles a term, reads a wrong element or stores in the wrong
 * place is off by a whole term, which the bound (about {@code (k+2)·6e-8·Σ|term|}) lets through
 * only when that term is tiny, and the random inputs make such terms rare.
 *
 * <p><b>Transcendentals.</b> The Vector API documents that its lanewise math ({@code EXP},
 * {@code LOG1P}, {@code TANH}) follows the accuracy of the {@code Math} method applied in double
 * and narrowed to float: within 1 float ulp, whether C2 calls the SVML stubs or the Java fallback
 * runs. Composing those operations as the kernels do (see {@link #ACTIVATION_ULPS}) gives at most
 * 5 ulps between SIMD and scalar. Measured on this machine (AVX-512, 512-bit vectors) over 5
 * million inputs, half uniform in [-100, 100], half of magnitude 2⁻³⁰ to 2⁷, the largest
 * difference was 2 ulps for softplus and logistic, whether C1 code ran the Java fallback or C2
 * the SVML stubs, and 1 ulp for tanh under C2 (0 with the fallback). The bound, not the
 * measurement, is what the tests use: it is what the documentation promises.
 *
 * <p>Public (for test code only) because the network properties in {@code property-tests/java}
 * bound float32 sums and softmax rows with it too.
 */
public final class Tolerance {
    /** Unit roundoff of float32. */
    public static final double U = 0x1p-24;
    /** Unit roundoff of double, for the reference's own accumulation. */
    private static final double UD = 0x1p-53;

    /**
     * Ulps allowed between a SIMD transcendental activation and its scalar definition at the same
     * input. Each Vector API operation is within 1 ulp, that is within {@code 2u} relative. Softplus
     * is {@code max(z,0) + log1p(exp(-|z|))}: exp's {@code 2u} passes through log1p with a
     * condition number at most 1, log1p adds {@code 2u}, the final add half an ulp and the
     * reference's own rounding another half: under 5 ulps. Logistic, {@code 1 / (1 + exp(-z))}:
     * {@code 2u + u + u} plus the reference's half ulp, also under 5. Tanh: one operation, 1.5.
     */
    public static final int ACTIVATION_ULPS = 5;

    private Tolerance() {
    }

    /** {@code γ_n = n·u / (1 − n·u)} for float32. */
    static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    private static double gammaDouble(int n) {
        return n * UD / (1 - n * UD);
    }

    /**
     * Bound on {@code |simd − ref|} for a float32 sum of {@code terms} terms whose absolute values
     * add up to {@code absSum}: the SIMD side's {@code γ_terms}, the reference's final rounding
     * (one more {@code u}) and the reference's double accumulation.
     */
    public static double sum(int terms, double absSum) {
        return (gamma(terms + 1) + gammaDouble(terms)) * absSum;
    }

    /**
     * {@code Σ_p |a(i,p)·b(p,j)|} for every output of an {@code m x n x k} product, the quantity
     * {@link #sum} scales. {@code a} is {@code m x k} row-major and {@code bt} is
     * {@code n x k} row-major (B transposed), so both run along {@code p}. Products of two floats
     * are exact in double; the double sum's error is far below the bound it feeds.
     */
    static double[] absProducts(float[] a, float[] bt, int m, int n, int k) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            int ai = i * k;
            for (int j = 0; j < n; j++) {
                int bj = j * k;
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += Math.abs((double) a[ai + p] * bt[bj + p]);
                }
                out[i * n + j] = s;
            }
        }
        return out;
    }

    /**
     * {@code n} ulps of the larger of {@code |x|}, {@code |y|}, but at least {@link Float#MIN_NORMAL}.
     * The floor exists because the SIMD logistic, {@code 1 / (1 + exp(-z))} in float, underflows
     * to 0 once {@code exp(-z)} overflows float ({@code z < -88.72}) while the reference, in double,
     * still returns a subnormal; below the normal range float has no relative precision to compare.
     */
    static double ulps(int n, float x, float y) {
        float big = Math.max(Math.abs(x), Math.abs(y));
        return Math.max(n * (double) Math.ulp(big), Float.MIN_NORMAL);
    }

    /** {@code sup |f'|}: how far an error in {@code z} can move {@code f(z)}; infinite for STEP. */
    static double lipschitz(Pointwise f) {
        return switch (f) {
            case LINEAR, RELU, SOFTPLUS, TANH -> 1;
            case LOGISTIC -> 0.25;
            case STEP -> Double.POSITIVE_INFINITY;
        };
    }

    /**
     * Bound on {@code |h_simd − h_ref|} where {@code h = f(z)} and the two sides computed {@code z}
     * within {@code zBound} of each other: {@code sup|f'| · zBound} plus the function's own
     * ulps (one more for the reference's rounding of {@code f} at a different point). STEP has no
     * derivative bound: it must agree exactly unless {@code z} is within {@code zBound} of its
     * threshold, and then either 0 or 1 is right.
     */
    static double activation(Pointwise f, float zRef, double zBound, float hSimd, float hRef) {
        if (f == Pointwise.STEP) {
            return Math.abs(zRef) > zBound ? 0 : 1;
        }
        return lipschitz(f) * zBound + ulps(ACTIVATION_ULPS + 1, hSimd, hRef);
    }

    /**
     * Bound on {@code |f'_simd(z, h) − f'_ref(z, h)|} at the same {@code z} and {@code h = f(z)},
     * given {@code dRef = f'_ref(z, h)}. LINEAR, RELU, STEP and LOGISTIC ({@code h·(1 − h)}) do
     * the same float operations on both sides, so 0.
     * TANH: the SIMD side computes {@code 1 − h²} with one FMA, the reference rounds {@code h²}
     * first, so they differ by at most {@code u·h² + 2u·|1 − h²|} plus second order; we allow
     * {@code 2u·(h² + |1 − h²|)}. SOFTPLUS' derivative is the logistic function, by exp.
     */
    static double derivative(Pointwise f, float h, float dRef) {
        return switch (f) {
            case LINEAR, RELU, STEP, LOGISTIC -> 0;
            case TANH -> 2 * U * ((double) h * h + Math.abs(1 - (double) h * h));
            case SOFTPLUS -> ulps(ACTIVATION_ULPS, dRef, dRef);
        };
    }

    /**
     * Bound on {@code |fl(v_s·d_s) − fl(v_r·d_r)|}: a product {@code v} known within
     * {@code productBound} (with {@code |v| ≤ absSum}, up to that bound) times a derivative
     * {@code d} known within {@code derivativeBound}, each side rounding its product once.
     * {@code |v_s·d_s − v_r·d_r| ≤ |v_s − v_r|·|d_s| + |v_r|·|d_s − d_r|}.
     */
    static double timesDerivative(double productBound, double absSum, float dRef, double derivativeBound,
                                  float cSimd, float cRef) {
        return productBound * (Math.abs(dRef) + derivativeBound)
                + (absSum + productBound) * derivativeBound
                + 1.01 * U * (Math.abs(cSimd) + Math.abs(cRef));
    }

    /** Per-row bounds of softmax cross-entropy: on the row's loss and on each gradient element. */
    public record Softmax(double loss, double[] gradient) {
    }

    /**
     * Bounds for one row of softmax cross-entropy with logits {@code z}, targets {@code t} and
     * gradient scale {@code scale}, following the SIMD algorithm step by step (first order in u):
     * <ol>
     *   <li>{@code d_j = z_j − max} in float: absolute error {@code u·|d_j| ≤ u·R}, R the row's
     *       range; {@code exp(d_j)} then has relative error {@code u·R + 2u} (1 ulp for EXP).
     *   <li>The float sum S of the exponentials (positive terms): relative error
     *       {@code γ_cols} on top, plus absolute underflow of at most {@code cols·MIN_NORMAL},
     *       and {@code S ≥ 1}. So {@code log S} is within {@code E_S = u·(R + 2) + γ_cols +
     *       cols·MIN_NORMAL}.
     *   <li>{@code lse = max + log S} rounded to float: {@code E_lse = E_S + u·|lse|}.
     *   <li>Loss {@code s·lse − Σ t·z}, with {@code s = Σ t} and {@code Σ t·z} summed in float:
     *       {@code |s|·E_lse + γ_cols·Σ|t|·|lse| + γ_cols·Σ|t·z|}, plus double-sized slack for
     *       the reference's own rounding.
     *   <li>Gradient {@code scale·(s·p_j − t_j)}, {@code p_j = exp(z_j − lse)}: {@code z_j − lse} in
     *       float adds {@code u·|z_j − lse|} to {@code E_lse}, EXP adds {@code 2u}, {@code ·s}
     *       adds {@code u} and the error of s ({@code γ_cols·Σ|t|}), {@code − t_j} adds
     *       {@code u·|s·p_j − t_j|}, {@code ·scale} and the reference's final rounding add
     *       {@code u·|g_j|} each.
     *   <li>Underflow: where {@code p_j} is subnormal (logits 87 or more below the top one) the
     *       relative model fails; EXP is then off by up to 1 ulp of a subnormal,
     *       {@code MIN_VALUE}, and each later rounding by half that, absolutely:
     *       {@code MIN_VALUE·(|scale|·(|s| + 1) + 1)} covers the chain and the reference's rounding.
     * </ol>
     */
    public static Softmax softmax(float[] z, float[] t, float scale) {
        int cols = z.length;
        double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        double sumExp = 0, s = 0, absT = 0, absTZ = 0;
        for (int j = 0; j < cols; j++) {
            sumExp += Math.exp(z[j] - max);
            s += t[j];
            absT += Math.abs(t[j]);
            absTZ += Math.abs((double) t[j] * z[j]);
        }
        double lse = max + Math.log(sumExp);
        double range = max - min;
        double eLse = U * (range + 2) + gamma(cols) + cols * (double) Float.MIN_NORMAL + U * Math.abs(lse);
        double sError = gamma(cols) * absT;
        double slack = gammaDouble(cols + 2) * (Math.abs(s * lse) + absTZ);
        double loss = Math.abs(s) * eLse + sError * Math.abs(lse) + gamma(cols) * absTZ + slack;
        double[] gradient = new double[cols];
        for (int j = 0; j < cols; j++) {
            double p = Math.exp(z[j] - lse);
            double inner = s * p - t[j];
            double pError = eLse + U * Math.abs(z[j] - lse) + 2 * U;
            double g = Math.abs(scale * inner);
            gradient[j] = Math.abs(scale) * (Math.abs(s) * p * (pError + U) + sError * p + U * Math.abs(inner))
                    + 2.01 * U * g
                    + Float.MIN_VALUE * (Math.abs(scale) * (Math.abs(s) + 1) + 1);
        }
        return new Softmax(loss, gradient);
    }
}
