package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The short form of {@code perf/.../Latency.java}: after {@link Predictor#warmUp()}, 20,000
 * batch-1 predictions, each timed into a preallocated array, run without a garbage collection
 * and without allocating a byte on the heap. The percentiles are printed, not asserted: on a
 * shared machine they say more about the neighbours than about the code.
 *
 * <p>The timed loop is this test's own code, and C2 compiles it (inlining {@code predict}) while
 * it runs; the switch to the compiled loop allocated a few bytes, once. It has two levels
 * ({@code timeCalls} inside {@code timeAll}), compiled at different moments, so a pass that
 * allocated nothing could still be followed by the other one's switch (424 bytes, seen once in
 * the whole suite). So passes of the loop run until two in a row allocate nothing, and the pass
 * after that is the one measured.
 */
class LatencyTest {
    private static final int CALLS = 20_000;
    /** Calls per invocation of {@link #timeCalls}: many invocations, so that C2 compiles it whole, early. */
    private static final int CHUNK = 10;
    private static final int INPUTS = 64;

    @Test
    void afterWarmUpBatchOnePredictionsNeitherAllocateNorCollect() {
        Mlp spec = Mlp.input(196).dense(128, Activation.RELU).dense(128, Activation.RELU).dense(10, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        SplittableRandom rng = new SplittableRandom(6);
        float[][] x = new float[INPUTS][spec.inputs()];
        for (float[] row : x) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) rng.nextGaussian();
            }
        }
        float[] y = new float[spec.outputs()];
        long[] nanos = new long[CALLS];
        try (Model model = spec.init(6L);
             Predictor p = model.predictor(1)) {
            assertTrue(p.warmUp(), "the JIT settled within " + Predictor.WARM_UP_LIMIT_MILLIS + " ms");
            long deadline = System.nanoTime() + 20_000_000_000L;
            int clean = 0;
            while (clean < 2 && System.nanoTime() < deadline) {
                long before = threads.getCurrentThreadAllocatedBytes();
                timeAll(p, x, y, nanos);
                clean = threads.getCurrentThreadAllocatedBytes() == before ? clean + 1 : 0;
            }

            Arrays.fill(y, Float.NaN);
            System.gc();
            long collections = collections(gcs);
            long allocated = threads.getCurrentThreadAllocatedBytes();
            timeAll(p, x, y, nanos);
            allocated = threads.getCurrentThreadAllocatedBytes() - allocated;
            collections = collections(gcs) - collections;

            Arrays.sort(nanos);
            System.out.printf(Locale.ROOT, "latency: %s, %,d batch-1 calls after warmUp(): p50 %.1f us, p99 %.1f us,"
                            + " p99.9 %.1f us, max %.1f us; %d collections, %d bytes allocated%n",
                    spec, CALLS, at(nanos, 0.50) / 1e3, at(nanos, 0.99) / 1e3, at(nanos, 0.999) / 1e3,
                    nanos[CALLS - 1] / 1e3, collections, allocated);
            assertEquals(0, collections, "garbage collections during the timed calls");
            assertEquals(0, allocated, "bytes allocated on the heap by the timed calls");
            for (float v : y) {
                assertTrue(Float.isFinite(v), "the timed calls computed the outputs (they start as NaN): " + Arrays.toString(y));
            }
        }
    }

    private static void timeAll(Predictor p, float[][] x, float[] y, long[] nanos) {
        for (int from = 0; from < CALLS; from += CHUNK) {
            timeCalls(p, x, y, nanos, from);
        }
    }

    private static void timeCalls(Predictor p, float[][] x, float[] y, long[] nanos, int from) {
        for (int i = from; i < from + CHUNK; i++) {
            long t = System.nanoTime();
            p.predict(x[i % INPUTS], y);
            nanos[i] = System.nanoTime() - t;
        }
    }

    /** The nearest-rank percentile of sorted values. */
    private static double at(long[] sorted, double q) {
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static long collections(List<GarbageCollectorMXBean> gcs) {
        long n = 0;
        for (GarbageCollectorMXBean gc : gcs) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }
}
