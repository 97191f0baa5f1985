package dev.vecmlp.perf;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
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
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Plan;
import dev.vecmlp.nn.Workspace;

/**
 * The cost model's calibration at one number of rows: every figure it needs from the engine's
 * kernels, timed in turn within each call ({@link Split}), so that all of them see the machine
 * in the same state. Timed as separate benchmarks, one after another, they were seconds apart,
 * and this machine's speed changes from one second to the next (PeakBench's FMA loop went from
 * 1.71 to 2.36 ns an iteration in one run): the calibration's figures disagreed with each other
 * by as much as the model's errors.
 *
 * <p>The ops ({@link #OPS}), each a step of a calibration network that a whole forward and
 * backward pass has filled (as {@link StepBench} runs them) or a pointwise kernel over
 * {@code rows} x 256 values:
 * <ul>
 *   <li>{@value CostModel#CALIBRATION_NET}: square 256 x 256 products (layer 1), narrow 256 x 10
 *       ones (layer 2), the loss, a bias gradient;
 *   <li>{@value CostModel#SMALL_NET} and {@value CostModel#WIDE_NET}: their square products
 *       (64 x 64, where loops are short; 1024 x 1024, where the weights outgrow L2);
 *   <li>activation (of values in [−2, 2]) and derivative of tanh, ReLU and the identity, alone
 *       (the derivative on StepBench's synthetic operands: Z = 0, H = φ(0), Z̄ = 1, which in-place
 *       repetition keeps out of subnormals).
 * </ul>
 * Each op runs often enough in a row to take a few µs (measured at set-up), between two reads of
 * the clock. Run on 2 JMH threads at once ({@code -t 2}) it gives the speeds with both cores busy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class CalibrationBench {
    /** The ops, in the order a call runs them; {@link Split}'s metrics are named after them. */
    static final List<String> OPS = List.of(
            "B256x2 dense:1", "B256x2 dense:2", "B256x2 loss:2", "B256x2 weight_gradient:1", "B256x2 weight_gradient:2",
            "B256x2 bias_gradient:1", "B256x2 input_gradient:1", "B256x2 input_gradient:2",
            "B64x2 dense:1", "B64x2 weight_gradient:1", "B64x2 input_gradient:1",
            "B1024x2 dense:1", "B1024x2 weight_gradient:1", "B1024x2 input_gradient:1",
            "activate:TANH", "derivative:TANH", "activate:RELU", "derivative:RELU", "activate:LINEAR", "derivative:LINEAR");
    /** Columns of the pointwise ops. */
    static final int POINTWISE_COLS = 256;
    /** A slice of the clock: each op runs this long at least between two reads of it. */
    private static final long SLICE_NANOS = 3_000;

    @Param({"1"})
    public int rows;

    /**
     * The JVM it ran in: {@code ./vecmlp bench} calibrates in every network's JVM, on that JVM's
     * compiled code, and the model of a cell uses its own JVM's calibration.
     */
    @Param({"calibration"})
    public String jvm;

    private final Map<String, Model> models = new LinkedHashMap<>();
    private final Map<String, Workspace> workspaces = new LinkedHashMap<>();
    private Slab pointwise;
    private Runnable[] ops;
    private int[] repeats;

    /** The metric name of an op: {@code "B256x2 dense:1"} → {@code B256x2_dense_1}. */
    static String metric(String op) {
        return op.replace(' ', '_').replace(':', '_');
    }

    @Setup(Level.Trial)
    public void setUp() {
        prepare();
        JitWarmUp.until(this::once);
        repeats = new int[OPS.size()];
        for (int i = 0; i < OPS.size(); i++) {
            long t0 = System.nanoTime();
            int n = 0;
            while (System.nanoTime() - t0 < 20 * SLICE_NANOS) {
                ops[i].run();
                n++;
            }
            double each = (System.nanoTime() - t0) / (double) n;
            repeats[i] = (int) Math.max(1, Math.ceil(SLICE_NANOS / each));
        }
    }

    /** Everything of {@link #setUp} but the warm-up and the repeat counts: the networks, the operands, the ops. */
    void prepare() {
        Kernels k = KernelProvider.simd();
        ops = new Runnable[OPS.size()];
        for (int i = 0; i < OPS.size(); i++) {
            String op = OPS.get(i);
            int space = op.indexOf(' ');
            ops[i] = space > 0 ? step(op.substring(0, space), op.substring(space + 1), k) : null;
        }
        int stride = Matrix.paddedStride(POINTWISE_COLS);
        long size = (long) rows * stride;
        pointwise = Slab.allocate("calibration pointwise operands", 5 * size);
        Matrix z = pointwise.matrix(0, rows, POINTWISE_COLS), h = pointwise.matrix(size, rows, POINTWISE_COLS);
        Matrix z0 = pointwise.matrix(2 * size, rows, POINTWISE_COLS), h0 = pointwise.matrix(3 * size, rows, POINTWISE_COLS);
        Matrix g = pointwise.matrix(4 * size, rows, POINTWISE_COLS);
        SplittableRandom rng = new SplittableRandom(11);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < POINTWISE_COLS; c++) {
                z.set(r, c, (float) (4 * rng.nextDouble() - 2));
            }
        }
        // The derivatives' operands: Z = 0, H = φ(0) = 0 for tanh, ReLU and the identity, Z̄ = 1. In place,
        // Z̄ stays 1 (or 0 after ReLU's derivative at 0): never subnormal, which would run at another speed.
        z0.fill(0f);
        h0.fill(0f);
        g.fill(1f);
        for (int i = 0; i < OPS.size(); i++) {
            String op = OPS.get(i);
            if (ops[i] != null) {
                continue;
            }
            Activation a = Activation.valueOf(op.substring(op.indexOf(':') + 1));
            if (a.apply(0f) != 0f) {
                throw new IllegalStateException(op + ": the derivative's operands assume φ(0) = 0");
            }
            ops[i] = op.startsWith("activate:")
                    ? () -> k.activate(a.pointwise(), rows, POINTWISE_COLS, z.segment(), z.offset(), z.stride(),
                            h.segment(), h.offset(), h.stride())
                    : () -> k.multiplyDerivative(a.pointwise(), rows, POINTWISE_COLS, z0.segment(), z0.offset(),
                            z0.stride(), h0.segment(), h0.offset(), h0.stride(), g.segment(), g.offset(), g.stride());
        }
    }

    /** A step of a calibration network on a workspace a whole pass has filled. */
    private Runnable step(String net, String step, Kernels k) {
        Model m = models.computeIfAbsent(net, n -> {
            Model model = Networks.byName(n).init(42L, k);
            workspaces.put(n, Networks.filled(model, rows));
            return model;
        });
        Workspace ws = workspaces.get(net);
        int colon = step.indexOf(':');
        Plan.Step s = new Plan.Step(Plan.Kind.valueOf(step.substring(0, colon).toUpperCase()),
                Integer.parseInt(step.substring(colon + 1)));
        Plan plan = m.plan();
        return () -> plan.execute(s, ws, rows);
    }

    /** Every op once. */
    void once() {
        for (Runnable op : ops) {
            op.run();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pointwise.close();
        for (Workspace ws : workspaces.values()) {
            ws.close();
        }
        for (Model m : models.values()) {
            m.close();
        }
    }

    /** Every op in turn, each {@code repeats} times between two reads of the clock. */
    @Benchmark
    public void run(Split split) {
        for (int i = 0; i < ops.length; i++) {
            Runnable op = ops[i];
            int n = repeats[i];
            long t0 = System.nanoTime();
            for (int r = 0; r < n; r++) {
                op.run();
            }
            split.nanos[i] += System.nanoTime() - t0;
            split.calls[i] += n;
        }
    }

    /**
     * Each op's µs per call over an iteration, one JMH secondary metric per op, named by
     * {@link #metric} (JMH reports the public methods of an {@code AuxCounters} state).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Split {
        final long[] nanos = new long[OPS.size()];
        final long[] calls = new long[OPS.size()];

        @Setup(Level.Iteration)
        public void reset() {
            Arrays.fill(nanos, 0);
            Arrays.fill(calls, 0);
        }

        private double micros(int i) {
            return calls[i] == 0 ? 0 : nanos[i] / 1e3 / calls[i];
        }

        public double B256x2_dense_1() {
            return micros(0);
        }

        public double B256x2_dense_2() {
            return micros(1);
        }

        public double B256x2_loss_2() {
            return micros(2);
        }

        public double B256x2_weight_gradient_1() {
            return micros(3);
        }

        public double B256x2_weight_gradient_2() {
            return micros(4);
        }

        public double B256x2_bias_gradient_1() {
            return micros(5);
        }

        public double B256x2_input_gradient_1() {
            return micros(6);
        }

        public double B256x2_input_gradient_2() {
            return micros(7);
        }

        public double B64x2_dense_1() {
            return micros(8);
        }

        public double B64x2_weight_gradient_1() {
            return micros(9);
        }

        public double B64x2_input_gradient_1() {
            return micros(10);
        }

        public double B1024x2_dense_1() {
            return micros(11);
        }

        public double B1024x2_weight_gradient_1() {
            return micros(12);
        }

        public double B1024x2_input_gradient_1() {
            return micros(13);
        }

        public double activate_TANH() {
            return micros(14);
        }

        public double derivative_TANH() {
            return micros(15);
        }

        public double activate_RELU() {
            return micros(16);
        }

        public double derivative_RELU() {
            return micros(17);
        }

        public double activate_LINEAR() {
            return micros(18);
        }

        public double derivative_LINEAR() {
            return micros(19);
        }
    }
}
