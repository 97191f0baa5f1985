package dev.vecmlp.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Pointwise;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Plan;
import dev.vecmlp.nn.Workspace;

/**
 * One step of a network's plan at a time, one thread: where a forward and a backward pass spend
 * their time. {@code step} names a step as {@code kind:layer} (layers from 0): {@code dense},
 * {@code loss}, {@code weight_gradient}, {@code bias_gradient}, {@code input_gradient} run
 * {@code Plan.execute} on a workspace that a whole forward and backward pass has filled (every
 * step reads what the pass left and rewrites the same values, so repeating it is the real work).
 *
 * <p>{@code derivative:l} is the activation derivative Z̄_l = H̄_l ∘ φ'(Z_l), which the real run
 * fuses into the epilogue of {@code input_gradient:l+1}; here it runs alone
 * ({@code Kernels.multiplyDerivative}, batch x width of layer l), so its time is an upper bound on
 * what the fused epilogue adds. Its operands are synthetic (Z = 0, H = φ(0), Z̄ = 1): in-place
 * repetition on real values would shrink Z̄ into subnormals, which run at another speed; the
 * lane-wise kernel's time does not otherwise depend on the values.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class StepBench {
    @Param({"A"})
    public String net;

    @Param({"32"})
    public int batch;

    @Param({"dense:0", "dense:1", "dense:2", "loss:2", "weight_gradient:2", "bias_gradient:2", "input_gradient:2",
        "derivative:1", "weight_gradient:1", "bias_gradient:1", "input_gradient:1", "derivative:0", "weight_gradient:0",
        "bias_gradient:0"})
    public String step;

    private Model model;
    private Workspace ws;
    private Plan.Step planStep;
    private Slab derivative;
    private Pointwise f;
    private Matrix z;
    private Matrix h;
    private Matrix g;

    /**
     * The steps of {@code spec} in the order a forward and backward pass runs them, each
     * activation derivative just before the input gradient it is fused into.
     */
    public static List<String> steps(Mlp spec) {
        Plan plan;
        try (Model m = spec.init(0L)) {
            plan = m.plan();
        }
        List<String> out = new ArrayList<>();
        for (Plan.Step s : plan.forwardSteps()) {
            out.add(label(s));
        }
        for (Plan.Step s : plan.backwardSteps()) {
            if (s.kind() == Plan.Kind.INPUT_GRADIENT && spec.layer(s.layer() - 1).activation() != Activation.LINEAR) {
                out.add("derivative:" + (s.layer() - 1));
            }
            out.add(label(s));
        }
        return out;
    }

    private static String label(Plan.Step s) {
        return s.kind().name().toLowerCase() + ":" + s.layer();
    }

    @Setup(Level.Trial)
    public void setUp() {
        Mlp spec = Networks.byName(net);
        model = spec.init(42L, KernelProvider.simd());
        ws = Networks.filled(model, batch);
        if (!steps(spec).contains(step)) {
            throw new IllegalArgumentException("step: expected one of " + steps(spec) + " for network " + net
                    + ", found '" + step + "'");
        }
        int colon = step.indexOf(':');
        String kind = step.substring(0, colon);
        int layer = Integer.parseInt(step.substring(colon + 1));
        if (kind.equals("derivative")) {
            int width = spec.layer(layer).outputs();
            f = spec.layer(layer).activation().pointwise();
            int stride = Matrix.paddedStride(width);
            derivative = Slab.allocate("derivative operands", 3L * batch * stride);
            z = derivative.matrix(0, batch, width);
            h = derivative.matrix((long) batch * stride, batch, width);
            g = derivative.matrix(2L * batch * stride, batch, width);
            z.fill(0f);
            h.fill(spec.layer(layer).activation().apply(0f));
            g.fill(1f);
        } else {
            planStep = new Plan.Step(Plan.Kind.valueOf(kind.toUpperCase()), layer);
        }
        JitWarmUp.until(this::run);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (derivative != null) {
            derivative.close();
        }
        ws.close();
        model.close();
    }

    @Benchmark
    public double run() {
        if (planStep != null) {
            return model.plan().execute(planStep, ws, batch);
        }
        model.kernels().multiplyDerivative(f, batch, g.cols(), z.segment(), z.offset(), z.stride(),
                h.segment(), h.offset(), h.stride(), g.segment(), g.offset(), g.stride());
        return g.get(0, 0);
    }
}
