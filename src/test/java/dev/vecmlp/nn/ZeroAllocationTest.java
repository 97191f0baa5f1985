package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;

/**
 * Once compiled, a pass allocates nothing on the Java heap. This is where the Vector API goes
 * wrong quietly: when C2 does not inline a method a vector passes through, it boxes the vector,
 * and nothing but the allocation counter (or a 10x slowdown) shows it. Each case here once
 * allocated: a vector loss helper at batch 1 (336 B a call), tanh through an out-of-line helper
 * (3 MB a call at batch 256).
 *
 * <p>The counter is the thread's own ({@code com.sun.management.ThreadMXBean}), so JIT threads
 * and other tests do not count. Until C2 has compiled a path it runs in code that boxes every
 * vector, so a case runs windows of calls until one is clean, within a time limit far above what
 * compilation takes; a path that still allocates then fails.
 */
class ZeroAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Every activation in one network, every kernel path at both losses. */
    private static Mlp allActivations(Loss loss, double l2) {
        return Mlp.input(37)
                .dense(33, Activation.TANH)
                .dense(17, Activation.RELU)
                .dense(16, Activation.SOFTPLUS)
                .dense(20, Activation.LOGISTIC)
                .dense(15, Activation.HARD_THRESHOLD)
                .dense(10, Activation.LINEAR)
                .loss(loss)
                .l2(l2)
                .build();
    }

    @Test
    void forwardBackwardAllocatesNothingOnceCompiled() {
        for (Loss loss : Loss.values()) {
            for (int batch : new int[] {1, 5, 32, 130}) {
                Mlp spec = allActivations(loss, loss == Loss.SQUARED_ERROR ? 1e-3 : 0);
                try (Model model = spec.init(3L, KernelProvider.simd()); Workspace ws = model.workspace(batch)) {
                    fill(ws, spec, batch);
                    long bytes = steadyStateBytes(() -> model.forwardBackward(ws, batch));
                    assertEquals(0, bytes, spec + ", batch " + batch + ": bytes allocated per window of calls");
                }
            }
        }
    }

    /**
     * Layers of at least 128 rows and inputs, like network A's: at batch 32 and up these take the
     * packed and wide-tile product paths, which {@link #allActivations} is too narrow to reach.
     */
    private static Mlp wide(Loss loss) {
        return Mlp.input(160)
                .dense(144, Activation.RELU)
                .dense(130, Activation.TANH)
                .dense(10, Activation.LINEAR)
                .loss(loss)
                .build();
    }

    @Test
    void forwardBackwardOfWideLayersAllocatesNothingOnceCompiled() {
        Mlp spec = wide(Loss.SOFTMAX_CROSS_ENTROPY);
        for (int batch : new int[] {32, 256}) {
            try (Model model = spec.init(3L, KernelProvider.simd()); Workspace ws = model.workspace(batch)) {
                fill(ws, spec, batch);
                long bytes = steadyStateBytes(() -> model.forwardBackward(ws, batch));
                assertEquals(0, bytes, spec + ", batch " + batch + ": bytes allocated per window of calls");
            }
        }
    }

    /** Every batch size the benchmarks time on one thread (1, 32, 256), narrow and wide layers. */
    @Test
    void predictAllocatesNothingOnceCompiled() {
        for (Mlp spec : new Mlp[] {allActivations(Loss.SOFTMAX_CROSS_ENTROPY, 0), wide(Loss.SOFTMAX_CROSS_ENTROPY)}) {
            for (int batch : new int[] {1, 8, 32, 256}) {
                try (Model model = spec.init(5L, KernelProvider.simd()); Predictor p = model.predictor(batch)) {
                    float[] in = gaussian(batch * spec.inputs(), batch);
                    float[] out = new float[batch * spec.outputs()];
                    Arrays.fill(out, Float.NaN);
                    long bytes = steadyStateBytes(() -> p.predict(in, out));
                    assertEquals(0, bytes, spec + ", predict, batch " + batch + ": bytes allocated per window of calls");
                    assertAllFinite(out, spec + ", batch " + batch);
                }
            }
        }
    }

    /** A predictor that splits its batch across a pool: nothing on the calling thread, nothing on the worker. */
    @Test
    void aSplitPredictionAllocatesNothingOnceCompiled() {
        Mlp spec = allActivations(Loss.SOFTMAX_CROSS_ENTROPY, 0);
        for (int batch : new int[] {64, 256}) {
            try (Model model = spec.init(5L, KernelProvider.simd());
                 WorkerPool pool = new WorkerPool(2, "zero-alloc-" + batch);
                 Predictor p = model.predictor(batch, pool)) {
                assertTrue(p.splits(batch), "batch " + batch + " is split");
                Thread worker = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().equals("zero-alloc-" + batch + "-1")).findFirst().orElseThrow();
                float[] in = gaussian(batch * spec.inputs(), batch);
                float[] out = new float[batch * spec.outputs()];
                Arrays.fill(out, Float.NaN);
                long bytes = steadyStateBytes(() -> p.predict(in, out));
                assertEquals(0, bytes, "split predict, batch " + batch + ": bytes allocated per window of calls");
                // The worker compiles along with the caller; a clean caller window, then one more on both threads.
                long workerBefore = THREADS.getThreadAllocatedBytes(worker.threadId());
                long callerBefore = THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
                for (int i = 0; i < 2_000; i++) {
                    p.predict(in, out);
                }
                assertEquals(0, THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId()) - callerBefore,
                        "batch " + batch + ": the calling thread");
                assertEquals(0, THREADS.getThreadAllocatedBytes(worker.threadId()) - workerBefore,
                        "batch " + batch + ": the worker thread");
                assertAllFinite(out, "split predict, batch " + batch);
            }
        }
    }

    /** {@code n} standard normal floats from a generator seeded with {@code seed}. */
    private static float[] gaussian(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    private static void fill(Workspace ws, Mlp spec, int batch) {
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = new float[batch * spec.inputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rng.nextInt(spec.outputs());
        }
        ws.setInputs(x, batch);
        ws.setLabels(labels, batch);
    }

    /** Every output was written: the arrays start as NaN. */
    private static void assertAllFinite(float[] out, String where) {
        for (int i = 0; i < out.length; i++) {
            assertTrue(Float.isFinite(out[i]), where + ": output " + i + " was not computed (" + out[i] + ")");
        }
    }

    /** The bytes a window of 2,000 calls allocates once the JIT is done with them ({@link SteadyState}). */
    private static long steadyStateBytes(Runnable call) {
        return SteadyState.bytes(() -> {
            for (int i = 0; i < 2_000; i++) {
                call.run();
            }
        });
    }
}
