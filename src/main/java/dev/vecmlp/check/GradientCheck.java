package dev.vecmlp.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/**
 * Gradient checking of an MLP, two verdicts:
 * <ol>
 *   <li>the float64 {@link ReferenceNetwork}'s analytic gradient against central
 *       {@link FiniteDifferences} of its loss, coordinate by coordinate, passing when
 *       {@code |a − n| ≤ 1e-8·S + 1e-5·max(|a|, |n|)}, S the largest |a| in the tensor.
 *       A coordinate where a ReLU or hard-threshold unit (any row of the batch) changes side
 *       between {@code w − h} and {@code w + h} is skipped and counted, never passed;
 *   <li>the float32 engine's gradient (the model's kernels, {@link Model#forwardBackward})
 *       against the reference's, two ways: per coordinate {@code |e − r| ≤ ENGINE_SAFETY·bound},
 *       the bound a worst-case running-error analysis of float32 rounding (see
 *       {@link EngineErrorBound}: γ_n = n·u/(1 − n·u) per sum of n products, u = 2^-24, carried
 *       from layer to layer), which never fails a correct engine but is loose in deep nets; and
 *       per tensor, the least-squares ratio {@code Σ e·r / Σ r²} within a bound of 1 estimated
 *       by simulating float32 rounding ({@link RoundingSimulation}: 16 runs with random
 *       roundings, 8 of their standard deviations plus a floor), which sees a whole tensor off
 *       by a factor of 1 + 1e-4 at any depth.
 * </ol>
 *
 * <pre>{@code
 * try (Model model = spec.init(7L)) {
 *     GradientReport report = GradientCheck.check(model, Batch.random(spec, 8, 1L));
 *     if (!report.passed()) {
 *         System.out.println(report.format());
 *     }
 * }
 * }</pre>
 */
public final class GradientCheck {
    /** Verdict 1's absolute term, times the tensor's largest analytic gradient S. */
    public static final double ABSOLUTE_TOLERANCE = 1e-8;
    /** Verdict 1's relative term, times max(|a|, |n|). */
    public static final double RELATIVE_TOLERANCE = 1e-5;
    /** Verdict 2's factor on the first-order float32 bound, for its second-order terms. */
    public static final double ENGINE_SAFETY = 2;

    private GradientCheck() {
    }

    /**
     * What to check.
     *
     * @param maxCoordinatesPerTensor finite differences at most this many coordinates per tensor,
     *                                drawn without replacement (all when the tensor is smaller);
     *                                verdict 2 always compares every coordinate
     * @param seed                    seed of that draw
     * @param tensors                 names of the tensors to check ({@code W0}, {@code b1}, ...);
     *                                empty for all
     */
    public record Options(int maxCoordinatesPerTensor, long seed, Set<String> tensors) {
        /** Every coordinate of every tensor. */
        public static final Options ALL = new Options(Integer.MAX_VALUE, 1L, Set.of());

        public Options {
            if (maxCoordinatesPerTensor < 1) {
                throw new IllegalArgumentException("maxCoordinatesPerTensor: expected at least 1, found " + maxCoordinatesPerTensor);
            }
            tensors = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(tensors, "tensors")));
        }

        public Options withMaxCoordinatesPerTensor(int max) {
            return new Options(max, seed, tensors);
        }

        public Options withSeed(long s) {
            return new Options(maxCoordinatesPerTensor, s, tensors);
        }

        /** Only these tensors, by name ({@code "W0", "b0", ...}). */
        public Options withTensors(String... names) {
            return new Options(maxCoordinatesPerTensor, seed, Set.of(names));
        }

        boolean includes(String name) {
            return tensors.isEmpty() || tensors.contains(name);
        }
    }

    /** Both verdicts for {@code model} on {@code batch}, every coordinate. */
    public static GradientReport check(Model model, Batch batch) {
        return check(model, batch, Options.ALL);
    }

    /**
     * Both verdicts for {@code model} on {@code batch}. Runs {@link Model#forwardBackward} on a
     * workspace of its own, overwriting the model's gradients.
     */
    public static GradientReport check(Model model, Batch batch, Options options) {
        ReferenceNetwork net = ReferenceNetwork.of(Objects.requireNonNull(model, "model"));
        return check(net, batch, engineGradient(model, net, batch, options), model.kernels().name(), options);
    }

    /**
     * Verdict 2 only, without finite differences (so much cheaper): the engine's gradient against
     * the reference's. The report's {@link GradientReport#finiteDifferences()} is empty.
     */
    public static GradientReport checkEngine(Model model, Batch batch, Options options) {
        ReferenceNetwork net = ReferenceNetwork.of(Objects.requireNonNull(model, "model"));
        float[] engine = engineGradient(model, net, batch, options);
        return new GradientReport(net.spec().toString(), model.kernels().name(), batch.rows(), List.of(),
                compareEngine(net, batch, engine, options));
    }

    /** The model's gradient on {@code batch}, from {@link Model#forwardBackward} on a workspace of its own. */
    private static float[] engineGradient(Model model, ReferenceNetwork net, Batch batch, Options options) {
        Objects.requireNonNull(options, "options");
        net.checkBatch(batch);
        checkNames(net, options);
        try (Workspace ws = model.workspace(batch.rows())) {
            ws.setInputs(batch.inputs(), batch.rows());
            ws.setTargets(batch.targets(), batch.rows());
            model.forwardBackward(ws, batch.rows());
            return model.gradientsToArray();
        }
    }

    /**
     * Verdict 1 only: the reference's analytic gradient against finite differences.
     */
    public static GradientReport checkReference(ReferenceNetwork net, Batch batch, Options options) {
        Objects.requireNonNull(net, "net");
        return checkGradient(net, batch, net.gradient(batch).parameters(), options);
    }

    /**
     * Verdict 1 for any gradient claimed for {@code net}'s loss on {@code batch} (in the order of
     * its parameters): against central differences of the reference's loss, with the kinks
     * skipped. {@link #checkReference} passes the reference's own; an engine's or a hand-derived
     * gradient can be checked the same way.
     */
    public static GradientReport checkGradient(ReferenceNetwork net, Batch batch, double[] gradient, Options options) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(gradient, "gradient");
        Objects.requireNonNull(options, "options");
        net.checkBatch(batch);
        checkNames(net, options);
        if (gradient.length != net.parameterCount()) {
            throw new IllegalArgumentException("gradient: expected " + net.parameterCount() + " values for "
                    + net.spec() + ", found " + gradient.length);
        }
        return new GradientReport(net.spec().toString(), null, batch.rows(),
                finiteDifferences(net, batch, gradient, options), List.of());
    }

    /**
     * Both verdicts for a gradient computed elsewhere (by an engine named {@code engineName}) in
     * the order of {@link Model#gradientsToArray}, at the reference's parameters.
     */
    public static GradientReport check(ReferenceNetwork net, Batch batch, float[] engineGradient, String engineName,
                                       Options options) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(engineGradient, "engineGradient");
        Objects.requireNonNull(engineName, "engineName");
        Objects.requireNonNull(options, "options");
        net.checkBatch(batch);
        checkNames(net, options);
        if (engineGradient.length != net.parameterCount()) {
            throw new IllegalArgumentException("engine gradient: expected " + net.parameterCount() + " values for "
                    + net.spec() + ", found " + engineGradient.length);
        }
        List<TensorReport> fd = finiteDifferences(net, batch, net.gradient(batch).parameters(), options);
        List<TensorReport> eng = compareEngine(net, batch, engineGradient, options);
        return new GradientReport(net.spec().toString(), engineName, batch.rows(), fd, eng);
    }

    private static void checkNames(ReferenceNetwork net, Options options) {
        List<String> names = new ArrayList<>();
        for (int t = 0; t < net.tensorCount(); t++) {
            names.add(net.tensorName(t));
        }
        for (String name : options.tensors()) {
            if (!names.contains(name)) {
                throw new IllegalArgumentException("tensor: expected one of " + String.join(", ", names) + " for "
                        + net.spec() + ", found '" + name + "'");
            }
        }
    }

    private static List<TensorReport> compareEngine(ReferenceNetwork net, Batch batch, float[] engine, Options options) {
        double[] reference = net.gradient(batch).parameters();
        double[] bound = EngineErrorBound.compute(net, batch);
        double[] ratioBound = RoundingSimulation.ratioBounds(net, batch, reference, options.seed());
        List<TensorReport> out = new ArrayList<>();
        for (int t = 0; t < net.tensorCount(); t++) {
            String name = net.tensorName(t);
            if (!options.includes(name)) {
                continue;
            }
            TensorStats stats = new TensorStats(name, t / 2, t % 2 == 1, true);
            int o = net.tensorOffset(t), cols = net.tensorColumns(t);
            for (int i = 0; i < net.tensorSize(t); i++) {
                stats.add(i / cols, i % cols, reference[o + i], engine[o + i], ENGINE_SAFETY * bound[o + i]);
            }
            out.add(stats.build(ratioBound[t]));
        }
        return out;
    }

    private static List<TensorReport> finiteDifferences(ReferenceNetwork net, Batch batch, double[] analytic,
                                                        Options options) {
        Mlp spec = net.spec();
        double[] p = net.parameters();
        ReferenceNetwork.Trace base = net.forward(p, batch, 0, null);
        List<TensorReport> out = new ArrayList<>();
        for (int t = 0; t < net.tensorCount(); t++) {
            String name = net.tensorName(t);
            if (!options.includes(name)) {
                continue;
            }
            int layer = t / 2, o = net.tensorOffset(t), size = net.tensorSize(t), cols = net.tensorColumns(t);
            double s = 0;
            for (int i = 0; i < size; i++) {
                s = Math.max(s, Math.abs(analytic[o + i]));
            }
            TensorStats stats = new TensorStats(name, layer, t % 2 == 1, false);
            for (int i : sample(size, options.maxCoordinatesPerTensor(), options.seed() * 31 + t)) {
                double w = p[o + i];
                double[] h = FiniteDifferences.steps(w);
                p[o + i] = w + h[0];
                ReferenceNetwork.Trace plus = net.forward(p, batch, layer, base);
                p[o + i] = w - h[1];
                ReferenceNetwork.Trace minus = net.forward(p, batch, layer, base);
                p[o + i] = w;
                if (changesSide(spec, base, plus, layer) || changesSide(spec, base, minus, layer)) {
                    stats.skip();
                    continue;
                }
                double a = analytic[o + i];
                double n = (plus.loss - minus.loss) / (h[0] + h[1]);
                double allowed = ABSOLUTE_TOLERANCE * s + RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(n));
                stats.add(i / cols, i % cols, a, n, allowed);
            }
            out.add(stats.build());
        }
        return out;
    }

    /**
     * Whether a pre-activation of a ReLU or hard-threshold unit, in layer {@code from} or after,
     * has another sign (−, 0 or +) in {@code moved} than in {@code base}: the loss has a kink or
     * a jump between the two, and a central difference across it means nothing.
     */
    static boolean changesSide(Mlp spec, ReferenceNetwork.Trace base, ReferenceNetwork.Trace moved, int from) {
        for (int l = from; l < spec.depth(); l++) {
            Activation f = spec.layer(l).activation();
            if (f != Activation.RELU && f != Activation.HARD_THRESHOLD) {
                continue;
            }
            double[] z0 = base.z[l], z1 = moved.z[l];
            for (int i = 0; i < z0.length; i++) {
                if (Math.signum(z0[i]) != Math.signum(z1[i])) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code min(size, max)} distinct indices in {@code [0, size)}, ascending; all of them when they fit. */
    static int[] sample(int size, int max, long seed) {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) {
            all[i] = i;
        }
        if (size <= max) {
            return all;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < max; i++) {
            int j = i + rng.nextInt(size - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        int[] picked = Arrays.copyOf(all, max);
        Arrays.sort(picked);
        return picked;
    }
}
