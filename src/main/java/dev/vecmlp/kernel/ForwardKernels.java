package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The part of the {@link Kernels} a forward pass needs: the forward product and the finiteness
 * check of its input. {@link Kernels#forwardTwin()} gives an implementation of it alone in plain
 * scalar code with exactly the bits of the kernels it stands in for (a twin).
 *
 * <p><b>Why.</b> Only C2 turns Vector API calls into SIMD instructions. Until it has compiled a
 * kernel, the kernel runs interpreted, about 6,000 times slower than compiled, or in C1 code,
 * about 60 times slower, and boxes every vector: network A's first prediction took 220-290 ms
 * after the model was loaded (Intel, cpu family 6; about 425 on a Zen 5). Scalar code is quick
 * in every tier: the twin's first call took tens of milliseconds, a later one about 0.26 ms. In
 * its opt-in mode a {@code Predictor} serves from the twin while the vector kernels warm up
 * elsewhere, and a caller sees the same bits before and after the switch.
 *
 * <p>A twin keeps scratch for one call at a time; it is not safe for concurrent use. Kernels
 * are (see {@link Kernels}).
 */
public interface ForwardKernels {
    /**
     * Forward product with fused epilogue: {@code Z[m][n] = A[m][k] · B[n][k]ᵀ + bias[n]} and
     * {@code H = f(Z)}.
     *
     * @param bias    the bias vector, or {@code null} for none
     * @param f       the activation applied in the epilogue
     * @param h       where {@code f(Z)} goes; may be the same memory as {@code z}
     * @param scratch memory the kernel may overwrite, at least {@link Kernels#scratchFloatsNT} floats
     *                from {@code scratchOff}; {@code null} (or too small) is allowed and only
     *                costs speed
     */
    void matmulNT(int m, int n, int k,
                  MemorySegment a, long aOff, int lda,
                  MemorySegment b, long bOff, int ldb,
                  MemorySegment bias, long biasOff,
                  Pointwise f,
                  MemorySegment z, long zOff, int ldz,
                  MemorySegment h, long hOff, int ldh,
                  MemorySegment scratch, long scratchOff);

    /** Whether none of {@code n} contiguous floats is NaN or infinite. */
    boolean allFinite(long n, MemorySegment x, long xOff);
}
