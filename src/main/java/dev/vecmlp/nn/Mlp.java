package dev.vecmlp.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;

/**
 * An immutable, validated description of a multilayer perceptron: an input width, dense layers
 * with their activations, a loss and an optional L2 penalty. It owns no memory; {@link #init}
 * makes a {@link Model} from it.
 *
 * <pre>{@code
 * Mlp spec = Mlp.input(784)
 *         .dense(512, Activation.RELU)
 *         .dense(512, Activation.RELU)
 *         .dense(10, Activation.LINEAR)
 *         .loss(Loss.SOFTMAX_CROSS_ENTROPY)
 *         .l2(1e-4)
 *         .build();
 * try (Model model = spec.init(42L)) { ... }
 * }</pre>
 */
public final class Mlp {
    /** The widest layer accepted: keeps every row, stride and matrix index inside an int. */
    public static final int MAX_WIDTH = 1 << 20;

    private final int inputs;
    private final List<Layer> layers;
    private final Loss loss;
    private final float l2;

    private Mlp(int inputs, List<Layer> layers, Loss loss, float l2) {
        this.inputs = inputs;
        this.layers = List.copyOf(layers);
        this.loss = loss;
        this.l2 = l2;
    }

    /** Starts a description with an input of {@code width} features. */
    public static Builder input(int width) {
        return new Builder(width);
    }

    /** Width of the input. */
    public int inputs() {
        return inputs;
    }

    /** Width of the output (of the last layer). */
    public int outputs() {
        return layers.getLast().outputs();
    }

    /** The layers, first to last. */
    public List<Layer> layers() {
        return layers;
    }

    /** Number of layers (weight matrices). */
    public int depth() {
        return layers.size();
    }

    /** Layer {@code index}, counted from 0 (every message and index in vecmlp counts from 0). */
    public Layer layer(int index) {
        return layers.get(index);
    }

    public Loss loss() {
        return loss;
    }

    /** λ of the penalty λ/2·Σ‖W‖²; 0 when off. */
    public float l2() {
        return l2;
    }

    /** Number of trainable parameters (weights and biases, no padding). */
    public long parameterCount() {
        long n = 0;
        for (Layer layer : layers) {
            n += layer.weightCount() + layer.outputs();
        }
        return n;
    }

    /** Multiply-adds of one forward pass for one example: one per weight. */
    public long forwardMultiplyAdds() {
        long n = 0;
        for (Layer layer : layers) {
            n += layer.weightCount();
        }
        return n;
    }

    /** The same network with another L2 coefficient. */
    public Mlp withL2(double lambda) {
        return new Mlp(inputs, layers, loss, checkL2(lambda));
    }

    /**
     * A model with this architecture, weights drawn from a generator seeded with {@code seed}
     * (He initialisation before ReLU and softplus, Glorot otherwise), biases zero; on the best
     * kernels of this JVM.
     */
    public Model init(long seed) {
        return init(seed, KernelProvider.best());
    }

    /** As {@link #init(long)}, on the given kernels. */
    public Model init(long seed, Kernels kernels) {
        Model model = new Model(this, kernels);
        try {
            model.initialize(seed);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * A model with this architecture and the given parameters, in {@link Model#parametersToArray()}
     * order ({@code [W1 row-major, b1, W2, b2, ...]}), on {@code kernels}: what reading a saved
     * model needs, without drawing weights that the saved ones would overwrite (the draw took
     * 105 ms of the first 413 ms of a fresh JVM reading network A's file).
     *
     * @throws IllegalArgumentException if {@code parameters} has not {@link #parameterCount()}
     *         values or one is not finite (the message names the layer, tensor and index)
     */
    public Model withParameters(float[] parameters, Kernels kernels) {
        Objects.requireNonNull(parameters, "parameters");
        Model model = new Model(this, Objects.requireNonNull(kernels, "kernels"));
        try {
            model.setParameters(parameters);
            return model;
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    /** λ is used in float32: it must be finite there too, and not vanish on the way. */
    private static float checkL2(double lambda) {
        float f = (float) lambda;
        if (!(lambda >= 0) || Float.isInfinite(f)) {
            throw new IllegalArgumentException("l2: expected a finite λ >= 0 (at most " + Float.MAX_VALUE
                    + ", the float32 limit), found " + lambda);
        }
        if (lambda > 0 && f == 0f) {
            throw new IllegalArgumentException("l2: expected 0 or a λ of at least " + Float.MIN_VALUE
                    + " (the smallest float32), found " + lambda);
        }
        return f;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(inputs);
        for (Layer layer : layers) {
            sb.append('-').append(layer.outputs()).append(' ').append(layer.activation().name().toLowerCase());
        }
        sb.append(", ").append(loss.name().toLowerCase());
        if (l2 != 0f) {
            sb.append(", l2 ").append(l2);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mlp m && m.inputs == inputs && m.layers.equals(layers) && m.loss == loss
                && Float.compare(m.l2, l2) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputs, layers, loss, l2);
    }

    /** Collects layers; {@link #build()} checks the whole and makes the immutable {@link Mlp}. */
    public static final class Builder {
        private final int inputs;
        private final List<Layer> layers = new ArrayList<>();
        private Loss loss;
        private double l2;

        private Builder(int inputs) {
            this.inputs = checkWidth(inputs, "input");
        }

        /** Adds a fully connected layer of {@code width} units with activation {@code activation}. */
        public Builder dense(int width, Activation activation) {
            String where = "layer " + layers.size();
            checkWidth(width, where);
            if (activation == null) {
                throw new IllegalArgumentException(where + ": expected an activation, found null");
            }
            int in = layers.isEmpty() ? inputs : layers.getLast().outputs();
            layers.add(new Layer(in, width, activation));
            return this;
        }

        public Builder loss(Loss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /** Adds λ/2·Σ‖W‖² to the loss (weights only, not biases). */
        public Builder l2(double lambda) {
            this.l2 = checkL2(lambda);
            return this;
        }

        public Mlp build() {
            if (layers.isEmpty()) {
                throw new IllegalStateException("mlp: expected at least one dense layer, found none");
            }
            if (loss == null) {
                throw new IllegalStateException("mlp: expected a loss (squared error or softmax cross-entropy), found none");
            }
            int out = layers.getLast().outputs();
            if (loss == Loss.SOFTMAX_CROSS_ENTROPY && out < 2) {
                throw new IllegalStateException("mlp: softmax cross-entropy needs at least 2 outputs, found "
                        + out + " in layer " + (layers.size() - 1));
            }
            return new Mlp(inputs, layers, loss, (float) l2);
        }

        /** Shorthand for {@code build().init(seed)}. */
        public Model init(long seed) {
            return build().init(seed);
        }

        private static int checkWidth(int width, String where) {
            if (width < 1 || width > MAX_WIDTH) {
                throw new IllegalArgumentException(where + ": expected a width of 1 to " + MAX_WIDTH + ", found " + width);
            }
            return width;
        }
    }
}
