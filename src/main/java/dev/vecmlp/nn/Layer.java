package dev.vecmlp.nn;

import java.util.Objects;

/**
 * One fully connected layer of an {@link Mlp}: {@code y = φ(W x + b)} with {@code W} of shape
 * {@code [outputs][inputs]}.
 *
 * @param inputs     width of the layer's input
 * @param outputs    width of the layer's output
 * @param activation φ
 */
public record Layer(int inputs, int outputs, Activation activation) {
    public Layer {
        Objects.requireNonNull(activation, "activation");
    }

    /** Number of weights, {@code inputs x outputs}. */
    public long weightCount() {
        return (long) inputs * outputs;
    }
}
