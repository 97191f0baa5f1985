package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The numerical kernels of an MLP, over float32 matrices in off-heap memory.
 *
 * <p>Conventions for every method: matrices are row-major; a matrix argument is a segment, a
 * float offset into it (not bytes) and, for 2-D operands, a leading dimension {@code ld} (floats
 * from one row to the next). Kernels take plain arguments, keep no state between calls, never
 * allocate on the Java heap, and are safe to call from many threads at once on disjoint outputs.
 * Loss and reduction results are returned as {@code double}.
 *
 * <p>The three matrix products of backprop, with activations batch-major ({@code X[batch][in]})
 * and weights as PyTorch stores them ({@code W[out][in]}):
 * <ul>
 *   <li>forward, "NT": {@code Z = X·Wᵀ + b}, {@code H = f(Z)};
 *   <li>input gradient, "NN": {@code X̄ = (Z̄·W) ∘ f'(Zprev)};
 *   <li>weight gradient, "TN": {@code W̄ = Z̄ᵀ·X + λW}.
 * </ul>
 * Two implementations: {@link ScalarKernels}, the oracle and fallback, and {@code SimdKernels} on
 * the Vector API. {@link KernelProvider#best()} picks one.
 */
public interface Kernels extends ForwardKernels {

    /** A short name for logs and reports, such as {@code "simd-512"} or {@code "scalar"}. */
    String name();

    /** The tuning choices this machine got (a register tile chosen per CPU), for logs and reports; "" for none. */
    default String tuning() {
        return "";
    }

    /**
     * Floats of scratch memory {@link #matmulNT} can use for an {@code m x n} product with inner
     * dimension {@code k} (to repack B); 0 when it has no use for any.
     */
    long scratchFloatsNT(int m, int n, int k);

    /**
     * The fewest rows of A from which {@link #matmulNT} sums each row of C in one order whatever
     * the number of rows: a row's result then has the same bits in a product of any size from
     * this one up. Smaller products may sum in another order (the last bit may differ). 1 when
     * the order never depends on the rows.
     */
    default int uniformRowsNT() {
        return 1;
    }

    /**
     * The forward product and the finiteness check in plain scalar code that gives exactly these
     * kernels' bits, for the calls made before the JIT has compiled the kernels; null when these
     * kernels run at their speed from the first call and need none. A new twin per call: a twin
     * serves one thread at a time.
     */
    default ForwardKernels forwardTwin() {
        return null;
    }

    /**
     * Input-gradient product with the activation derivative fused:
     * {@code C[m][n] = (A[m][k] · B[k][n]) ∘ f'(Z, H)} where {@code Z} and {@code H} are the
     * previous layer's pre-activation and activation ({@code m x n}, leading dims {@code ldz},
     * {@code ldh}). With {@code f == null} (or {@link Pointwise#LINEAR}) it is a plain product and
     * {@code z}, {@code h} are not read (they may be {@code null}).
     */
    void matmulNN(int m, int n, int k,
                  MemorySegment a, long aOff, int lda,
                  MemorySegment b, long bOff, int ldb,
                  Pointwise f,
                  MemorySegment z, long zOff, int ldz,
                  MemorySegment h, long hOff, int ldh,
                  MemorySegment c, long cOff, int ldc);

    /**
     * Weight-gradient product: {@code C[m][n] = A[k][m]ᵀ · B[k][n] + lambda · W[m][n]}. With
     * {@code lambda == 0} the weights are not read ({@code w} may be {@code null}).
     */
    void matmulTN(int m, int n, int k,
                  MemorySegment a, long aOff, int lda,
                  MemorySegment b, long bOff, int ldb,
                  float lambda,
                  MemorySegment w, long wOff, int ldw,
                  MemorySegment c, long cOff, int ldc);

    /**
     * The batch-1 weight gradient as an outer product: {@code C[m][n] = x[m] ⊗ y[n] + lambda·W}.
     */
    void outer(int m, int n,
               MemorySegment x, long xOff,
               MemorySegment y, long yOff,
               float lambda,
               MemorySegment w, long wOff, int ldw,
               MemorySegment c, long cOff, int ldc);

    /** {@code H = f(Z)} elementwise over {@code rows x cols}; {@code h} may alias {@code z}. */
    void activate(Pointwise f, int rows, int cols,
                  MemorySegment z, long zOff, int ldz,
                  MemorySegment h, long hOff, int ldh);

    /** {@code G ∘= f'(Z, H)} elementwise over {@code rows x cols}. */
    void multiplyDerivative(Pointwise f, int rows, int cols,
                            MemorySegment z, long zOff, int ldz,
                            MemorySegment h, long hOff, int ldh,
                            MemorySegment g, long gOff, int ldg);

    /**
     * Softmax cross-entropy of each row of logits {@code Z} against targets {@code T}, fused with
     * its gradient. Per row, with {@code s = Σ t}: loss {@code = s · logsumexp(z) − Σ t·z} and
     * gradient {@code G = scale · (s · softmax(z) − t)} (that is {@code softmax − t} for one-hot
     * targets). Stable for any finite logits.
     *
     * @return the sum of the row losses (not scaled)
     */
    double softmaxCrossEntropy(int rows, int cols,
                               MemorySegment z, long zOff, int ldz,
                               MemorySegment t, long tOff, int ldt,
                               float scale,
                               MemorySegment g, long gOff, int ldg);

    /**
     * Squared error {@code ½‖y − t‖²} summed over the rows, fused with its gradient
     * {@code G = scale · (Y − T)}.
     *
     * @return the sum over rows of {@code ½‖y − t‖²} (not scaled)
     */
    double squaredError(int rows, int cols,
                        MemorySegment y, long yOff, int ldy,
                        MemorySegment t, long tOff, int ldt,
                        float scale,
                        MemorySegment g, long gOff, int ldg);

    /** {@code out[j] = Σ_i A[i][j]}: the bias gradient. */
    void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment out, long outOff);

    /** {@code y += alpha · x} over {@code n} contiguous floats. */
    void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** {@code x *= alpha} over {@code n} contiguous floats. */
    void scale(long n, float alpha, MemorySegment x, long xOff);

    /** {@code Σ x²} over {@code n} contiguous floats. */
    double sumOfSquares(long n, MemorySegment x, long xOff);

    /**
     * {@code y += x} over {@code n} contiguous floats (the fixed-order reduction of gradient
     * shards), reporting whether every sum is finite.
     *
     * @return true when no element of the result is NaN or infinite
     */
    boolean addFinite(long n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /**
     * One plain gradient-descent step over {@code n} contiguous parameters:
     * {@code p −= lr · (g + weightDecay · p)}.
     */
    void sgdStep(long n, float lr, float weightDecay,
                 MemorySegment p, long pOff, MemorySegment g, long gOff);

    /**
     * One SGD step with momentum {@code mu} over {@code n} contiguous parameters, as PyTorch's SGD
     * defines it: {@code g' = g + weightDecay·p}, {@code v = mu·v + g'}, then
     * {@code p −= lr·v}, or with {@code nesterov} {@code p −= lr·(g' + mu·v)}.
     */
    void momentumStep(long n, float lr, float mu, boolean nesterov, float weightDecay,
                      MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment v, long vOff);

    /**
     * One Adam step over {@code n} contiguous parameters (Kingma and Ba, with PyTorch's coupled
     * weight decay): {@code g' = g + weightDecay·p}, {@code m = β1·m + (1−β1)·g'},
     * {@code v = β2·v + (1−β2)·g'²}, {@code p −= stepSize · m / (√v · rootCorrection2 + eps)}, where
     * the caller folds the bias corrections into {@code stepSize = lr / (1 − β1ᵗ)} and
     * {@code rootCorrection2 = 1 / √(1 − β2ᵗ)}.
     */
    void adamStep(long n, float stepSize, float beta1, float beta2, float rootCorrection2, float eps, float weightDecay,
                  MemorySegment p, long pOff, MemorySegment g, long gOff,
                  MemorySegment m, long mOff, MemorySegment v, long vOff);
}
