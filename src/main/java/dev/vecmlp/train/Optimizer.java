package dev.vecmlp.train;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;

import dev.vecmlp.kernel.Kernels;

/**
 * An optimizer's settings: plain SGD, SGD with momentum (heavy-ball or Nesterov), or Adam, each
 * with optional weight decay. Immutable; each method returns a changed copy. The update runs as
 * one flat loop over the whole parameter slab (see {@link Kernels#momentumStep}), with its state
 * (velocity, or Adam's two moments) in slabs of the same layout, owned by the {@link Trainer}.
 *
 * <p>Weight decay follows PyTorch: {@code weightDecay · w} is added to the gradient of every
 * parameter, biases included, before the update. The lecture's L2 penalty on weights alone is the
 * network's own ({@code Mlp.Builder.l2}); use one or the other.
 *
 * <pre>{@code
 * Optimizer sgd = Optimizer.sgd(0.05).momentum(0.9).weightDecay(1e-4);
 * Optimizer adam = Optimizer.adam(1e-3);
 * }</pre>
 */
public final class Optimizer {
    /** The update rule. */
    public enum Kind { SGD, ADAM }

    private final Kind kind;
    private final float learningRate;
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final float beta1;
    private final float beta2;
    private final float epsilon;

    private Optimizer(Kind kind, float learningRate, float momentum, boolean nesterov, float weightDecay,
                      float beta1, float beta2, float epsilon) {
        this.kind = kind;
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /** Stochastic gradient descent with learning rate {@code lr}, no momentum. */
    public static Optimizer sgd(double lr) {
        return new Optimizer(Kind.SGD, checkRate(lr), 0f, false, 0f, 0f, 0f, 0f);
    }

    /** Adam with learning rate {@code lr}, β1 = 0.9, β2 = 0.999, ε = 1e-8 (the paper's defaults). */
    public static Optimizer adam(double lr) {
        return new Optimizer(Kind.ADAM, checkRate(lr), 0f, false, 0f, 0.9f, 0.999f, 1e-8f);
    }

    /**
     * The optimizer the command line calls {@code name}: {@code sgd}, {@code momentum},
     * {@code nesterov} or {@code adam}, with learning rate {@code lr} (when null: 0.05, or 0.001
     * for adam), momentum {@code mu} (for momentum and nesterov) and weight decay {@code decay}
     * (none when 0). {@code what} names the setting in a message, e.g. {@code "--optimizer"}.
     */
    public static Optimizer named(String what, String name, Double lr, double mu, double decay) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        double rate = lr != null ? lr : n.equals("adam") ? 1e-3 : 0.05;
        Optimizer o = switch (n) {
            case "sgd" -> sgd(rate);
            case "momentum" -> sgd(rate).momentum(mu);
            case "nesterov" -> sgd(rate).momentum(mu).nesterov();
            case "adam" -> adam(rate);
            default -> throw new IllegalArgumentException(what + ": expected sgd, momentum, nesterov or adam, found '" + name + "'");
        };
        return decay != 0 ? o.weightDecay(decay) : o;
    }

    /** SGD with momentum {@code mu} in [0, 1). */
    public Optimizer momentum(double mu) {
        requireKind(Kind.SGD, "momentum");
        float m = checkUnit("momentum", mu);
        if (m == 0f && nesterov) {
            throw new IllegalArgumentException("momentum: Nesterov momentum needs a momentum above 0, found 0");
        }
        return new Optimizer(kind, learningRate, m, nesterov, weightDecay, beta1, beta2, epsilon);
    }

    /** Nesterov's variant of momentum; needs {@link #momentum} above 0. */
    public Optimizer nesterov() {
        requireKind(Kind.SGD, "nesterov");
        if (momentum == 0f) {
            throw new IllegalArgumentException("nesterov: expected a momentum above 0 first (momentum(0.9).nesterov()), found 0");
        }
        return new Optimizer(kind, learningRate, momentum, true, weightDecay, beta1, beta2, epsilon);
    }

    /** Adds {@code lambda · w} to each parameter's gradient; {@code lambda >= 0}. */
    public Optimizer weightDecay(double lambda) {
        if (!(lambda >= 0) || !Float.isFinite((float) lambda)) {
            throw new IllegalArgumentException("weight decay: expected a finite value >= 0, found " + lambda);
        }
        return new Optimizer(kind, learningRate, momentum, nesterov, (float) lambda, beta1, beta2, epsilon);
    }

    /** Adam's moment decay rates, each in [0, 1). */
    public Optimizer betas(double b1, double b2) {
        requireKind(Kind.ADAM, "betas");
        return new Optimizer(kind, learningRate, momentum, nesterov, weightDecay, checkUnit("beta1", b1),
                checkUnit("beta2", b2), epsilon);
    }

    /** Adam's ε, added to the root of the second moment; above 0. */
    public Optimizer epsilon(double eps) {
        requireKind(Kind.ADAM, "epsilon");
        if (!(eps > 0) || !Float.isFinite((float) eps) || (float) eps == 0f) {
            throw new IllegalArgumentException("epsilon: expected a finite value above 0 (as a float), found " + eps);
        }
        return new Optimizer(kind, learningRate, momentum, nesterov, weightDecay, beta1, beta2, (float) eps);
    }

    /** The same settings with another learning rate. */
    public Optimizer learningRate(double lr) {
        return new Optimizer(kind, checkRate(lr), momentum, nesterov, weightDecay, beta1, beta2, epsilon);
    }

    public Kind kind() {
        return kind;
    }

    /** The base learning rate, before any {@link Schedule}. */
    public float learningRate() {
        return learningRate;
    }

    public float momentumValue() {
        return momentum;
    }

    public boolean isNesterov() {
        return nesterov;
    }

    public float weightDecayValue() {
        return weightDecay;
    }

    /** Adam's β1; 0 for SGD. */
    public float beta1Value() {
        return beta1;
    }

    /** Adam's β2; 0 for SGD. */
    public float beta2Value() {
        return beta2;
    }

    /** Adam's ε; 0 for SGD. */
    public float epsilonValue() {
        return epsilon;
    }

    /** Slabs of state the update keeps: 0 for plain SGD, 1 (velocity) with momentum, 2 (m, v) for Adam. */
    public int stateSlabs() {
        return switch (kind) {
            case SGD -> momentum == 0f ? 0 : 1;
            case ADAM -> 2;
        };
    }

    /**
     * Applies update number {@code t} (1-based) with learning rate {@code lr} to parameters
     * {@code [from, to)} of {@code p}, from gradients {@code g} and state {@code s0}, {@code s1}
     * (the same offsets; unused ones may be null).
     */
    void apply(Kernels k, float lr, long t, long from, long to, MemorySegment p, MemorySegment g,
               MemorySegment s0, MemorySegment s1) {
        long n = to - from;
        switch (kind) {
            case SGD -> {
                if (momentum == 0f) {
                    k.sgdStep(n, lr, weightDecay, p, from, g, from);
                } else {
                    k.momentumStep(n, lr, momentum, nesterov, weightDecay, p, from, g, from, s0, from);
                }
            }
            case ADAM -> {
                // The bias corrections in double: 1 − β^t loses all its digits in float once β^t is near 1.
                float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
                float root2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
                k.adamStep(n, stepSize, beta1, beta2, root2, epsilon, weightDecay, p, from, g, from, s0, from, s1, from);
            }
        }
    }

    private void requireKind(Kind expected, String what) {
        if (kind != expected) {
            throw new IllegalArgumentException(what + ": applies to " + expected.name().toLowerCase(Locale.ROOT)
                    + ", found an " + kind.name().toLowerCase(Locale.ROOT) + " optimizer");
        }
    }

    private static float checkRate(double lr) {
        if (!(lr > 0) || !Float.isFinite((float) lr) || (float) lr == 0f) {
            throw new IllegalArgumentException("learning rate: expected a finite value above 0 (as a float), found " + lr);
        }
        return (float) lr;
    }

    private static float checkUnit(String what, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(what + ": expected a value in [0, 1), found " + v);
        }
        return (float) v;
    }

    /** The same update rule with the same settings, compared as float bits. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Optimizer x && x.kind == kind && Float.compare(x.learningRate, learningRate) == 0
                && Float.compare(x.momentum, momentum) == 0 && x.nesterov == nesterov
                && Float.compare(x.weightDecay, weightDecay) == 0 && Float.compare(x.beta1, beta1) == 0
                && Float.compare(x.beta2, beta2) == 0 && Float.compare(x.epsilon, epsilon) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, learningRate, momentum, nesterov, weightDecay, beta1, beta2, epsilon);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case SGD -> "sgd(lr " + learningRate + (momentum != 0f ? ", " + (nesterov ? "nesterov " : "momentum ") + momentum : "")
                    + (weightDecay != 0f ? ", weight decay " + weightDecay : "") + ")";
            case ADAM -> "adam(lr " + learningRate + ", betas " + beta1 + "/" + beta2 + ", eps " + epsilon
                    + (weightDecay != 0f ? ", weight decay " + weightDecay : "") + ")";
        };
    }
}
