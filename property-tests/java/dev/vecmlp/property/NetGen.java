package dev.vecmlp.property;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * Generates {@link NetCase}s within limits a property chooses, and shrinks a failing one without
 * leaving those limits (a property about linear networks never sees its failure "shrunk" to a
 * ReLU network that fails for another reason).
 *
 * <p>Defaults: depth 1 to 4, every width (input, hidden, output) 1 to 33 biased to the lane
 * edges ({@link Gen#laneWidth}), every differentiable activation, both losses, L2 on in half the
 * cases, batch 1 to 17 biased to 1, 16 and 17. Weights are uniform with variance 1/fan-in;
 * biases into ReLU units are positive (0.1 to 0.6) so that few units die on every row;
 * inputs are uniform in [-1, 1]; targets are uniform in [-1, 1] for squared error and one-hot
 * (three cases in four) or a random distribution for softmax cross-entropy.
 *
 * <pre>{@code
 * NetGen linear = NetGen.defaults().activations(Activation.LINEAR).minDepth(2);
 * Property.forAll("deep linear", linear, c -> ...).check();
 * }</pre>
 */
public final class NetGen implements Gen<NetCase> {
    /** The activations with a useful derivative; HARD_THRESHOLD's is 0 everywhere. */
    public static final Set<Activation> DIFFERENTIABLE = EnumSet.of(Activation.LINEAR, Activation.RELU,
            Activation.SOFTPLUS, Activation.LOGISTIC, Activation.TANH);

    private final int minDepth;
    private final int maxDepth;
    private final int maxWidth;
    private final Set<Activation> activations;
    private final Set<Loss> losses;
    private final boolean l2Allowed;
    private final boolean l2Required;
    private final int maxBatch;
    /** The last layer's activations; null for the same as the others. */
    private final Set<Activation> outputActivations;

    private NetGen(int minDepth, int maxDepth, int maxWidth, Set<Activation> activations, Set<Loss> losses,
                   boolean l2Allowed, boolean l2Required, int maxBatch, Set<Activation> outputActivations) {
        if (minDepth < 1 || maxDepth < minDepth) {
            throw new IllegalArgumentException("depth: expected 1 <= min <= max, found " + minDepth + " to " + maxDepth);
        }
        if (activations.isEmpty() || losses.isEmpty()) {
            throw new IllegalArgumentException("expected at least one activation and one loss, found " + activations
                    + " and " + losses);
        }
        this.minDepth = minDepth;
        this.maxDepth = maxDepth;
        this.maxWidth = maxWidth;
        this.activations = Set.copyOf(activations);
        this.losses = Set.copyOf(losses);
        this.l2Allowed = l2Allowed;
        this.l2Required = l2Required;
        this.maxBatch = maxBatch;
        this.outputActivations = outputActivations == null ? null : Set.copyOf(outputActivations);
    }

    /** Depth 1 to 4, widths 1 to 33, the differentiable activations, both losses, L2 on or off, batch 1 to 17. */
    public static NetGen defaults() {
        return new NetGen(1, 4, 33, DIFFERENTIABLE, EnumSet.allOf(Loss.class), true, false, 17, null);
    }

    /** Layers drawn only from {@code allowed}. */
    public NetGen activations(Activation... allowed) {
        return new NetGen(minDepth, maxDepth, maxWidth, EnumSet.copyOf(Arrays.asList(allowed)), losses, l2Allowed,
                l2Required, maxBatch, outputActivations);
    }

    public NetGen losses(Loss... allowed) {
        return new NetGen(minDepth, maxDepth, maxWidth, activations, EnumSet.copyOf(Arrays.asList(allowed)), l2Allowed,
                l2Required, maxBatch, outputActivations);
    }

    /** The last layer's activation drawn only from {@code allowed}. */
    public NetGen outputs(Activation... allowed) {
        return new NetGen(minDepth, maxDepth, maxWidth, activations, losses, l2Allowed, l2Required, maxBatch,
                EnumSet.copyOf(Arrays.asList(allowed)));
    }

    /** At least {@code depth} layers. */
    public NetGen minDepth(int depth) {
        return new NetGen(depth, Math.max(depth, maxDepth), maxWidth, activations, losses, l2Allowed, l2Required, maxBatch,
                outputActivations);
    }

    public NetGen maxDepth(int depth) {
        return new NetGen(minDepth, depth, maxWidth, activations, losses, l2Allowed, l2Required, maxBatch, outputActivations);
    }

    public NetGen maxWidth(int width) {
        return new NetGen(minDepth, maxDepth, width, activations, losses, l2Allowed, l2Required, maxBatch, outputActivations);
    }

    public NetGen maxBatch(int batch) {
        return new NetGen(minDepth, maxDepth, maxWidth, activations, losses, l2Allowed, l2Required, batch, outputActivations);
    }

    /** L2 always off. */
    public NetGen noL2() {
        return new NetGen(minDepth, maxDepth, maxWidth, activations, losses, false, false, maxBatch, outputActivations);
    }

    /** L2 always on. */
    public NetGen withL2() {
        return new NetGen(minDepth, maxDepth, maxWidth, activations, losses, true, true, maxBatch, outputActivations);
    }

    /** Whether {@code c} lies within these limits; shrinking keeps only such cases. */
    public boolean allows(NetCase c) {
        Mlp s = c.spec();
        if (s.depth() < minDepth || s.depth() > maxDepth || !losses.contains(s.loss()) || c.batch() > maxBatch) {
            return false;
        }
        if (s.l2() != 0f ? !l2Allowed : l2Required) {
            return false;
        }
        for (int l = 0; l < s.depth(); l++) {
            if (!allowed(l == s.depth() - 1).contains(s.layer(l).activation())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public NetCase next(SplittableRandom r) {
        int depth = r.nextInt(minDepth, maxDepth + 1);
        Loss loss = pick(r, losses);
        Gen<Integer> width = Gen.laneWidth(1, maxWidth);
        Mlp.Builder b = Mlp.input(width.next(r));
        for (int l = 0; l < depth; l++) {
            Activation[] acts = allowed(l == depth - 1).toArray(new Activation[0]);
            Arrays.sort(acts);
            int w = width.next(r);
            if (l == depth - 1 && loss == Loss.SOFTMAX_CROSS_ENTROPY) {
                w = Math.max(2, w);
            }
            b.dense(w, acts[r.nextInt(acts.length)]);
        }
        boolean l2 = l2Required || l2Allowed && r.nextBoolean();
        if (l2) {
            b.l2(Math.scalb(1.0, r.nextInt(-10, -1)) * (1 + r.nextInt(4)));
        }
        Mlp spec = b.loss(loss).build();
        int[] batches = {1, 1, 16, 17};
        int batch = r.nextInt(3) == 0 ? Math.min(maxBatch, batches[r.nextInt(batches.length)]) : r.nextInt(1, maxBatch + 1);
        float[] p = new float[Math.toIntExact(spec.parameterCount())];
        int at = 0;
        for (Layer layer : spec.layers()) {
            double scale = Math.sqrt(3.0 / layer.inputs());
            for (int i = 0; i < layer.outputs() * layer.inputs(); i++) {
                p[at++] = (float) (scale * (2 * r.nextDouble() - 1));
            }
            for (int u = 0; u < layer.outputs(); u++) {
                p[at++] = layer.activation() == Activation.RELU ? (float) r.nextDouble(0.1, 0.6)
                        : (float) (0.5 * (2 * r.nextDouble() - 1));
            }
        }
        float[] x = Gen.floats(r, batch * spec.inputs(), 1);
        float[] t = new float[batch * spec.outputs()];
        int k = spec.outputs();
        if (loss == Loss.SQUARED_ERROR) {
            t = Gen.floats(r, t.length, 1);
        } else if (r.nextInt(4) > 0) {
            for (int row = 0; row < batch; row++) {
                t[row * k + r.nextInt(k)] = 1f;
            }
        } else {
            for (int row = 0; row < batch; row++) {
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    t[row * k + j] = (float) r.nextDouble();
                    sum += t[row * k + j];
                }
                for (int j = 0; j < k; j++) {
                    t[row * k + j] = (float) (t[row * k + j] / sum);
                }
            }
        }
        return new NetCase(spec, batch, p, x, t);
    }

    private Set<Activation> allowed(boolean last) {
        return last && outputActivations != null ? outputActivations : activations;
    }

    private static <T extends Comparable<T>> T pick(SplittableRandom r, Set<T> set) {
        List<T> sorted = new ArrayList<>(set);
        sorted.sort(null);
        return sorted.get(r.nextInt(sorted.size()));
    }

    /**
     * Simpler cases than {@code c}, simplest first, all within these limits: drop a layer (the
     * next one takes over its inputs; without the last one, the layer before it is the output);
     * narrow a layer or the input, then fewer rows (each to a smaller size, smallest first:
     * {@link Gen#smallerFirst}); a simpler activation (LINEAR, then RELU); L2 off; squared error instead of
     * cross-entropy; zero parameters (all the nonzero ones, each half of them, then one at a
     * time, up to 64); zero inputs, then targets (all, then halves); parameters, inputs and
     * targets rounded to quarters.
     */
    public List<NetCase> shrinks(NetCase c) {
        List<NetCase> out = new ArrayList<>();
        int d = c.depth();
        for (int l = 0; l < d && d > 1; l++) {
            boolean last = l == d - 1;
            if (!last || c.spec().loss() != Loss.SOFTMAX_CROSS_ENTROPY || c.spec().layer(d - 2).outputs() >= 2) {
                out.add(c.dropLayer(l));
            }
        }
        for (int l = -1; l < d; l++) {
            int w = l < 0 ? c.spec().inputs() : c.spec().layer(l).outputs();
            int min = l == d - 1 && c.spec().loss() == Loss.SOFTMAX_CROSS_ENTROPY ? 2 : 1;
            for (int narrower : Gen.smallerFirst(w, min)) {
                out.add(c.narrow(l, narrower));
            }
        }
        for (int rows : Gen.smallerFirst(c.batch(), 1)) {
            out.add(c.firstRows(rows));
        }
        for (int l = 0; l < d; l++) {
            Activation f = c.spec().layer(l).activation();
            if (f != Activation.LINEAR) {
                out.add(c.withActivation(l, Activation.LINEAR));
            }
            if (f != Activation.LINEAR && f != Activation.RELU) {
                out.add(c.withActivation(l, Activation.RELU));
            }
        }
        if (c.spec().l2() != 0f) {
            out.add(c.withL2(0f));
        }
        if (c.spec().loss() != Loss.SQUARED_ERROR) {
            out.add(c.withLoss(Loss.SQUARED_ERROR));
        }
        zeroing(c.parameters(), 64).forEach(p -> out.add(c.withParameters(p)));
        zeroing(c.inputs(), 0).forEach(x -> out.add(c.withInputs(x)));
        zeroing(c.targets(), 0).forEach(t -> out.add(c.withTargets(t)));
        round(c.parameters()).ifPresent(p -> out.add(c.withParameters(p)));
        round(c.inputs()).ifPresent(x -> out.add(c.withInputs(x)));
        round(c.targets()).ifPresent(t -> out.add(c.withTargets(t)));
        out.removeIf(s -> !allows(s) || s.equals(c));
        return out;
    }

    /** All nonzero entries zeroed, then each half of them, then up to {@code singles} one at a time. */
    private static List<float[]> zeroing(float[] a, int singles) {
        int[] nonzero = java.util.stream.IntStream.range(0, a.length).filter(i -> a[i] != 0f).toArray();
        List<float[]> out = new ArrayList<>();
        if (nonzero.length == 0) {
            return out;
        }
        out.add(zero(a, nonzero, 0, nonzero.length));
        if (nonzero.length > 1) {
            out.add(zero(a, nonzero, 0, nonzero.length / 2));
            out.add(zero(a, nonzero, nonzero.length / 2, nonzero.length));
        }
        for (int i = 0; i < Math.min(singles, nonzero.length) && nonzero.length > 1; i++) {
            out.add(zero(a, nonzero, i, i + 1));
        }
        return out;
    }

    private static float[] zero(float[] a, int[] idx, int from, int to) {
        float[] z = a.clone();
        for (int i = from; i < to; i++) {
            z[idx[i]] = 0f;
        }
        return z;
    }

    private static java.util.Optional<float[]> round(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.round(a[i] * 4) / 4f;
        }
        return Arrays.equals(r, a) ? java.util.Optional.empty() : java.util.Optional.of(r);
    }

    @Override
    public String toString() {
        return "depth " + minDepth + ".." + maxDepth + ", widths 1.." + maxWidth + ", " + activations
                + (outputActivations == null ? "" : ", output " + outputActivations) + ", " + losses
                + (l2Required ? ", L2 on" : l2Allowed ? ", L2 on or off" : ", L2 off") + ", batch 1.." + maxBatch;
    }
}
