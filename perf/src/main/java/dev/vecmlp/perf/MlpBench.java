package dev.vecmlp.perf;

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
import org.openjdk.jmh.infra.BenchmarkParams;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Predictor;
import dev.vecmlp.nn.ShardedPass;
import dev.vecmlp.nn.WorkerPool;
import dev.vecmlp.nn.Workspace;

/**
 * Whole-network timings on the shapes of shared/bench/TARGETS.md: {@code predict} (inference, no
 * loss), {@code forward} (with the loss), {@code forwardBackward} (every parameter gradient, none
 * for the input) and {@code trainStep} (forwardBackward plus a plain SGD update over the
 * parameter slab). The backward/forward ratio of the lecture's cost model is
 * (forwardBackward − forward) / forward; {@link #pair} times the two in turn, which is how
 * {@code ./vecmlp bench} measures it.
 *
 * <p>{@code threads = 1} runs the model's own single-thread pass. {@code threads = 2} runs the
 * Trainer's data-parallel path on a 2-thread {@link WorkerPool}: the batch in 2 shards
 * ({@link ShardedPass}: {@code Model.forwardBackwardShard}, then the shard gradients added in
 * shard order), and {@code predict} through a predictor that splits the batch across the pool
 * (batches it does not split, such as batch 1, stay on the benchmark thread).
 *
 * <p>The forks run without the predictor's background warm-up (and its scalar twin), so every
 * iteration times the vector kernels; JMH's warm-up iterations compile them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dvecmlp.backgroundWarmUp=false"})
public class MlpBench {
    @Param({"A", "B64", "B256", "B1024"})
    public String net;

    @Param({"1", "32", "256"})
    public int batch;

    @Param({"simd"})
    public String kernels;

    @Param({"1"})
    public int threads;

    private Model model;
    private Workspace ws;
    private WorkerPool pool;
    private ShardedPass sharded;
    private Predictor predictor;
    private float[] input;
    private float[] output;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        prepare();
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        JitWarmUp.until(switch (method) {
            case "predict" -> this::predict;
            case "forward" -> this::forward;
            case "forwardBackward" -> this::forwardBackward;
            case "pair" -> () -> {
                forward();
                forwardBackward();
            };
            default -> this::trainStep;
        });
    }

    /** Everything of {@link #setUp} but the warm-up: the model, its workspaces, the pool, the data. */
    void prepare() {
        Mlp spec = Networks.byName(net);
        Kernels k = kernels.equals("scalar") ? KernelProvider.scalar() : KernelProvider.simd();
        if (threads != 1 && threads != 2) {
            throw new IllegalArgumentException("threads: expected 1 or 2, found " + threads);
        }
        model = spec.init(42L, k);
        ws = model.workspace(batch);
        if (threads == 2) {
            pool = new WorkerPool(2, "mlpbench");
            sharded = new ShardedPass(model, pool, 2, batch);
            predictor = model.predictor(batch, pool);
        } else {
            predictor = model.predictor(batch);
        }
        Networks.Data data = Networks.data(spec, batch);
        input = data.inputs();
        int[] labels = data.labels();
        output = new float[batch * spec.outputs()];
        ws.setInputs(input, batch);
        ws.setLabels(labels, batch);
        if (sharded != null) {
            sharded.setInputs(input, batch);
            sharded.setLabels(labels, batch);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        predictor.close();
        if (sharded != null) {
            sharded.close();
            pool.close();
        }
        ws.close();
        model.close();
    }

    @Benchmark
    public float[] predict() {
        predictor.predict(input, output);
        return output;
    }

    @Benchmark
    public double forward() {
        return sharded != null ? sharded.forward(batch) : model.forward(ws, batch);
    }

    @Benchmark
    public double forwardBackward() {
        return sharded != null ? sharded.forwardBackward(batch) : model.forwardBackward(ws, batch);
    }

    /**
     * The two passes of a cell timed call by call in turn ({@link Split}): a forward pass, then a
     * forward and backward pass, again and again. Run one after the other as two benchmarks,
     * they were a second or more apart, and this machine's speed changes from one second to the
     * next (PeakBench's FMA loop went from 1.71 to 2.36 ns an iteration and stayed there, in one
     * run of 100 ms iterations): the ratio of two figures taken in different phases measured the
     * machine, not the passes. Taken in turn, both see the same phase. The primary score is the
     * time of the pair; the report reads the split.
     */
    @Benchmark
    public double pair(Split split) {
        long t0 = System.nanoTime();
        double a = forward();
        long t1 = System.nanoTime();
        double b = forwardBackward();
        long t2 = System.nanoTime();
        split.forwardNanos += t1 - t0;
        split.bothNanos += t2 - t1;
        split.calls++;
        return a + b;
    }

    /**
     * {@link #pair}'s split of each iteration: µs of a forward pass and of a forward and
     * backward pass, means over the iteration's calls. JMH writes each iteration's figures into
     * the result file (secondary metrics {@code forwardMicros} and {@code bothMicros}, raw data
     * per iteration), where {@link BenchRuns} reads them.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Split {
        long forwardNanos;
        long bothNanos;
        long calls;

        @Setup(Level.Iteration)
        public void reset() {
            forwardNanos = 0;
            bothNanos = 0;
            calls = 0;
        }

        public double forwardMicros() {
            return calls == 0 ? 0 : forwardNanos / 1e3 / calls;
        }

        public double bothMicros() {
            return calls == 0 ? 0 : bothNanos / 1e3 / calls;
        }
    }

    /** forwardBackward, then W -= 1e-3·W̄ over the whole slab (padding included, which stays 0). */
    @Benchmark
    public double trainStep() {
        double loss = forwardBackward();
        model.kernels().axpy(model.layout().totalFloats(), -1e-3f,
                model.gradients().segment(), 0, model.parameters().segment(), 0);
        return loss;
    }
}
