package dev.vecmlp.train;

/**
 * Training met a NaN or infinite value. Thrown before the step's update, so the model keeps the
 * weights (and the optimizer its state) from before the step that diverged. The message says
 * where the first non-finite value appeared: the step, the layer and the tensor.
 */
public final class TrainingDivergedException extends ArithmeticException {
    private final long step;
    private final int epoch;
    private final int layer;
    private final String tensor;

    TrainingDivergedException(String message, long step, int epoch, int layer, String tensor) {
        super(message);
        this.step = step;
        this.epoch = epoch;
        this.layer = layer;
        this.tensor = tensor;
    }

    /** The step (0-based, counted over the run) whose loss or gradient was not finite. */
    public long step() {
        return step;
    }

    /** The epoch (0-based) of that step. */
    public int epoch() {
        return epoch;
    }

    /** The layer (0-based) where the first non-finite value was found, or -1 (the input or the loss itself). */
    public int layer() {
        return layer;
    }

    /** The tensor where it was found: {@code input}, {@code W}, {@code b}, {@code Z}, {@code H}, {@code loss}, {@code error signal}, {@code dW}, {@code db}. */
    public String tensor() {
        return tensor;
    }
}
