package dev.vecmlp.kernel;

/**
 * The elementwise functions the kernels know how to fuse, with their scalar definitions. The
 * scalar methods are the reference: {@link ScalarKernels} calls them and the SIMD versions are
 * tested against them.
 *
 * <p>Each derivative takes both the pre-activation {@code z} and the activation {@code h = f(z)},
 * and uses whichever is cheaper: tanh and logistic need only {@code h}.
 */
public enum Pointwise {
    /** f(z) = z. */
    LINEAR,
    /** f(z) = max(0, z) (NaN stays NaN, so divergence is seen); f'(0) is taken as 0. */
    RELU,
    /** Soft ReLU: f(z) = log(1 + e^z), computed as max(z, 0) + log1p(e^-|z|) so it never overflows. */
    SOFTPLUS,
    /** Hard threshold: f(z) = 1 if z > 0, else 0; its derivative is 0 everywhere it exists. */
    STEP,
    /** f(z) = 1 / (1 + e^-z). */
    LOGISTIC,
    /** f(z) = tanh z. */
    TANH;

    private static final Pointwise[] VALUES = values();

    /** The function at {@code z}, in float32. */
    public float apply(float z) {
        return switch (this) {
            case LINEAR -> z;
            case RELU -> Math.max(z, 0f);
            case SOFTPLUS -> Math.max(z, 0f) + (float) Math.log1p(Math.exp(-Math.abs(z)));
            case STEP -> z > 0f ? 1f : 0f;
            case LOGISTIC -> (float) (1.0 / (1.0 + Math.exp(-z)));
            case TANH -> (float) Math.tanh(z);
        };
    }

    /** f'(z), given {@code z} and {@code h = f(z)}. */
    public float derivative(float z, float h) {
        return switch (this) {
            case LINEAR -> 1f;
            case RELU -> z > 0f ? 1f : 0f;
            case SOFTPLUS -> (float) (1.0 / (1.0 + Math.exp(-z)));
            case STEP -> 0f;
            case LOGISTIC -> h * (1f - h);
            case TANH -> 1f - h * h;
        };
    }

    /** The function by ordinal, without the array copy of {@link #values()}. */
    public static Pointwise of(int ordinal) {
        return VALUES[ordinal];
    }
}
