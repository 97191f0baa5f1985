package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The part of a {@link Kernels} a forward pass needs, in plain scalar code with exactly the bits
 * of the kernels it stands in for ({@link Kernels#forwardTwin()}).
 *
 * <p><b>Why.</b> Only C2 turns Vector API calls into SIMD instructions. Until it has compiled a
 * kernel, the kernel runs interpreted, about 6,000 times slower than compiled, or in C1 code,
 * about 60 times slower, and boxes every vector: network A's first prediction took about 425 ms
 * and its first 1,000 batch-1 calls about 0.85 s. Scalar code is quick in every tier: the same
 * first prediction about 35 ms, a call about 0.2 ms once C2 has it (a probe on JDK 25). A
 * predictor serves from the twin while the vector kernels warm up elsewhere, and a caller sees
 * the same bits before and after the switch.
 *
 * <p>An instance keeps scratch for one call at a time; it is not safe for concurrent use.
 */
public interface ForwardTwin {
    /** As {@link Kernels#matmulNT}, with the same bits in Z and H. */
    void matmulNT(int m, int n, int k,
                  MemorySegment a, long aOff, int lda,
                  MemorySegment b, long bOff, int ldb,
                  MemorySegment bias, long biasOff,
                  Pointwise f,
                  MemorySegment z, long zOff, int ldz,
                  MemorySegment h, long hOff, int ldh,
                  MemorySegment scratch, long scratchOff);

    /** As {@link Kernels#allFinite}. */
    boolean allFinite(long n, MemorySegment x, long xOff);
}
