package dev.vecmlp.perf;

import java.util.Collection;
import java.util.Locale;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link MatmulBench} and prints each product's time and GFLOP/s, and the fraction of this
 * machine's measured single-thread peak (114 GFLOP/s, shared/bench/TARGETS.md).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp perf/target/benchmarks.jar dev.vecmlp.perf.MatmulReport [SHAPE...]
 * </pre>
 * With no arguments every shape of the benchmark runs; otherwise only the shapes named
 * ({@code NT:256x784x512} ...).
 */
public final class MatmulReport {
    /** fp32 FMA peak of one Zen 4 core at 3.6 GHz, measured with C intrinsics (TARGETS.md). */
    private static final double PEAK_GFLOPS = 114.0;

    private MatmulReport() {
    }

    public static void main(String[] args) throws RunnerException {
        ChainedOptionsBuilder opts = new OptionsBuilder().include(MatmulBench.class.getSimpleName());
        if (args.length > 0) {
            opts.param("shape", args);
        }
        Collection<RunResult> results = new Runner(opts.build()).run();
        System.out.printf(Locale.ROOT, "%n%-22s %12s %10s %8s%n", "shape (MxKxN)", "time (us)", "GFLOP/s", "of peak");
        for (RunResult r : results) {
            String shape = r.getParams().getParam("shape");
            double us = r.getPrimaryResult().getScore();
            double gflops = MatmulBench.flops(shape) / (us * 1e3);
            System.out.printf(Locale.ROOT, "%-22s %12.1f %10.1f %7.0f%%%n", shape, us, gflops, 100 * gflops / PEAK_GFLOPS);
        }
    }
}
