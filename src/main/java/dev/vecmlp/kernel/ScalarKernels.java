package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain loops, written to be obviously right: the oracle every SIMD kernel is tested against, and
 * the fallback when {@code jdk.incubator.vector} is not readable. Dot products accumulate in
 * {@code double}, so in tests this class is close to the exact result and the float32 rounding
 * bound applies to the SIMD side alone.
 */
public final class ScalarKernels implements Kernels {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** The one instance; the class holds no state. */
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    private static float get(MemorySegment s, long index) {
        return s.getAtIndex(F, index);
    }

    private static void set(MemorySegment s, long index, float v) {
        s.setAtIndex(F, index, v);
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public long scratchFloatsNT(int m, int n, int k) {
        return 0;
    }

    @Override
    public void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh, MemorySegment scratch, long scratchOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = bias == null ? 0.0 : get(bias, biasOff + j);
                for (int p = 0; p < k; p++) {
                    acc += (double) get(a, aOff + (long) i * lda + p) * get(b, bOff + (long) j * ldb + p);
                }
                float zv = (float) acc;
                set(z, zOff + (long) i * ldz + j, zv);
                set(h, hOff + (long) i * ldh + j, f.apply(zv));
            }
        }
    }

    @Override
    public void matmulNN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         Pointwise f, MemorySegment z, long zOff, int ldz, MemorySegment h, long hOff, int ldh,
                         MemorySegment c, long cOff, int ldc) {
        boolean derivative = f != null && f != Pointwise.LINEAR;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0.0;
                for (int p = 0; p < k; p++) {
                    acc += (double) get(a, aOff + (long) i * lda + p) * get(b, bOff + (long) p * ldb + j);
                }
                float v = (float) acc;
                if (derivative) {
                    v *= f.derivative(get(z, zOff + (long) i * ldz + j), get(h, hOff + (long) i * ldh + j));
                }
                set(c, cOff + (long) i * ldc + j, v);
            }
        }
    }

    @Override
    public void matmulTN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float lambda, MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0.0;
                for (int p = 0; p < k; p++) {
                    acc += (double) get(a, aOff + (long) p * lda + i) * get(b, bOff + (long) p * ldb + j);
                }
                if (lambda != 0f) {
                    acc += (double) lambda * get(w, wOff + (long) i * ldw + j);
                }
                set(c, cOff + (long) i * ldc + j, (float) acc);
            }
        }
    }

    @Override
    public void outer(int m, int n, MemorySegment x, long xOff, MemorySegment y, long yOff, float lambda,
                      MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            float xi = get(x, xOff + i);
            for (int j = 0; j < n; j++) {
                double v = (double) xi * get(y, yOff + j);
                if (lambda != 0f) {
                    v += (double) lambda * get(w, wOff + (long) i * ldw + j);
                }
                set(c, cOff + (long) i * ldc + j, (float) v);
            }
        }
    }

    @Override
    public void activate(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                set(h, hOff + (long) i * ldh + j, f.apply(get(z, zOff + (long) i * ldz + j)));
            }
        }
    }

    @Override
    public void multiplyDerivative(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                                   MemorySegment h, long hOff, int ldh, MemorySegment g, long gOff, int ldg) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long gi = gOff + (long) i * ldg + j;
                float d = f.derivative(get(z, zOff + (long) i * ldz + j), get(h, hOff + (long) i * ldh + j));
                set(g, gi, get(g, gi) * d);
            }
        }
    }

    @Override
    public double softmaxCrossEntropy(int rows, int cols, MemorySegment z, long zOff, int ldz,
                                      MemorySegment t, long tOff, int ldt, float scale,
                                      MemorySegment g, long gOff, int ldg) {
        double total = 0.0;
        for (int i = 0; i < rows; i++) {
            long zr = zOff + (long) i * ldz, tr = tOff + (long) i * ldt, gr = gOff + (long) i * ldg;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, get(z, zr + j));
            }
            double sumExp = 0.0, sumT = 0.0, sumTZ = 0.0;
            for (int j = 0; j < cols; j++) {
                float zj = get(z, zr + j), tj = get(t, tr + j);
                sumExp += Math.exp(zj - max);
                sumT += tj;
                sumTZ += (double) tj * zj;
            }
            double lse = max + Math.log(sumExp);
            total += sumT * lse - sumTZ;
            for (int j = 0; j < cols; j++) {
                double softmax = Math.exp(get(z, zr + j) - lse);
                set(g, gr + j, (float) (scale * (sumT * softmax - get(t, tr + j))));
            }
        }
        return total;
    }

    @Override
    public double squaredError(int rows, int cols, MemorySegment y, long yOff, int ldy,
                               MemorySegment t, long tOff, int ldt, float scale,
                               MemorySegment g, long gOff, int ldg) {
        double total = 0.0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float d = get(y, yOff + (long) i * ldy + j) - get(t, tOff + (long) i * ldt + j);
                total += 0.5 * d * d;
                set(g, gOff + (long) i * ldg + j, scale * d);
            }
        }
        return total;
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment out, long outOff) {
        for (int j = 0; j < cols; j++) {
            double s = 0.0;
            for (int i = 0; i < rows; i++) {
                s += get(a, aOff + (long) i * lda + j);
            }
            set(out, outOff + j, (float) s);
        }
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            set(y, yOff + i, get(y, yOff + i) + alpha * get(x, xOff + i));
        }
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff) {
        for (long i = 0; i < n; i++) {
            set(x, xOff + i, alpha * get(x, xOff + i));
        }
    }

    @Override
    public double sumOfSquares(long n, MemorySegment x, long xOff) {
        double s = 0.0;
        for (long i = 0; i < n; i++) {
            double v = get(x, xOff + i);
            s += v * v;
        }
        return s;
    }

    @Override
    public boolean addFinite(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        boolean finite = true;
        for (long i = 0; i < n; i++) {
            float r = get(y, yOff + i) + get(x, xOff + i);
            set(y, yOff + i, r);
            finite &= Float.isFinite(r);
        }
        return finite;
    }

    @Override
    public boolean allFinite(long n, MemorySegment x, long xOff) {
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(get(x, xOff + i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void sgdStep(long n, float lr, float weightDecay, MemorySegment p, long pOff, MemorySegment g, long gOff) {
        for (long i = 0; i < n; i++) {
            float w = get(p, pOff + i);
            float d = get(g, gOff + i) + weightDecay * w;
            set(p, pOff + i, w - lr * d);
        }
    }

    @Override
    public void momentumStep(long n, float lr, float mu, boolean nesterov, float weightDecay,
                             MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment v, long vOff) {
        for (long i = 0; i < n; i++) {
            float w = get(p, pOff + i);
            float d = get(g, gOff + i) + weightDecay * w;
            float vel = mu * get(v, vOff + i) + d;
            set(v, vOff + i, vel);
            set(p, pOff + i, w - lr * (nesterov ? d + mu * vel : vel));
        }
    }

    @Override
    public void adamStep(long n, float stepSize, float beta1, float beta2, float rootCorrection2, float eps,
                         float weightDecay, MemorySegment p, long pOff, MemorySegment g, long gOff,
                         MemorySegment m, long mOff, MemorySegment v, long vOff) {
        for (long i = 0; i < n; i++) {
            float w = get(p, pOff + i);
            float d = get(g, gOff + i) + weightDecay * w;
            float mi = beta1 * get(m, mOff + i) + (1 - beta1) * d;
            float vi = beta2 * get(v, vOff + i) + (1 - beta2) * d * d;
            set(m, mOff + i, mi);
            set(v, vOff + i, vi);
            set(p, pOff + i, w - stepSize * mi / ((float) Math.sqrt(vi) * rootCorrection2 + eps));
        }
    }
}
