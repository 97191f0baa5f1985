package dev.vecmlp.check;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.kernel.Pointwise;

/**
 * The engine's kernels with exactly one known bug planted, to show that the gradient check
 * catches it: every call goes to the delegate, and the one call that carries the bug is then
 * corrupted (or changed) the way a real slip in a kernel would.
 */
final class PlantedBugKernels implements Kernels {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** The bugs. */
    enum Bug {
        /** tanh' computed as 1 − h instead of 1 − h², in the fused backward product and at the output. */
        TANH_DERIVATIVE_UNSQUARED,
        /** The logistic's derivative h(1 − h) off by a factor {@link #LOGISTIC_FACTOR}. */
        LOGISTIC_DERIVATIVE_SCALED,
        /** The weight gradient of a square layer written transposed. */
        TRANSPOSED_WEIGHT_GRADIENT,
        /** The bias gradient never written (stays 0 in a fresh gradient slab). */
        MISSING_BIAS_GRADIENT,
        /** In the weight gradient's tail (columns past the last whole vector), the last column read from the one before. */
        TAIL_OFF_BY_ONE,
        /** The weight gradient of the layer of shape {@code scaledRows x scaledColumns} scaled by 1 + 1e-4. */
        ONE_TENSOR_SCALED,
        /** The weight gradient without its L2 term λW. */
        L2_DROPPED
    }

    static final float LOGISTIC_FACTOR = 1.01f;
    static final float SCALE = 1.0001f;

    private final Kernels delegate;
    private final Bug bug;
    private final int lanes;
    private final int scaledRows, scaledColumns;

    /**
     * @param lanes         floats per vector of the delegate (the tail is {@code n % lanes})
     * @param scaledRows    for {@link Bug#ONE_TENSOR_SCALED}: the rows of the weight gradient to scale
     * @param scaledColumns and its columns
     */
    PlantedBugKernels(Kernels delegate, Bug bug, int lanes, int scaledRows, int scaledColumns) {
        this.delegate = Objects.requireNonNull(delegate);
        this.bug = Objects.requireNonNull(bug);
        this.lanes = lanes;
        this.scaledRows = scaledRows;
        this.scaledColumns = scaledColumns;
    }

    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(F, i);
    }

    private static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(F, i, v);
    }

    @Override
    public String name() {
        return delegate.name() + "+" + bug.name().toLowerCase();
    }

    @Override
    public long scratchFloatsNT(int m, int n, int k) {
        return delegate.scratchFloatsNT(m, n, k);
    }

    @Override
    public void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh, MemorySegment scratch, long scratchOff) {
        delegate.matmulNT(m, n, k, a, aOff, lda, b, bOff, ldb, bias, biasOff, f, z, zOff, ldz, h, hOff, ldh, scratch, scratchOff);
    }

    @Override
    public void matmulNN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         Pointwise f, MemorySegment z, long zOff, int ldz, MemorySegment h, long hOff, int ldh,
                         MemorySegment c, long cOff, int ldc) {
        if (bug == Bug.TANH_DERIVATIVE_UNSQUARED && f == Pointwise.TANH) {
            delegate.matmulNN(m, n, k, a, aOff, lda, b, bOff, ldb, Pointwise.LINEAR, null, 0, 0, null, 0, 0, c, cOff, ldc);
            unsquaredTanh(m, n, h, hOff, ldh, c, cOff, ldc);
            return;
        }
        delegate.matmulNN(m, n, k, a, aOff, lda, b, bOff, ldb, f, z, zOff, ldz, h, hOff, ldh, c, cOff, ldc);
        if (bug == Bug.LOGISTIC_DERIVATIVE_SCALED && f == Pointwise.LOGISTIC) {
            scaleBlock(m, n, LOGISTIC_FACTOR, c, cOff, ldc);
        }
    }

    @Override
    public void matmulTN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float lambda, MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        float l = bug == Bug.L2_DROPPED ? 0f : lambda;
        delegate.matmulTN(m, n, k, a, aOff, lda, b, bOff, ldb, l, w, wOff, ldw, c, cOff, ldc);
        switch (bug) {
            case TRANSPOSED_WEIGHT_GRADIENT -> {
                if (m == n) {
                    transpose(m, c, cOff, ldc);
                }
            }
            case TAIL_OFF_BY_ONE -> {
                if (n % lanes != 0 && n >= 2) {
                    for (int i = 0; i < m; i++) {
                        double acc = l == 0f ? 0 : (double) l * get(w, wOff + (long) i * ldw + n - 1);
                        for (int p = 0; p < k; p++) {
                            acc += (double) get(a, aOff + (long) p * lda + i) * get(b, bOff + (long) p * ldb + n - 2);
                        }
                        set(c, cOff + (long) i * ldc + n - 1, (float) acc);
                    }
                }
            }
            case ONE_TENSOR_SCALED -> {
                if (m == scaledRows && n == scaledColumns) {
                    scaleBlock(m, n, SCALE, c, cOff, ldc);
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void outer(int m, int n, MemorySegment x, long xOff, MemorySegment y, long yOff, float lambda,
                      MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        delegate.outer(m, n, x, xOff, y, yOff, bug == Bug.L2_DROPPED ? 0f : lambda, w, wOff, ldw, c, cOff, ldc);
        if (bug == Bug.TRANSPOSED_WEIGHT_GRADIENT && m == n) {
            transpose(m, c, cOff, ldc);
        }
    }

    @Override
    public void activate(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh) {
        delegate.activate(f, rows, cols, z, zOff, ldz, h, hOff, ldh);
    }

    @Override
    public void multiplyDerivative(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                                   MemorySegment h, long hOff, int ldh, MemorySegment g, long gOff, int ldg) {
        if (bug == Bug.TANH_DERIVATIVE_UNSQUARED && f == Pointwise.TANH) {
            unsquaredTanh(rows, cols, h, hOff, ldh, g, gOff, ldg);
            return;
        }
        delegate.multiplyDerivative(f, rows, cols, z, zOff, ldz, h, hOff, ldh, g, gOff, ldg);
        if (bug == Bug.LOGISTIC_DERIVATIVE_SCALED && f == Pointwise.LOGISTIC) {
            scaleBlock(rows, cols, LOGISTIC_FACTOR, g, gOff, ldg);
        }
    }

    /** g ∘= 1 − h: the bug, tanh' without the square. */
    private static void unsquaredTanh(int rows, int cols, MemorySegment h, long hOff, int ldh,
                                      MemorySegment g, long gOff, int ldg) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                long gi = gOff + (long) r * ldg + j;
                set(g, gi, get(g, gi) * (1f - get(h, hOff + (long) r * ldh + j)));
            }
        }
    }

    private static void scaleBlock(int rows, int cols, float factor, MemorySegment c, long cOff, int ldc) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                long i = cOff + (long) r * ldc + j;
                set(c, i, get(c, i) * factor);
            }
        }
    }

    private static void transpose(int n, MemorySegment c, long cOff, int ldc) {
        for (int r = 0; r < n; r++) {
            for (int j = r + 1; j < n; j++) {
                long x = cOff + (long) r * ldc + j, y = cOff + (long) j * ldc + r;
                float t = get(c, x);
                set(c, x, get(c, y));
                set(c, y, t);
            }
        }
    }

    @Override
    public double softmaxCrossEntropy(int rows, int cols, MemorySegment z, long zOff, int ldz, MemorySegment t, long tOff,
                                      int ldt, float scale, MemorySegment g, long gOff, int ldg) {
        return delegate.softmaxCrossEntropy(rows, cols, z, zOff, ldz, t, tOff, ldt, scale, g, gOff, ldg);
    }

    @Override
    public double squaredError(int rows, int cols, MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff, int ldt,
                               float scale, MemorySegment g, long gOff, int ldg) {
        return delegate.squaredError(rows, cols, y, yOff, ldy, t, tOff, ldt, scale, g, gOff, ldg);
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment out, long outOff) {
        if (bug != Bug.MISSING_BIAS_GRADIENT) {
            delegate.columnSums(rows, cols, a, aOff, lda, out, outOff);
        }
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        delegate.axpy(n, alpha, x, xOff, y, yOff);
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff) {
        delegate.scale(n, alpha, x, xOff);
    }

    @Override
    public double sumOfSquares(long n, MemorySegment x, long xOff) {
        return delegate.sumOfSquares(n, x, xOff);
    }

    @Override
    public boolean addFinite(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        return delegate.addFinite(n, x, xOff, y, yOff);
    }

    @Override
    public boolean allFinite(long n, MemorySegment x, long xOff) {
        return delegate.allFinite(n, x, xOff);
    }

    @Override
    public void sgdStep(long n, float lr, float weightDecay, MemorySegment p, long pOff, MemorySegment g, long gOff) {
        delegate.sgdStep(n, lr, weightDecay, p, pOff, g, gOff);
    }

    @Override
    public void momentumStep(long n, float lr, float mu, boolean nesterov, float weightDecay, MemorySegment p, long pOff,
                             MemorySegment g, long gOff, MemorySegment v, long vOff) {
        delegate.momentumStep(n, lr, mu, nesterov, weightDecay, p, pOff, g, gOff, v, vOff);
    }

    @Override
    public void adamStep(long n, float stepSize, float beta1, float beta2, float rootCorrection2, float eps, float weightDecay,
                         MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                         MemorySegment v, long vOff) {
        delegate.adamStep(n, stepSize, beta1, beta2, rootCorrection2, eps, weightDecay, p, pOff, g, gOff, m, mOff, v, vOff);
    }
}
