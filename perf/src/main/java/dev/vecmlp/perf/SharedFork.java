package dev.vecmlp.perf;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.openjdk.jmh.runner.RunnerException;

import dev.vecmlp.nn.WarmUp;

/**
 * One fresh JVM for many JMH runs: {@code ./vecmlp bench} starts one per network of its grid
 * (and one for the calibration's probes), and this JVM runs that network's cost-model
 * calibration and cells, one JMH run after another, in itself (JMH's {@code -f 0}), after one
 * warm-up over all of them ({@link #warmAll}). A cell then costs its measurement, about 0.85 s,
 * not a JVM start and a C2 warm-up of its own: the grid took 4.7–7.9 s a cell with a fork each.
 *
 * <p>What is lost: a fork per cell kept one cell's profile from shaping another's compiled
 * code. Here the cells of one network share a JVM as they share it in a service that runs
 * several batch sizes (with the calibration's shapes besides); cells of different networks
 * never do.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Dvecmlp.bench.sharedFork=true -cp benchmarks.jar \
 *     dev.vecmlp.perf.SharedFork OUT.json BLOCK...
 * </pre>
 * Each BLOCK is {@link BenchReport.Block#encode()}'s text. The results of all blocks go to
 * OUT.json as one JSON array.
 */
public final class SharedFork {
    /** The system property that marks a shared fork. */
    static final String PROPERTY = "vecmlp.bench.sharedFork";
    /** The shared warm-up's rule: at least 1 s, then until no compilation has ended for 1 s, at most 60 s. */
    static final long MIN_MILLIS = 1000;
    static final long QUIET_MILLIS = 1000;
    static final long LIMIT_MILLIS = 60_000;

    private SharedFork() {
    }

    /** Whether this JVM is a shared fork. */
    static boolean inSharedFork() {
        return Boolean.getBoolean(PROPERTY);
    }

    public static void main(String[] args) throws IOException, RunnerException {
        if (args.length < 2) {
            System.err.println("usage: SharedFork OUT.json BLOCK...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        Path part = out.resolveSibling(out.getFileName() + ".part");
        List<BenchReport.Block> blocks = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            blocks.add(BenchReport.Block.decode(args[i]));
        }
        warmAll(blocks);
        List<String> parts = new ArrayList<>();
        for (BenchReport.Block b : blocks) {
            BenchReport.jmh(b, part, 0);
            parts.add(Files.readString(part, StandardCharsets.UTF_8));
            Files.delete(part);
        }
        Files.writeString(out, BenchRuns.join(parts), StandardCharsets.UTF_8);
    }

    /**
     * Warms the JVM once for every network, batch and thread count its blocks run, and every
     * calibration, before any is measured: forward and forward+backward passes of all of them
     * and every calibration op in turn until no compilation has ended for {@link #QUIET_MILLIS} ms. Warmed one cell at a time, C2 compiled
     * a kernel for the first batch and compiled it again, in the middle of a later cell's
     * measurement, when another batch made it take a new path: the calibration's NT product at
     * 256 rows ran 362, 345, 346, 240, 223 µs in its 5 iterations. Warmed over all of them, every
     * cell is measured on the same compiled code, the code a service that runs all these batch
     * sizes would have.
     */
    static void warmAll(List<BenchReport.Block> blocks) {
        List<MlpBench> cells = new ArrayList<>();
        List<CalibrationBench> calibrations = new ArrayList<>();
        try {
            for (BenchReport.Block b : blocks) {
                if (b.include().contains("CalibrationBench")) {
                    for (String rows : b.param("rows")) {
                        CalibrationBench c = new CalibrationBench();
                        c.rows = Integer.parseInt(rows);
                        c.prepare();
                        calibrations.add(c);
                    }
                }
                for (String net : b.param("net")) {
                    for (String batch : b.param("batch")) {
                        for (String threads : b.param("threads").isEmpty() ? List.of("1") : b.param("threads")) {
                            MlpBench cell = new MlpBench();
                            cell.net = net;
                            cell.batch = Integer.parseInt(batch);
                            cell.threads = Integer.parseInt(threads);
                            cell.kernels = "simd";
                            cell.prepare();
                            cells.add(cell);
                        }
                    }
                }
            }
            if (!cells.isEmpty() || !calibrations.isEmpty()) {
                long start = System.nanoTime();
                boolean quiet = WarmUp.untilCompilerQuiet(() -> {
                    for (MlpBench c : cells) {
                        c.forward();
                        c.forwardBackward();
                    }
                    for (CalibrationBench c : calibrations) {
                        c.once();
                    }
                }, MIN_MILLIS, QUIET_MILLIS, LIMIT_MILLIS);
                System.out.printf("vecmlp bench: %d cells and %d calibrations warmed in %.1f s%s%n", cells.size(),
                        calibrations.size(), (System.nanoTime() - start) / 1e9, quiet ? "" : " (the JIT was not quiet yet)");
            }
        } finally {
            for (MlpBench c : cells) {
                c.tearDown();
            }
            for (CalibrationBench c : calibrations) {
                c.tearDown();
            }
        }
    }

    /**
     * The command that runs {@code blocks} in a shared fork and writes {@code out}: this JVM's
     * java and class path, its JVM options (as JMH passes them to its forks, so a
     * {@code -Dvecmlp.wideTile} reaches the runs), the options the benchmarks' own forks add,
     * and the shared-fork mark.
     */
    static List<String> command(Path out, List<BenchReport.Block> blocks) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Dvecmlp.backgroundWarmUp=false",
                "-D" + PROPERTY + "=true", "-cp", System.getProperty("java.class.path"), SharedFork.class.getName(),
                out.toString()));
        for (BenchReport.Block b : blocks) {
            cmd.add(b.encode());
        }
        return cmd;
    }
}
