package dev.vecmlp.perf;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import dev.vecmlp.plot.Charts;
import dev.vecmlp.plot.LineChart;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./vecmlp bench}: runs {@link MlpBench} (forward and forwardBackward) over a grid of
 * networks, batches and thread counts, network A again in several fresh JVMs (the spread between
 * them), {@link StepBench} for the per-step breakdown of chosen cells, and {@link PeakBench} for
 * the machine's peak; writes the JMH results as one JSON file and, computed from that file alone,
 * a markdown report and the ratio chart (PNG and SVG).
 *
 * <pre>
 * ./vecmlp bench --quick                      # about 3.5 minutes: perf/results/bench-quick.{md,json,png,svg}
 * ./vecmlp bench                              # the full grid: see perf/README.md for its run time
 * ./vecmlp bench --from-json perf/results/bench.json --peak 114,225   # the report again, no runs
 * </pre>
 *
 * <p>A picocli command: a usage error (an unknown option, a value out of range) exits with 2, a
 * failed run (a malformed JSON file, a file that cannot be written) with 1.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, version = "vecmlp bench 0.1.0", sortOptions = false,
        usageHelpWidth = 100,
        customSynopsis = {"./vecmlp bench [--quick] [--peak GFLOPS[,GFLOPS2]] [--out DIR] [--cell NET:BATCH]...",
            "                      [--widths LIST] [--depths LIST] [--batches LIST] [--threads LIST]",
            "                      [--spread-forks N] [--from-json FILE] [--name NAME]"},
        description = {"",
            "Times forward and forward+backward passes with JMH over a grid of networks, batches and",
            "thread counts, and writes DIR/NAME.md (the report), DIR/NAME.json (the raw JMH results),",
            "DIR/NAME-ratio.png and .svg (measured and predicted backward/forward ratio against width).",
            "",
            "Without --quick, the full grid: A and B<w>x<d> for widths 64-1024, depths 1-6, batches",
            "1, 8, 32, 128, 256, 1 and 2 threads; breakdowns of A:1, A:256, B64x4:32 (about an hour;",
            "perf/README.md). Both also time A in 5 fresh JVMs (the spread: --spread-forks).",
            ""})
public final class BenchReport implements Callable<Integer> {
    /**
     * JMH iterations: {@link JitWarmUp} first runs each benchmark until the JIT is quiet, then
     * JMH warms up for 3 iterations of 200 ms and measures 5 of 200 ms, one fork per benchmark
     * and cell.
     */
    static final int WARMUP = 3;
    static final int MEASURE = 5;
    static final int ITERATION_MS = 200;
    /**
     * Seconds a JMH run took in the quick grid, fork start and {@link JitWarmUp} included, on a
     * quiet machine: 44 runs in 3.4 minutes at a load average of 0.9 to 1.4 on 2 cores
     * (2026-12-06; 7.9 s a run at a load of 5 to 7, perf/README.md).
     */
    static final double SECONDS_PER_RUN = 4.7;
    /** Most JVMs a spread cell may run in. */
    private static final int MAX_SPREAD_FORKS = 50;
    /** Largest batch of a grid or a breakdown cell. */
    private static final int MAX_BATCH = 1 << 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "A at batches 1, 32, 256 and B64, B256, B1024 (depth 4) at batches 1 and"
            + " 256 on 1 thread, A at batch 256 on 2 threads; the breakdown of A at batch 1")
    boolean quick;

    @Option(names = "--peak", paramLabel = "G[,G2]", split = ",", hideParamSyntax = true,
            description = "The fp32 peak in GFLOP/s on 1 thread (and 2; default 2 x G) instead of measuring it with PeakBench")
    double[] peak;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "${sys:vecmlp.home:-.}/perf/results",
            description = "Where the files go (default perf/results)")
    Path out;

    @Option(names = "--cell", paramLabel = "NET:BATCH", description = "The per-step breakdown of this cell instead"
            + " of the default (repeatable)")
    List<String> cells;

    @Option(names = "--widths", paramLabel = "LIST", split = ",", hideParamSyntax = true, defaultValue = "64,128,256,512,1024",
            description = "The full grid's B widths instead of ${DEFAULT-VALUE} (e.g. 64,256,1024)")
    int[] widths;

    @Option(names = "--depths", paramLabel = "LIST", split = ",", hideParamSyntax = true, defaultValue = "1,2,3,4,5,6",
            description = "Its B depths (hidden layers) instead of ${DEFAULT-VALUE}")
    int[] depths;

    @Option(names = "--batches", paramLabel = "LIST", split = ",", hideParamSyntax = true, defaultValue = "1,8,32,128,256",
            description = "Its batches instead of ${DEFAULT-VALUE}")
    int[] batches;

    @Option(names = "--threads", paramLabel = "LIST", split = ",", hideParamSyntax = true, defaultValue = "1,2",
            description = "Its thread counts instead of ${DEFAULT-VALUE}")
    int[] threads;

    @Option(names = "--spread-forks", paramLabel = "N", defaultValue = "5",
            description = "The spread run: A's predict, forward, forwardBackward at batches 1, 32, 256 (with --quick"
            + " forwardBackward and predict at 256), 1 thread, each in N fresh JVMs; default ${DEFAULT-VALUE}, 0 for none")
    int spreadForks;

    @Option(names = "--from-json", paramLabel = "FILE", description = "No runs: the report again from a JSON file"
            + " an earlier run wrote")
    Path fromJson;

    @Option(names = "--name", paramLabel = "NAME", description = "The files' name (default bench-quick or bench;"
            + " with --from-json, the JSON file's)")
    String name;

    /** What the command line asked for. */
    record Options(boolean quick, double peak1, double peak2, Path out, List<String> cells, Path fromJson, String name,
                   int[] widths, int[] depths, int[] batches, int[] threads, int spreadForks) {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command with the report's handling of errors: a usage error is its message and a
     * pointer to --help (exit code 2); a run that fails on bad input or a file is one line (exit
     * code 1); anything else, a bug or a failed JMH run, its stack trace too.
     */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchReport());
        cl.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("vecmlp bench: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Run ./vecmlp bench --help for the options.");
            return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            PrintWriter err = c.getErr();
            if (e instanceof IllegalArgumentException || e instanceof IOException) {
                err.println("vecmlp bench: " + (e instanceof IllegalArgumentException ? e.getMessage() : e));
            } else {
                e.printStackTrace(err);
            }
            return c.getCommandSpec().exitCodeOnExecutionException();
        });
        return cl;
    }

    @Override
    public Integer call() throws IOException, RunnerException {
        run(options());
        return 0;
    }

    /**
     * The options, checked: each value in its range, each cell a network and a batch, before
     * anything runs.
     *
     * @throws ParameterException naming the option, what it expects and what it was given
     */
    Options options() {
        double p1 = Double.NaN, p2 = Double.NaN;
        if (peak != null) {
            if (peak.length > 2) {
                throw usage("--peak: expected GFLOPS or GFLOPS,GFLOPS2, found " + peak.length + " numbers");
            }
            for (double g : peak) {
                if (!(g > 0 && Double.isFinite(g))) {
                    throw usage("--peak: expected a positive number, found " + g);
                }
            }
            p1 = peak[0];
            p2 = peak.length == 2 ? peak[1] : 2 * p1;
        }
        List<String> cellList = cells == null ? quick ? List.of("A:1") : List.of("A:1", "A:256", "B64x4:32") : cells;
        for (String cell : cellList) {
            checkCell(cell);
        }
        inRange(widths, "--widths", 1, 1 << 14);
        inRange(depths, "--depths", 1, 64);
        inRange(batches, "--batches", 1, MAX_BATCH);
        inRange(threads, "--threads", 1, 2);
        if (spreadForks != 0 && (spreadForks < 2 || spreadForks > MAX_SPREAD_FORKS)) {
            // One fork has no spread; the grid already runs every cell in one.
            throw usage("--spread-forks: expected 0 (no spread run) or 2 to " + MAX_SPREAD_FORKS + " JVMs, found "
                    + spreadForks);
        }
        if (fromJson != null && !Files.isRegularFile(fromJson)) {
            throw usage("--from-json: expected a JSON file an earlier run wrote, found no file at " + fromJson);
        }
        String n = name;
        if (n == null && fromJson != null) {
            // The report goes beside the results it is made from, under their name.
            String file = fromJson.getFileName().toString();
            n = file.endsWith(".json") ? file.substring(0, file.length() - 5) : file;
        }
        return new Options(quick, p1, p2, out, cellList, fromJson, n != null ? n : quick ? "bench-quick" : "bench",
                widths, depths, batches, threads, spreadForks);
    }

    /** A cell is NET:BATCH: a network {@link Networks#byName} knows and a whole batch. */
    private void checkCell(String cell) {
        int colon = cell.indexOf(':');
        if (colon < 1) {
            throw usage("--cell: expected NET:BATCH (e.g. A:32), found '" + cell + "'");
        }
        try {
            Networks.byName(cell.substring(0, colon));
        } catch (IllegalArgumentException e) {
            throw usage("--cell " + cell + ": " + e.getMessage());
        }
        String batch = cell.substring(colon + 1);
        if (!batch.matches("[0-9]{1,6}") || Integer.parseInt(batch) < 1 || Integer.parseInt(batch) > MAX_BATCH) {
            throw usage("--cell " + cell + ": expected a batch from 1 to " + MAX_BATCH + ", found '" + batch + "'");
        }
    }

    private void inRange(int[] values, String option, int min, int max) {
        for (int v : values) {
            if (v < min || v > max) {
                throw usage(option + ": expected whole numbers from " + min + " to " + max + ", found " + v);
            }
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** One JMH run: a benchmark over the product of its parameter values, each in {@code forks} JVMs. */
    record Block(String include, String[] nets, int[] batches, int[] threads, String[] steps, int jmhThreads, int forks) {
        Block(String include, String[] nets, int[] batches, int[] threads, String[] steps, int jmhThreads) {
            this(include, nets, batches, threads, steps, jmhThreads, 1);
        }

        /** Benchmarks and cells times forks: each is a fresh JVM. */
        int runs() {
            int methods = (int) include.chars().filter(c -> c == '|').count() + 1;
            return methods * nets.length * batches.length * threads.length * Math.max(1, steps.length) * forks;
        }
    }

    static List<Block> blocks(Options o) {
        List<Block> blocks = new ArrayList<>();
        // One JMH run per cell, so that its forward and forwardBackward run one after the other:
        // on a shared machine the load changes from minute to minute, and the ratio is theirs.
        String mlp = "dev\\.vecmlp\\.perf\\.MlpBench\\.(forward|forwardBackward)$";
        if (o.quick()) {
            for (int b : new int[] {1, 32, 256}) {
                blocks.add(new Block(mlp, new String[] {"A"}, new int[] {b}, new int[] {1}, new String[0], 1));
            }
            blocks.add(new Block(mlp, new String[] {"A"}, new int[] {256}, new int[] {2}, new String[0], 1));
            for (int w : new int[] {64, 256, 1024}) {
                for (int b : new int[] {1, 256}) {
                    blocks.add(new Block(mlp, new String[] {Networks.b(w, Networks.B_DEFAULT_DEPTH)}, new int[] {b},
                            new int[] {1}, new String[0], 1));
                }
            }
        } else {
            List<String> nets = new ArrayList<>(List.of("A"));
            for (int w : o.widths()) {
                for (int d : o.depths()) {
                    nets.add(Networks.b(w, d));
                }
            }
            for (String net : nets) {
                for (int b : o.batches()) {
                    for (int t : o.threads()) {
                        blocks.add(new Block(mlp, new String[] {net}, new int[] {b}, new int[] {t}, new String[0], 1));
                    }
                }
            }
        }
        if (o.spreadForks() > 0) {
            // The same cells again, each in fresh JVMs: how far one fork's figure is from another's.
            String methods = o.quick() ? "(forwardBackward|predict)" : "(predict|forward|forwardBackward)";
            for (int b : o.quick() ? new int[] {256} : new int[] {1, 32, 256}) {
                blocks.add(new Block("dev\\.vecmlp\\.perf\\.MlpBench\\." + methods + "$", new String[] {"A"},
                        new int[] {b}, new int[] {1}, new String[0], 1, o.spreadForks()));
            }
        }
        for (String cell : o.cells()) {
            int colon = cell.indexOf(':');
            String net = cell.substring(0, colon);
            List<String> steps = StepBench.steps(Networks.byName(net));
            blocks.add(new Block("dev\\.vecmlp\\.perf\\.StepBench\\.run$", new String[] {net},
                    new int[] {Integer.parseInt(cell.substring(colon + 1))}, new int[] {1}, steps.toArray(new String[0]), 1));
        }
        if (Double.isNaN(o.peak1())) {
            blocks.add(new Block("dev\\.vecmlp\\.perf\\.PeakBench\\.fma$", new String[0], new int[0], new int[0],
                    new String[0], 1));
            blocks.add(new Block("dev\\.vecmlp\\.perf\\.PeakBench\\.fma$", new String[0], new int[0], new int[0],
                    new String[0], 2));
        }
        return blocks;
    }

    static void run(Options o) throws IOException, RunnerException {
        Files.createDirectories(o.out());
        Path json = o.out().resolve(o.name() + ".json");
        List<String> header = new ArrayList<>();
        if (o.fromJson() == null) {
            List<Block> blocks = blocks(o);
            int runs = 0;
            for (Block b : blocks) {
                runs += Math.max(1, b.runs());
            }
            System.out.printf("vecmlp bench: %d JMH runs, about %.0f minutes%n", runs, runs * SECONDS_PER_RUN / 60);
            double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            long start = System.nanoTime();
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < blocks.size(); i++) {
                Path part = o.out().resolve(o.name() + ".part.json");
                System.out.printf("vecmlp bench: JMH run %d of %d%n", i + 1, blocks.size());
                jmh(blocks.get(i), part);
                parts.add(Files.readString(part, StandardCharsets.UTF_8));
                Files.delete(part);
            }
            Files.writeString(json, BenchRuns.join(parts), StandardCharsets.UTF_8);
            double minutes = (System.nanoTime() - start) / 60e9;
            header.add(BenchTables.f("Made by `./vecmlp bench%s` on %s; %d JMH runs in %.1f minutes (%.1f s a run).",
                    o.quick() ? " --quick" : "", Instant.now().truncatedTo(ChronoUnit.SECONDS), runs, minutes,
                    minutes * 60 / runs));
            // Other work on the machine slows every figure; the load average says how much there was.
            header.add(BenchTables.f("Load average (1 min) %.1f before the runs, %.1f after, on %d cores.", loadBefore,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                    Runtime.getRuntime().availableProcessors()));
            Files.write(notes(json), header, StandardCharsets.UTF_8);
        } else {
            // The run's own lines (when, how long, the load) were kept beside its JSON.
            Path notes = notes(o.fromJson());
            if (Files.exists(notes)) {
                header.addAll(Files.readAllLines(notes, StandardCharsets.UTF_8));
            }
            header.add("Report made again from `" + o.fromJson().getFileName() + "` by `./vecmlp bench --from-json "
                    + o.fromJson().getFileName() + (Double.isNaN(o.peak1()) ? "" : BenchTables.f(" --peak %.0f,%.0f",
                    o.peak1(), o.peak2())) + "`.");
        }
        Path source = o.fromJson() != null ? o.fromJson() : json;
        List<BenchRuns.Run> results = BenchRuns.parse(Files.readString(source, StandardCharsets.UTF_8), source.toString());
        BenchRuns.Run first = results.getFirst();
        int spreadForks = results.stream().mapToInt(BenchRuns.Run::forks).max().orElse(0);
        header.add(BenchTables.f("JDK %s, %d-lane vectors, %d cores; JMH %d × %s measured after warm-up, one fork per cell%s.",
                first.jdk(), PeakBench.lanes(), Runtime.getRuntime().availableProcessors(), first.iterations(),
                first.iterationTime(), spreadForks > 1 ? BenchTables.f(" (%d in the spread run)", spreadForks) : ""));
        BenchTables tables = new BenchTables(results, o.peak1(), o.peak2());
        List<LineChart> charts = tables.ratioCharts();
        String chartName = null;
        if (!charts.isEmpty()) {
            chartName = o.name() + "-ratio.png";
            int columns = Math.min(3, charts.size());
            Charts.writePng(o.out().resolve(chartName), columns, 640, 440, charts.toArray(new LineChart[0]));
            charts.get(Math.min(charts.size() - 1, depthFourIndex(tables))).writeSvg(o.out().resolve(o.name() + "-ratio.svg"),
                    640, 440);
        }
        boolean quick = o.quick() || o.name().contains("quick");
        String md = tables.markdown("Backward against forward: " + (quick ? "the quick grid" : "the grid"), header,
                chartName);
        Path report = o.out().resolve(o.name() + ".md");
        Files.writeString(report, md, StandardCharsets.UTF_8);
        System.out.println("vecmlp bench: wrote " + report + (o.fromJson() == null ? ", " + json.getFileName() : "")
                + (chartName != null ? ", " + chartName + " and " + o.name() + "-ratio.svg" : ""));
    }

    /** The run's notes beside its JSON file: {@code NAME.json} → {@code NAME.run.txt}. */
    static Path notes(Path json) {
        String n = json.getFileName().toString();
        return json.resolveSibling((n.endsWith(".json") ? n.substring(0, n.length() - 5) : n) + ".run.txt");
    }

    /** Index of the depth-4 chart among the charts (they come in depth order), or 0. */
    private static int depthFourIndex(BenchTables t) {
        return (int) t.cells().stream().filter(c -> c.net().startsWith("B") && c.threads() == 1)
                .map(BenchTables.Cell::depth).distinct().filter(d -> d < Networks.B_DEFAULT_DEPTH).count();
    }

    private static void jmh(Block b, Path result) throws RunnerException {
        ChainedOptionsBuilder opts = new OptionsBuilder().include(b.include())
                .warmupIterations(WARMUP).warmupTime(TimeValue.milliseconds(ITERATION_MS))
                .measurementIterations(MEASURE).measurementTime(TimeValue.milliseconds(ITERATION_MS))
                .forks(b.forks()).threads(b.jmhThreads()).timeUnit(TimeUnit.MICROSECONDS)
                .resultFormat(ResultFormatType.JSON).result(result.toString());
        if (b.nets().length > 0) {
            opts.param("net", b.nets()).param("batch", strings(b.batches()));
        }
        if (b.include().contains("MlpBench")) {
            opts.param("threads", strings(b.threads())).param("kernels", "simd");
        }
        if (b.steps().length > 0) {
            opts.param("step", b.steps());
        }
        if (b.include().contains("PeakBench")) {
            opts.timeUnit(TimeUnit.NANOSECONDS);
        }
        if (b.forks() > 1) {
            // The spread run: whether a JVM's compiled code allocates can differ from fork to fork
            // (a batch-256 predict allocated 24.6 KB a call in some JVMs and nothing in others).
            opts.addProfiler(GCProfiler.class);
        }
        new Runner(opts.build()).run();
    }

    private static String[] strings(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).toArray(String[]::new);
    }
}
