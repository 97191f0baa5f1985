package dev.vecmlp.nn;

import dev.vecmlp.kernel.Pointwise;

/** The activation functions of a dense layer, φ in y = φ(Wx + b). */
public enum Activation {
    /** φ(z) = z. */
    LINEAR(Pointwise.LINEAR),
    /** φ(z) = max(0, z). */
    RELU(Pointwise.RELU),
    /** Soft ReLU (softplus): φ(z) = log(1 + e^z), overflow-safe. */
    SOFTPLUS(Pointwise.SOFTPLUS),
    /** Hard threshold: φ(z) = 1 if z > 0 else 0. Its derivative is 0, so it cannot be trained by gradients. */
    HARD_THRESHOLD(Pointwise.STEP),
    /** Logistic sigmoid: φ(z) = 1 / (1 + e^-z). */
    LOGISTIC(Pointwise.LOGISTIC),
    /** φ(z) = tanh z. */
    TANH(Pointwise.TANH);

    private final Pointwise pointwise;

    Activation(Pointwise pointwise) {
        this.pointwise = pointwise;
    }

    /** The kernel function that computes this activation. */
    public Pointwise pointwise() {
        return pointwise;
    }

    /** φ(z) in float32, as the kernels compute it. */
    public float apply(float z) {
        return pointwise.apply(z);
    }

    /** φ'(z), given z and h = φ(z). */
    public float derivative(float z, float h) {
        return pointwise.derivative(z, h);
    }

    /**
     * Whether weights feeding this activation start from He initialisation (ReLU-like units,
     * which zero half their inputs) rather than Glorot's.
     */
    boolean usesHeInit() {
        return this == RELU || this == SOFTPLUS;
    }
}
