package dev.vecmlp.nn;

/**
 * The data term of the training objective, averaged over the batch. An optional L2 penalty
 * λ/2·Σ‖W‖² over the weight matrices (not the biases) is set on the {@link Mlp}.
 */
public enum Loss {
    /** ½‖y − t‖² per example, on the outputs of the last layer. */
    SQUARED_ERROR,
    /**
     * Softmax of the last layer's outputs, then cross-entropy −Σ t·log softmax(y) against the
     * targets (one-hot or any distribution); computed through log-sum-exp, so any finite logits
     * are safe. The last layer is normally {@link Activation#LINEAR}.
     */
    SOFTMAX_CROSS_ENTROPY
}
