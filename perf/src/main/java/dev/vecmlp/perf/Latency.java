package dev.vecmlp.perf;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Predictor;

/**
 * The latency of batch-1 predictions, call by call, after {@link Predictor#warmUp()}: each call
 * is timed with {@link System#nanoTime()} into a preallocated array, sorted afterwards, and the
 * percentiles printed with the garbage collections and the heap allocation of the timed run. The
 * exit status is 1 if there was a collection. The allocation is that of the calling thread, this
 * loop included: when C2 compiles the loop (inlining {@code predict}) the switch allocates a few
 * hundred bytes once (256 for network A, after 200,000 calls as after 2,000,000); a call that
 * allocated would show as 16 bytes or more per call.
 *
 * <p>Then, as a control, a fixed chain of dependent FMAs as long as the median call is timed the
 * same way, a tenth as many times: its percentiles are what the machine's scheduling and the
 * neighbours' load do to any call of that length, with no memory, no vectors and no vecmlp.
 *
 * <pre>
 * ./build perf
 * java --add-modules jdk.incubator.vector -cp perf/target/benchmarks.jar dev.vecmlp.perf.Latency [NETWORK [CALLS]]
 * </pre>
 * NETWORK is a name of {@link Networks} (A by default), CALLS the timed calls (1,000,000).
 */
public final class Latency {
    /** Distinct inputs the calls cycle through, so that no two calls in a row read the same row. */
    private static final int INPUTS = 64;

    /** Where the control's result goes, so that the JIT cannot drop the chain. */
    private static volatile double sink;

    private Latency() {
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "A";
        int calls = args.length > 1 ? Integer.parseInt(args[1].replace("_", "").replace(",", "")) : 1_000_000;
        if (calls < 1) {
            throw new IllegalArgumentException("calls: expected at least 1, found " + calls);
        }
        Mlp spec = Networks.byName(name);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        SplittableRandom rng = new SplittableRandom(42);
        float[][] x = new float[INPUTS][spec.inputs()];
        for (float[] row : x) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) rng.nextGaussian();
            }
        }
        float[] y = new float[spec.outputs()];
        long[] nanos = new long[calls];
        boolean clean;
        try (Model model = spec.init(42L);
             Predictor p = model.predictor(1)) {
            long w0 = System.nanoTime();
            boolean settled = p.warmUp();
            long warmMillis = (System.nanoTime() - w0) / 1_000_000;

            long gcCount0 = gcCount(gcs), gcMillis0 = gcMillis(gcs);
            long allocated0 = threads.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                long t = System.nanoTime();
                p.predict(x[i % INPUTS], y);
                nanos[i] = System.nanoTime() - t;
            }
            long wall = System.nanoTime() - start;
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocated0;
            long gcCount = gcCount(gcs) - gcCount0, gcMillis = gcMillis(gcs) - gcMillis0;

            Arrays.sort(nanos);
            double p50 = percentile(nanos, 0.50);
            double p99 = percentile(nanos, 0.99);
            System.out.printf(Locale.ROOT, "network %s (%s), batch 1, %s kernels%n", name, spec, model.kernels().name());
            System.out.printf(Locale.ROOT, "warmUp: %d ms, %s%n", warmMillis, settled ? "settled" : "gave up at the time limit");
            System.out.printf(Locale.ROOT, "%,d calls in %.2f s: p50 %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us,"
                            + " p99.99 %.1f us, max %.1f us, mean %.1f us%n",
                    calls, wall / 1e9, p50 / 1e3, percentile(nanos, 0.90) / 1e3, p99 / 1e3, percentile(nanos, 0.999) / 1e3,
                    percentile(nanos, 0.9999) / 1e3, nanos[calls - 1] / 1e3, wall / 1e3 / calls);
            System.out.printf(Locale.ROOT, "p99 / p50 = %.2f%n", p99 / p50);
            System.out.printf(Locale.ROOT, "GC during the run: %d collections, %d ms; heap allocated: %d bytes%n",
                    gcCount, gcMillis, allocated);
            clean = gcCount == 0;
            control((long) p50, Math.max(10_000, calls / 10));
        }
        if (!clean) {
            System.exit(1);
        }
    }

    private static void control(long medianNanos, int calls) {
        int probe = 100_000;
        long best = Long.MAX_VALUE;
        double x = 0;
        for (int i = 0; i < 200; i++) {
            long t = System.nanoTime();
            x += chain(i, probe);
            best = Math.min(best, System.nanoTime() - t);
        }
        int fmas = (int) Math.max(1, medianNanos * probe / best);
        long[] nanos = new long[calls];
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            x += chain(i, fmas);
            nanos[i] = System.nanoTime() - t;
        }
        sink = x;
        Arrays.sort(nanos);
        double p50 = percentile(nanos, 0.50), p99 = percentile(nanos, 0.99);
        System.out.printf(Locale.ROOT, "control, a chain of %,d FMAs timed the same way %,d times: p50 %.1f us, p99 %.1f us,"
                        + " p99.9 %.1f us, max %.1f us; p99 / p50 = %.2f%n",
                fmas, calls, p50 / 1e3, p99 / 1e3, percentile(nanos, 0.999) / 1e3, nanos[calls - 1] / 1e3, p99 / p50);
    }

    /** {@code n} dependent fused multiply-adds: a fixed amount of work, one FMA latency each. */
    private static double chain(double x, int n) {
        for (int i = 0; i < n; i++) {
            x = Math.fma(x, 0.999999, 1e-7);
        }
        return x;
    }

    /** The nearest-rank percentile of sorted values. */
    private static double percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static long gcCount(List<GarbageCollectorMXBean> gcs) {
        long n = 0;
        for (GarbageCollectorMXBean gc : gcs) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static long gcMillis(List<GarbageCollectorMXBean> gcs) {
        long n = 0;
        for (GarbageCollectorMXBean gc : gcs) {
            n += Math.max(0, gc.getCollectionTime());
        }
        return n;
    }
}
