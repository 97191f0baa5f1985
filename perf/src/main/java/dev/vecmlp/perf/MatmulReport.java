package dev.vecmlp.perf;

import java.util.Collection;
import java.util.Locale;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link PeakBench} and {@link MatmulBench} and prints each product's time, its GFLOP/s,
 * and the fraction of this machine's single-thread fp32 peak as {@code PeakBench} measured it in
 * the same run (230 GFLOP/s on a Zen 5 core, 114 on a Zen 4 core: the peak is not a constant).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp perf/target/benchmarks.jar dev.vecmlp.perf.MatmulReport [SHAPE...]
 * </pre>
 * With no arguments every shape of the benchmark runs; otherwise only the shapes named
 * ({@code NT:256x784x512} ...).
 */
public final class MatmulReport {
    private MatmulReport() {
    }

    public static void main(String[] args) throws RunnerException {
        double peak = peakGflops();
        ChainedOptionsBuilder opts = new OptionsBuilder().include(MatmulBench.class.getSimpleName());
        if (args.length > 0) {
            opts.param("shape", args);
        }
        Collection<RunResult> results = new Runner(opts.build()).run();
        System.out.printf(Locale.ROOT, "%nfp32 peak of one core, measured by PeakBench: %.1f GFLOP/s (%d lanes)%n",
                peak, PeakBench.lanes());
        System.out.printf(Locale.ROOT, "%-22s %12s %10s %8s%n", "shape (MxKxN)", "time (us)", "GFLOP/s", "of peak");
        for (RunResult r : results) {
            String shape = r.getParams().getParam("shape");
            double us = r.getPrimaryResult().getScore();
            double gflops = MatmulBench.flops(shape) / (us * 1e3);
            System.out.printf(Locale.ROOT, "%-22s %12.1f %10.1f %7.0f%%%n", shape, us, gflops, 100 * gflops / peak);
        }
    }

    /** One thread's peak in GFLOP/s: PeakBench's FLOPs per iteration over its ns per iteration. */
    static double peakGflops() throws RunnerException {
        Collection<RunResult> peak = new Runner(new OptionsBuilder()
                .include(PeakBench.class.getName().replace(".", "\\.") + "\\.fma$")
                .threads(1).build()).run();
        return PeakBench.flopsPerIteration() / peak.iterator().next().getPrimaryResult().getScore();
    }
}
