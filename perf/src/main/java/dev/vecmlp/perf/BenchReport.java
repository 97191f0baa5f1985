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
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
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
 * ./vecmlp bench --quick                      # about a minute: perf/results/bench-quick.{md,json,png,svg}
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
            "Times forward and forward+backward passes in turn with JMH over a grid of networks,",
            "batches and thread counts, calibrates the cost model on this machine, and writes",
            "DIR/NAME.md (the report: measured ratio, FLOP model, cost model and what each pass is",
            "made of), DIR/NAME.json (the raw JMH results), DIR/NAME-ratio.png and .svg (the ratios",
            "against width) and DIR/NAME-steps.png (each backward step against its forward step).",
            "",
            "Without --quick, the full grid: A and B<w>x<d> for widths 64-1024, depths 1-6, batches",
            "1, 8, 32, 128, 256, 1 and 2 threads, one JVM per network; breakdowns of A:1, A:256,",
            "B64x4:32; A in 5 fresh JVMs (the spread: --spread-forks); about 20 minutes.",
            "--quick: one JVM, about a minute.",
            ""})
public final class BenchReport implements Callable<Integer> {
    /**
     * JMH iterations of a run in JVMs of its own (the spread run): {@link JitWarmUp} first runs
     * each benchmark until the JIT is quiet, then JMH warms up for 3 iterations of 200 ms and
     * measures 5 of 200 ms.
     */
    static final int WARMUP = 3;
    static final int MEASURE = 5;
    static final int ITERATION_MS = 200;
    /**
     * JMH iterations in a shared fork ({@link SharedFork}): the JVM's first benchmark runs until
     * the JIT is quiet ({@link JitWarmUp}), later ones until nothing has compiled for 200 ms;
     * then 1 warm-up and 8 measured iterations of 50 ms (the shared warm-up has compiled every
     * cell's code). Eight short iterations give the same time a tighter error than four long
     * ones (JMH's 99.9 % half-width is 1.9 standard deviations of an iteration with 8, 6.5 with
     * 4), and one slow iteration weighs less.
     */
    static final int SHARED_WARMUP = 1;
    static final int SHARED_MEASURE = 8;
    static final int SHARED_ITERATION_MS = 50;
    /**
     * The calibration's steps and probes are measured more briefly, 1 warm-up and 5 measured
     * iterations of 50 ms: a step alone on a warm JVM varied by about 1 % from one iteration to
     * the next, where a whole pass varied by 5 to 30 %.
     */
    static final int BRIEF_WARMUP = 1;
    static final int BRIEF_MEASURE = 5;
    /**
     * Seconds a shared fork takes to start and warm up, and a JMH run in it after that: the full
     * grid of 2026-12-06 ran 668 shared runs in 32 JVMs and 47 forked ones in 19.4 minutes.
     */
    static final double SECONDS_PER_SHARED_JVM = 12;
    static final double SECONDS_PER_SHARED_RUN = 0.85;
    /**
     * Seconds a JMH run in JVMs of its own (the spread run) takes, fork start and
     * {@link JitWarmUp} included, on a quiet machine: 44 runs in 3.4 minutes at a load average
     * of 0.9 to 1.4 on 2 cores (2026-12-06; 7.9 s a run at a load of 5 to 7, perf/README.md).
     */
    static final double SECONDS_PER_RUN = 4.7;
    /** Most JVMs a spread cell may run in. */
    private static final int MAX_SPREAD_FORKS = 50;
    /** Largest batch of a grid or a breakdown cell. */
    private static final int MAX_BATCH = 1 << 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "A at batches 1, 32, 256 and B64, B256, B1024 (depth 4) at batches 1 and"
            + " 256 on 1 thread, A at batch 256 on 2 threads, in one JVM; no breakdown or spread unless asked for")
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

    @Option(names = "--spread-forks", paramLabel = "N",
            description = "The spread run: A's predict, forward, forwardBackward at batches 1, 32, 256 (with --quick"
            + " forwardBackward and predict at 256), 1 thread, each in N fresh JVMs; default 5, with --quick 0 (none)")
    Integer spreadForks;

    @Option(names = "--from-json", paramLabel = "FILE", description = "No runs: the report again from a JSON file"
            + " an earlier run wrote")
    Path fromJson;

    @Option(names = "--peer", paramLabel = "ENGINE", description = "pytorch: the grid's cells in PyTorch too, after ours"
            + " (Debian's python3-torch, 1 and 2 threads as the cell has), beside ours in the report; kept as"
            + " NAME-pytorch.json, which --from-json reads again")
    String peerName;

    @Option(names = "--name", paramLabel = "NAME", description = "The files' name (default bench-quick or bench;"
            + " with --from-json, the JSON file's)")
    String name;

    /** What the command line asked for. */
    record Options(boolean quick, double peak1, double peak2, Path out, List<String> cells, Path fromJson, String name,
                   int[] widths, int[] depths, int[] batches, int[] threads, int spreadForks, boolean peer) {
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
        // The quick grid has no breakdown unless asked for: it must fit in a minute.
        List<String> cellList = cells == null ? quick ? List.of() : List.of("A:1", "A:256", "B64x4:32") : cells;
        for (String cell : cellList) {
            checkCell(cell);
        }
        inRange(widths, "--widths", 1, 1 << 14);
        inRange(depths, "--depths", 1, 64);
        inRange(batches, "--batches", 1, MAX_BATCH);
        inRange(threads, "--threads", 1, 2);
        // --quick is the one-minute look: the spread run alone takes longer, so it runs only when asked for.
        int forks = spreadForks != null ? spreadForks : quick ? 0 : 5;
        if (forks != 0 && (forks < 2 || forks > MAX_SPREAD_FORKS)) {
            // One fork has no spread; the grid already runs every cell in one.
            throw usage("--spread-forks: expected 0 (no spread run) or 2 to " + MAX_SPREAD_FORKS + " JVMs, found "
                    + forks);
        }
        if (peerName != null && !peerName.equals("pytorch")) {
            throw usage("--peer: expected pytorch, found '" + peerName + "'");
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
                widths, depths, batches, threads, forks, peerName != null);
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

    /**
     * One JMH run: a benchmark over the product of its parameter values, in a shared fork or
     * each in {@code forks} JVMs of its own.
     *
     * @param params parameter name to values, in JMH's order
     * @param brief  the calibration's shorter measurement in a shared fork ({@link #BRIEF_MEASURE})
     */
    record Block(String include, Map<String, List<String>> params, int jmhThreads, int forks, boolean brief) {
        Block {
            params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        }

        Block(String include, Map<String, List<String>> params, int jmhThreads, int forks) {
            this(include, params, jmhThreads, forks, false);
        }

        /** MlpBench's forward and forwardBackward of one cell, timed in turn ({@link MlpBench#pair}). */
        static Block cell(String net, int batch, int threads) {
            return new Block(MLP, Map.of("net", List.of(net), "batch", List.of(Integer.toString(batch)), "threads",
                    List.of(Integer.toString(threads)), "kernels", List.of("simd")), 1, 1);
        }

        /** StepBench over {@code steps} of a network at a batch. */
        static Block steps(String net, int batch, List<String> steps) {
            return new Block("dev\\.vecmlp\\.perf\\.StepBench\\.run$", Map.of("net", List.of(net), "batch",
                    List.of(Integer.toString(batch)), "step", steps), 1, 1);
        }

        /** The same block measured briefly ({@link #BRIEF_MEASURE}), on {@code jmhThreads} threads at once. */
        Block brief(int jmhThreads) {
            return new Block(include, params, jmhThreads, forks, true);
        }

        /** The values of a parameter, empty when the block has none. */
        List<String> param(String name) {
            return params.getOrDefault(name, List.of());
        }

        /** Benchmarks times parameter sets times forks: each a JMH run of its own (a fresh JVM when forked). */
        int runs() {
            int n = (int) include.chars().filter(c -> c == '|').count() + 1;
            for (List<String> v : params.values()) {
                n *= v.size();
            }
            return n * forks;
        }

        /** The block as one command-line argument of {@link SharedFork}: tab-separated fields. */
        String encode() {
            StringBuilder b = new StringBuilder(include).append('\t').append(jmhThreads).append('\t').append(forks)
                    .append('\t').append(brief);
            params.forEach((k, v) -> b.append('\t').append(k).append('=').append(String.join(",", v)));
            return b.toString();
        }

        static Block decode(String text) {
            String[] f = text.split("\t");
            Map<String, List<String>> params = new LinkedHashMap<>();
            for (int i = 4; i < f.length; i++) {
                int eq = f[i].indexOf('=');
                params.put(f[i].substring(0, eq), List.of(f[i].substring(eq + 1).split(",")));
            }
            return new Block(f[0], params, Integer.parseInt(f[1]), Integer.parseInt(f[2]), Boolean.parseBoolean(f[3]));
        }
    }

    /** MlpBench's two passes timed in turn, the grid's benchmark. */
    static final String MLP = "dev\\.vecmlp\\.perf\\.MlpBench\\.pair$";

    /**
     * What runs in one go: the blocks of one shared fork ({@link SharedFork}: one fresh JVM for
     * all of them), or blocks each in JMH forks of their own (the peak, the spread run).
     */
    record Job(String label, List<Block> blocks, boolean shared) {
        Job {
            blocks = List.copyOf(blocks);
        }

        int runs() {
            return blocks.stream().mapToInt(Block::runs).sum();
        }
    }

    /**
     * The runs: first the calibration JVM (the overhead network's passes, {@link CostBench}'s
     * bandwidth probes, and {@link PeakBench} on 1 and 2 threads unless --peak), then one JVM per
     * network ({@link CalibrationBench} at every rows per shard its cells run, its cells, each
     * cell's two passes in turn, and the step breakdowns asked for on it), then the spread run in
     * JMH forks. {@code --quick} runs all but the spread in one JVM.
     */
    static List<Job> jobs(Options o) {
        Map<String, List<int[]>> grid = new LinkedHashMap<>();
        if (o.quick()) {
            grid.put("A", new ArrayList<>(List.of(new int[] {1, 1}, new int[] {32, 1}, new int[] {256, 1},
                    new int[] {256, 2})));
            for (int w : new int[] {64, 256, 1024}) {
                grid.put(Networks.b(w, Networks.B_DEFAULT_DEPTH), new ArrayList<>(List.of(new int[] {1, 1},
                        new int[] {256, 1})));
            }
        } else {
            List<String> nets = new ArrayList<>(List.of("A"));
            for (int w : o.widths()) {
                for (int d : o.depths()) {
                    nets.add(Networks.b(w, d));
                }
            }
            for (String net : nets) {
                List<int[]> cells = new ArrayList<>();
                for (int b : o.batches()) {
                    for (int t : o.threads()) {
                        cells.add(new int[] {b, t});
                    }
                }
                grid.put(net, cells);
            }
        }
        Map<String, List<Integer>> breakdowns = new LinkedHashMap<>();
        for (String cell : o.cells()) {
            int colon = cell.indexOf(':');
            breakdowns.computeIfAbsent(cell.substring(0, colon), k -> new ArrayList<>())
                    .add(Integer.parseInt(cell.substring(colon + 1)));
        }
        List<Job> jobs = new ArrayList<>();
        if (Double.isNaN(o.peak1())) {
            // In a fork of its own: run in-process (JMH -f 0, without JMH's compiler hints), the FMA loop was not
            // compiled to vector code and measured 6 GFLOP/s.
            jobs.add(new Job("peak", List.of(new Block("dev\\.vecmlp\\.perf\\.PeakBench\\.fma$", Map.of(), 1, 1),
                    new Block("dev\\.vecmlp\\.perf\\.PeakBench\\.fma$", Map.of(), 2, 1)), false));
        }
        jobs.add(calibration(o, grid));
        if (o.quick()) {
            // The one-minute look: one JVM for all of it, warmed once. Its networks share the
            // compiled code, as they never do in the full grid's JVM per network.
            List<Block> all = new ArrayList<>(jobs.removeLast().blocks());
            all.addAll(calibrationBench("quick", grid.values().stream().flatMap(List::stream).toList()));
            for (Map.Entry<String, List<int[]>> e : grid.entrySet()) {
                for (int[] bt : e.getValue()) {
                    all.add(Block.cell(e.getKey(), bt[0], bt[1]));
                }
                addBreakdowns(all, e.getKey(), breakdowns.remove(e.getKey()));
            }
            breakdowns.forEach((net, batches) -> addBreakdowns(all, net, batches));
            jobs.add(new Job("the quick grid", all, true));
        } else {
            for (Map.Entry<String, List<int[]>> e : grid.entrySet()) {
                // The calibration first, on the JVM's compiled code, then the cells it predicts.
                List<Block> blocks = new ArrayList<>(calibrationBench(e.getKey(), e.getValue()));
                for (int[] bt : e.getValue()) {
                    blocks.add(Block.cell(e.getKey(), bt[0], bt[1]));
                }
                addBreakdowns(blocks, e.getKey(), breakdowns.remove(e.getKey()));
                jobs.add(new Job(e.getKey(), blocks, true));
            }
            for (Map.Entry<String, List<Integer>> e : breakdowns.entrySet()) {
                // A breakdown of a network the grid does not run: a JVM of its own.
                List<Block> blocks = new ArrayList<>();
                addBreakdowns(blocks, e.getKey(), e.getValue());
                jobs.add(new Job(e.getKey() + " steps", blocks, true));
            }
        }
        if (o.spreadForks() > 0) {
            // The same cells again, each in fresh JVMs: how far one fork's figure is from another's.
            String methods = o.quick() ? "(forwardBackward|predict)" : "(predict|forward|forwardBackward)";
            for (int b : o.quick() ? new int[] {256} : new int[] {1, 32, 256}) {
                Block spread = new Block("dev\\.vecmlp\\.perf\\.MlpBench\\." + methods + "$", Map.of("net", List.of("A"),
                        "batch", List.of(Integer.toString(b)), "threads", List.of("1"), "kernels", List.of("simd")), 1,
                        o.spreadForks());
                jobs.add(new Job("spread A:" + b, List.of(spread), false));
            }
        }
        return jobs;
    }

    private static void addBreakdowns(List<Block> blocks, String net, List<Integer> batches) {
        if (batches != null) {
            for (int b : batches) {
                blocks.add(Block.steps(net, b, StepBench.steps(Networks.byName(net))));
            }
        }
    }

    /**
     * The calibration JVM: the overhead network's passes (1 thread, and 2 threads at 1 and 2
     * shards when a cell runs on 2), the read and write bandwidth from L1-sized to DRAM-sized
     * buffers, and the peak. The rest of the calibration runs in each network's JVM.
     */
    private static Job calibration(Options o, Map<String, List<int[]>> grid) {
        boolean twoThreads = grid.values().stream().flatMap(List::stream).anyMatch(bt -> bt[1] > 1);
        List<Block> blocks = new ArrayList<>();
        blocks.add(Block.cell(CostModel.OVERHEAD_NET, 1, 1));
        if (twoThreads) {
            // What handing 1 shard and 2 shards to the pool costs, on a network that does no work.
            blocks.add(Block.cell(CostModel.OVERHEAD_NET, 1, 2));
            blocks.add(Block.cell(CostModel.OVERHEAD_NET, 2, 2));
        }
        List<String> probes = new ArrayList<>();
        for (String kind : new String[] {"read:", "write:"}) {
            for (long bytes : CostBench.BUFFER_BYTES) {
                probes.add(kind + bytes);
            }
        }
        if (twoThreads) {
            for (long bytes : CostBench.HANDOVER_BYTES) {
                probes.add("local:" + bytes);
                probes.add("handover:" + bytes);
            }
        }
        blocks.add(new Block("dev\\.vecmlp\\.perf\\.CostBench\\.run$", Map.of("probe", probes), 1, 1).brief(1));
        return new Job("calibration", blocks, true);
    }

    /**
     * The cost model's calibration in the JVM labelled {@code jvm}, at every rows per shard its
     * cells run: on 1 thread for the cells that run one shard, on 2 at once for the others.
     */
    private static List<Block> calibrationBench(String jvm, List<int[]> cells) {
        TreeSet<Integer> one = new TreeSet<>(), two = new TreeSet<>();
        for (int[] bt : cells) {
            (CostModel.shards(bt[0], bt[1]) > 1 ? two : one).add(CostModel.shardRows(bt[0], bt[1]));
        }
        List<Block> blocks = new ArrayList<>();
        for (int threads = 1; threads <= 2; threads++) {
            List<String> rows = (threads == 1 ? one : two).stream().map(String::valueOf).toList();
            if (!rows.isEmpty()) {
                blocks.add(new Block("dev\\.vecmlp\\.perf\\.CalibrationBench\\.run$", Map.of("rows", rows, "jvm",
                        List.of(jvm)), threads, 1).brief(threads));
            }
        }
        return blocks;
    }

    static void run(Options o) throws IOException, RunnerException {
        Files.createDirectories(o.out());
        Path json = o.out().resolve(o.name() + ".json");
        List<String> header = new ArrayList<>();
        if (o.fromJson() == null) {
            List<Job> jobs = jobs(o);
            int runs = jobs.stream().mapToInt(Job::runs).sum();
            System.out.printf("vecmlp bench: %d JMH runs in %d JVMs, about %.0f minutes%n", runs,
                    jobs.stream().mapToInt(j -> j.shared() ? 1 : j.runs()).sum(), estimateSeconds(jobs) / 60);
            double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            long start = System.nanoTime();
            List<String> parts = new ArrayList<>();
            Path part = o.out().resolve(o.name() + ".part.json");
            for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get(i);
                System.out.printf("vecmlp bench: %d of %d, %s: %d JMH runs%s%n", i + 1, jobs.size(), job.label(),
                        job.runs(), job.shared() ? " in one JVM" : " in JVMs of their own");
                if (job.shared()) {
                    shared(job, part);
                    parts.add(take(part));
                } else {
                    for (Block b : job.blocks()) {
                        jmh(b, part, b.forks());
                        parts.add(take(part));
                    }
                }
            }
            Files.writeString(json, BenchRuns.join(parts), StandardCharsets.UTF_8);
            double minutes = (System.nanoTime() - start) / 60e9;
            header.add(BenchTables.f("Made by `./vecmlp bench%s` on %s; %d JMH runs in %d JVMs in %.1f minutes.",
                    o.quick() ? " --quick" : "", Instant.now().truncatedTo(ChronoUnit.SECONDS), runs,
                    jobs.stream().mapToInt(j -> j.shared() ? 1 : j.runs()).sum(), minutes));
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
        // The grid's own iterations: the first cell's (the peak and the spread run in forks of their own, measured longer).
        BenchRuns.Run first = results.stream().filter(r -> r.benchmark().equals("MlpBench.pair")).findFirst()
                .orElse(results.getFirst());
        int spreadForks = results.stream().mapToInt(BenchRuns.Run::forks).max().orElse(0);
        header.add(BenchTables.f("JDK %s, %d-lane vectors, %d cores; a cell's forward and forward+backward timed in turn"
                + " (JMH %d × %s measured), the cells of a network in one JVM warmed over all of them once%s.",
                first.jdk(), PeakBench.lanes(), Runtime.getRuntime().availableProcessors(), first.iterations(),
                first.iterationTime(), spreadForks > 1 ? BenchTables.f(" (the spread run: %d JVMs a cell)", spreadForks) : ""));
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
        List<LineChart> steps = tables.stepCharts();
        String stepsName = null;
        if (!steps.isEmpty()) {
            stepsName = o.name() + "-steps.png";
            Charts.writePng(o.out().resolve(stepsName), Math.min(3, steps.size()), 640, 440,
                    steps.toArray(new LineChart[0]));
        }
        PyTorchPeer.Run peer = null;
        Path peerFile = o.out().resolve(o.name() + "-pytorch.json");
        if (o.peer()) {
            List<String[]> cells = tables.cells().stream()
                    .map(c -> new String[] {c.net(), Integer.toString(c.batch()), Integer.toString(c.threads())}).toList();
            System.out.printf("vecmlp bench: the %d cells in PyTorch%n", cells.size());
            peer = PyTorchPeer.run(cells, Path.of(System.getProperty("vecmlp.home", ".")), peerFile);
        } else if (o.fromJson() != null && Files.isRegularFile(PyTorchPeer.file(o.fromJson()))) {
            peerFile = PyTorchPeer.file(o.fromJson());
            peer = PyTorchPeer.read(peerFile);
        }
        if (peer != null) {
            header.add("PyTorch's run of the same cells: `" + peerFile.getFileName() + "`.");
        }
        boolean quick = o.quick() || o.name().contains("quick");
        String md = tables.markdown("Backward against forward: " + (quick ? "the quick grid" : "the grid"), header,
                chartName, stepsName, peer);
        Path report = o.out().resolve(o.name() + ".md");
        Files.writeString(report, md, StandardCharsets.UTF_8);
        System.out.println("vecmlp bench: wrote " + report + (o.fromJson() == null ? ", " + json.getFileName() : "")
                + (chartName != null ? ", " + chartName + " and " + o.name() + "-ratio.svg" : "")
                + (stepsName != null ? ", " + stepsName : "") + (o.peer() ? ", " + peerFile.getFileName() : ""));
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

    /** A run's result file's text; the file is deleted. */
    private static String take(Path part) throws IOException {
        String text = Files.readString(part, StandardCharsets.UTF_8);
        Files.delete(part);
        return text;
    }

    /** Runs a shared job's blocks in one fresh JVM ({@link SharedFork}), its results to {@code result}. */
    private static void shared(Job job, Path result) throws IOException {
        Process p = new ProcessBuilder(SharedFork.command(result, job.blocks())).inheritIO().start();
        try {
            int exit = p.waitFor();
            if (exit != 0) {
                throw new IOException("the JVM of " + job.label() + " exited with " + exit + " (its output is above)");
            }
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + job.label() + " ran", e);
        }
    }

    /** Seconds the jobs should take on a quiet machine: a JVM start per shared job, then its runs. */
    static double estimateSeconds(List<Job> jobs) {
        double s = 0;
        for (Job j : jobs) {
            s += j.shared() ? SECONDS_PER_SHARED_JVM + j.runs() * SECONDS_PER_SHARED_RUN : j.runs() * SECONDS_PER_RUN;
        }
        return s;
    }

    /**
     * One JMH run of a block: {@code forks} 0 runs it in this JVM, with the shared fork's
     * shorter iterations ({@link #SHARED_WARMUP} x {@link #SHARED_ITERATION_MS} ms warm-up,
     * {@link #SHARED_MEASURE} measured), else in that many fresh JVMs with the forked runs'.
     */
    static void jmh(Block b, Path result, int forks) throws RunnerException {
        boolean shared = forks == 0;
        ChainedOptionsBuilder opts = new OptionsBuilder().include(b.include())
                .warmupIterations(shared ? b.brief() ? BRIEF_WARMUP : SHARED_WARMUP : WARMUP)
                .warmupTime(TimeValue.milliseconds(shared ? SHARED_ITERATION_MS : ITERATION_MS))
                .measurementIterations(shared ? b.brief() ? BRIEF_MEASURE : SHARED_MEASURE : MEASURE)
                .measurementTime(TimeValue.milliseconds(shared ? SHARED_ITERATION_MS : ITERATION_MS))
                .forks(forks).threads(b.jmhThreads()).timeUnit(TimeUnit.MICROSECONDS)
                .resultFormat(ResultFormatType.JSON).result(result.toString());
        b.params().forEach((k, v) -> opts.param(k, v.toArray(new String[0])));
        if (b.include().contains("PeakBench")) {
            opts.timeUnit(TimeUnit.NANOSECONDS);
        }
        if (forks > 1) {
            // The spread run: whether a JVM's compiled code allocates can differ from fork to fork
            // (a batch-256 predict allocated 24.6 KB a call in some JVMs and nothing in others).
            opts.addProfiler(GCProfiler.class);
        }
        new Runner(opts.build()).run();
    }
}
