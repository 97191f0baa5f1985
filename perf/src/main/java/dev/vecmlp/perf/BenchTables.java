package dev.vecmlp.perf;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.commons.math3.distribution.TDistribution;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.plot.LineChart;
import dev.vecmlp.plot.Style;

/**
 * The report's arithmetic and text, from JMH results alone: cells of the grid (forward and
 * forward+backward of one network, batch and thread count), the FLOP model's prediction for
 * each, the per-step breakdown, the markdown and the ratio chart. No JMH run happens here, so a
 * report can be made again from a saved result file.
 */
public final class BenchTables {
    /** The tolerance on the ratio at batch >= 32 and width >= 256. */
    static final double RATIO_TOLERANCE = 0.10;
    /** The kernel-speed issue's bound on the spread between fresh JVMs: (max − min) / min of the fork means. */
    static final double SPREAD_TOLERANCE = 0.10;
    /** The cost model's target: its ratio within 15 % of the measured one ... */
    static final double COST_TOLERANCE = 0.15;
    /** ... in at least 90 % of the cells it did not calibrate on. */
    static final double COST_TARGET_SHARE = 0.90;
    /** A cell whose JMH error (99.9 % half-width) exceeds 10 % of its score is marked. */
    static final double NOISY = 0.10;

    private final List<BenchRuns.Run> runs;
    private final double peak1;
    private final double peak2;
    private final String peakSource;
    private final List<Cell> cells;
    /**
     * The cost model calibrated on these results, or null when they hold no calibration: the
     * calibration of the first JVM that calibrated (the report shows its figures).
     */
    private final CostModel cost;
    /** By JVM label (a network's name, or the quick grid's), the model calibrated in that JVM. */
    private final Map<String, CostModel> models = new TreeMap<>();

    /**
     * One cell of the grid.
     *
     * @param forward   µs per forward pass (with the loss)
     * @param both      µs per forward and backward pass
     */
    public record Cell(String net, int batch, int threads, double forward, double forwardError, double both,
                       double bothError) {
        /** The network. */
        public Mlp spec() {
            return Networks.byName(net);
        }

        /** µs of the backward pass: forward+backward less forward, from the same run. */
        public double backward() {
            return both - forward;
        }

        /** The measured ratio backward / forward. */
        public double ratio() {
            return backward() / forward;
        }

        /** The FLOP model's ratio. */
        public double predicted() {
            return FlopModel.predictedRatio(spec());
        }

        public double forwardGflops() {
            return FlopModel.gflops(FlopModel.forwardMacs(spec()), batch, forward);
        }

        public double backwardGflops() {
            return FlopModel.gflops(FlopModel.backwardMacs(spec()), batch, backward());
        }

        /** The widest hidden layer. */
        public int width() {
            return hiddenWidth(spec());
        }

        /** Hidden layers (weight layers less the output layer). */
        public int depth() {
            return spec().depth() - 1;
        }

        /** The larger of the two runs' JMH errors, as a fraction of their scores. */
        public double relativeError() {
            return Math.max(forwardError / forward, bothError / both);
        }

        /** Whether a JMH error exceeds {@link #NOISY} (NaN errors, from too few iterations, do not). */
        public boolean noisy() {
            return relativeError() > NOISY;
        }
    }

    /**
     * Tables over {@code runs}, with the peak in GFLOP/s for 1 and 2 threads: NaN to take it from
     * the {@code PeakBench} results among the runs.
     *
     * @throws IllegalArgumentException if there is no peak either way, or no MlpBench cell
     */
    public BenchTables(List<BenchRuns.Run> runs, double peak1, double peak2) {
        this.runs = List.copyOf(runs);
        String source = "given with --peak";
        if (Double.isNaN(peak1) || Double.isNaN(peak2)) {
            double m1 = measuredPeak(1), m2 = measuredPeak(2);
            if (Double.isNaN(peak1)) {
                peak1 = m1;
            }
            if (Double.isNaN(peak2)) {
                peak2 = Double.isNaN(m2) ? 2 * peak1 : m2;
            }
            source = "measured (PeakBench: 12 chains of " + PeakBench.lanes() + "-lane FMAs)";
        }
        if (!(peak1 > 0)) {
            throw new IllegalArgumentException("peak: expected --peak GFLOPS or PeakBench results in the JSON, found neither");
        }
        this.peak1 = peak1;
        this.peak2 = peak2;
        this.peakSource = source;
        this.cells = cells(this.runs);
        if (cells.isEmpty()) {
            throw new IllegalArgumentException("JMH results: expected MlpBench forward and forwardBackward results for at"
                    + " least one cell, found none");
        }
        for (String jvm : CostModel.calibratedJvms(this.runs)) {
            CostModel.Calibration cal = CostModel.calibration(this.runs, jvm);
            if (cal != null) {
                models.put(jvm, new CostModel(cal));
            }
        }
        List<String> jvms = CostModel.calibratedJvms(this.runs).stream().filter(models::containsKey).toList();
        this.cost = jvms.isEmpty() ? null : models.get(jvms.getFirst());
    }

    /** The JVMs with a calibration, by label. */
    public Map<String, CostModel> models() {
        return models;
    }

    /** The cost model calibrated on these results, or null when they hold no calibration. */
    public CostModel costModel() {
        return cost;
    }

    /**
     * The cost model's passes for a cell, from the calibration of the cell's own JVM (the JVM
     * of its network), else from the first; null without a calibration.
     */
    public CostModel.Prediction predicted(Cell c) {
        return cost == null ? null : models.getOrDefault(c.net(), cost).predict(c.spec(), c.batch(), c.threads());
    }

    /** Whether a cell validates the cost model: every cell but the calibration network's. */
    public boolean validates(Cell c) {
        return cost != null && !CostModel.CALIBRATION_NETS.contains(c.net());
    }

    /** Whether the cost model's ratio is within {@link #COST_TOLERANCE} of the measured one. */
    public boolean costWithin(Cell c) {
        return Math.abs(predicted(c).ratio() / c.ratio() - 1) <= COST_TOLERANCE;
    }

    public List<Cell> cells() {
        return cells;
    }

    /** The peak for {@code threads} threads, GFLOP/s. */
    public double peak(int threads) {
        return threads == 1 ? peak1 : peak2;
    }

    private double measuredPeak(int threads) {
        for (BenchRuns.Run r : runs) {
            if (r.benchmark().equals("PeakBench.fma") && r.jmhThreads() == threads) {
                // Average ns per iteration on each thread; the threads run side by side.
                return threads * PeakBench.flopsPerIteration() / r.score();
            }
        }
        return Double.NaN;
    }

    static int hiddenWidth(Mlp spec) {
        int w = 0;
        for (int l = 0; l < spec.depth() - 1; l++) {
            w = Math.max(w, spec.layer(l).outputs());
        }
        return w;
    }

    private static List<Cell> cells(List<BenchRuns.Run> runs) {
        Map<String, BenchRuns.Run> forward = new TreeMap<>(), both = new TreeMap<>();
        for (BenchRuns.Run r : runs) {
            if (r.forks() > 1) {
                continue; // a spread cell (spread()): the grid's cells are its own one-fork runs
            }
            if (r.benchmark().equals("MlpBench.forward")) {
                forward.put(key(r), r);
            } else if (r.benchmark().equals("MlpBench.forwardBackward")) {
                both.put(key(r), r);
            }
        }
        List<Cell> out = new ArrayList<>();
        for (BenchRuns.Run r : runs) {
            if (r.forks() <= 1 && r.benchmark().equals("MlpBench.pair") && r.secondary().keySet().containsAll(BenchRuns.SPLIT)) {
                // The two passes timed in turn: each iteration's means, their mean and JMH's kind of error.
                List<Double> f = r.secondary().get("forwardMicros"), b = r.secondary().get("bothMicros");
                out.add(new Cell(r.param("net", "?"), Integer.parseInt(r.param("batch", "0")),
                        Integer.parseInt(r.param("threads", "1")), mean(f), halfWidth(f), mean(b), halfWidth(b)));
                forward.remove(key(r));
            }
        }
        for (Map.Entry<String, BenchRuns.Run> e : forward.entrySet()) {
            BenchRuns.Run b = both.get(e.getKey());
            if (b == null) {
                continue;
            }
            BenchRuns.Run f = e.getValue();
            checkUnit(f);
            checkUnit(b);
            out.add(new Cell(f.param("net", "?"), Integer.parseInt(f.param("batch", "0")),
                    Integer.parseInt(f.param("threads", "1")), f.score(), f.error(), b.score(), b.error()));
        }
        out.sort(Comparator.comparing((Cell c) -> !c.net().equals("A")).thenComparingInt(Cell::width)
                .thenComparingInt(Cell::depth).thenComparing(Cell::net).thenComparingInt(Cell::batch)
                .thenComparingInt(Cell::threads));
        return out;
    }

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /**
     * The 99.9 % half-width of the mean, as JMH gives it for a score: Student's t at 0.9995 with
     * n − 1 degrees of freedom times the standard error; NaN for fewer than 2 values.
     */
    static double halfWidth(List<Double> values) {
        int n = values.size();
        if (n < 2) {
            return Double.NaN;
        }
        double m = mean(values), ss = 0;
        for (double v : values) {
            ss += (v - m) * (v - m);
        }
        double t = new TDistribution(n - 1).inverseCumulativeProbability(0.9995);
        return t * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
    }

    private static void checkUnit(BenchRuns.Run r) {
        if (!r.unit().equals("us/op")) {
            throw new IllegalArgumentException(r.benchmark() + " " + r.params() + ": expected scores in us/op, found "
                    + r.unit());
        }
    }

    private static String key(BenchRuns.Run r) {
        return r.param("net", "?") + "|" + r.param("batch", "?") + "|" + r.param("threads", "1") + "|"
                + r.param("kernels", "simd");
    }

    /**
     * One benchmark and cell timed in several fresh JVMs (JMH forks).
     *
     * @param benchmark  e.g. {@code MlpBench.forwardBackward}
     * @param forkMeans  µs, each fork's mean over its measured iterations, in the order they ran
     * @param forkBytes  bytes allocated per call in each fork, in the same order; empty when the
     *                   run was not profiled
     */
    public record Spread(String benchmark, String net, int batch, int threads, List<Double> forkMeans,
                         List<Double> forkBytes) {
        public Spread {
            if (forkMeans.size() < 2) {
                throw new IllegalArgumentException("spread: expected 2 forks or more, found " + forkMeans.size());
            }
            if (!forkBytes.isEmpty() && forkBytes.size() != forkMeans.size()) {
                throw new IllegalArgumentException("spread: expected bytes per call for each of the " + forkMeans.size()
                        + " forks or none, found " + forkBytes.size());
            }
            forkMeans = List.copyOf(forkMeans);
            forkBytes = List.copyOf(forkBytes);
        }

        /** The median of the fork means (of the middle two for an even count). */
        public double median() {
            return BenchTables.median(forkMeans);
        }

        /** (max − min) / min of the fork means: how much slower the slowest JVM was than the fastest. */
        public double range() {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (double m : forkMeans) {
                min = Math.min(min, m);
                max = Math.max(max, m);
            }
            return (max - min) / min;
        }

        /** Whether the range is within the issue's {@link #SPREAD_TOLERANCE}. */
        public boolean withinTarget() {
            return range() <= SPREAD_TOLERANCE;
        }
    }

    /** The MlpBench results of more than one fork (the spread run), in the order of the file. */
    public List<Spread> spread() {
        List<Spread> out = new ArrayList<>();
        for (BenchRuns.Run r : runs) {
            if (r.forks() > 1 && r.benchmark().startsWith("MlpBench.")) {
                checkUnit(r);
                out.add(new Spread(r.benchmark(), r.param("net", "?"), Integer.parseInt(r.param("batch", "0")),
                        Integer.parseInt(r.param("threads", "1")), r.forkMeans(), r.forkBytes()));
            }
        }
        return out;
    }

    /** The cell of {@code net}, {@code batch}, {@code threads}, or null. */
    public Cell cell(String net, int batch, int threads) {
        for (Cell c : cells) {
            if (c.net().equals(net) && c.batch() == batch && c.threads() == threads) {
                return c;
            }
        }
        return null;
    }

    /** The markdown report. {@code header} lines go under the title (how and when it was run). */
    public String markdown(String title, List<String> header, String chartFile, String stepsChartFile) {
        return markdown(title, header, chartFile, stepsChartFile, null);
    }

    /** The report, with PyTorch's run of the same cells beside ours when {@code peer} is not null. */
    public String markdown(String title, List<String> header, String chartFile, String stepsChartFile, PyTorchPeer.Run peer) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(title).append("\n\n");
        for (String h : header) {
            md.append(h).append("  \n");
        }
        md.append(f("Peak: %.0f GFLOP/s on 1 thread, %.0f on 2, %s.%n%n", peak1, peak2, peakSource));
        for (int t = 1; t <= 2; t++) {
            double best = 0;
            for (Cell c : cells) {
                if (c.threads() == t) {
                    best = Math.max(best, Math.max(c.forwardGflops(), c.backwardGflops()));
                }
            }
            if (best > peak(t)) {
                String why = peakSource.startsWith("measured")
                        ? "it was measured while the machine was busy, so the % of peak columns mean nothing; make the"
                                + " report again with --from-json and --peak"
                        : "a cell's backward (forward+backward − forward) came out too short, which happens when the load"
                                + " on the machine changed between its two runs; read that cell with care";
                md.append(f("**The peak is below what the grid reached on %d thread%s (%.0f GFLOP/s): %s.**%n%n", t,
                        t == 1 ? "" : "s", best, why));
            }
        }
        md.append("""
                Times are JMH averages in µs (± the 99.9 % half-width). *depth* counts hidden layers (B<w>x<d>: \
                input w, d tanh layers of width w, 10 outputs, so d + 1 weight layers). backward = forward+backward \
                − forward from the same run; measured ratio = backward / forward; predicted = the FLOP model's \
                (backward MACs / forward MACs: every weight gradient, and the input gradient of every layer but \
                the first; (2L − 1)/L for L equal layers). GFLOP/s = 2 · MACs · batch / time, and % of the peak \
                for the cell's thread count.

                """);
        targets(md);
        costModel(md);
        spread(md);
        allCells(md);
        if (peer != null) {
            peer(md, peer);
        }
        threads(md);
        pivots(md, chartFile);
        if (stepsChartFile != null && !stepCells().isEmpty()) {
            md.append("## Each backward step against its forward step\n\n");
            md.append("""
                    Per layer, the time of its forward step (the dense product with bias and activation) and of its \
                    backward steps (weight gradient, bias gradient, input gradient: the layer's share of the backward \
                    pass), each timed alone; dashed, twice the forward step (the lecture's rule for one layer) and the \
                    cost model's backward steps. The first layer has no input gradient, so its backward is about one \
                    forward: that is where (2L − 1)/L comes from.

                    """);
            md.append("![each backward step against its forward step](").append(stepsChartFile).append(")\n\n");
        }
        for (String[] cell : stepCells()) {
            steps(md, cell[0], Integer.parseInt(cell[1]));
        }
        return md.toString();
    }

    private void targets(StringBuilder md) {
        md.append("## The ratio's targets\n\n| target | measured | met |\n|---|---|---|\n");
        int[][] limits = {{256, 1, 8500}, {256, 2, 4700}, {32, 1, 1100}, {1, 1, 110}};
        for (int[] t : limits) {
            Cell c = cell("A", t[0], t[1]);
            String what = f("A forward+backward, batch %d, %d thread%s ≤ %,d µs", t[0], t[1], t[1] == 1 ? "" : "s", t[2]);
            md.append(c == null ? row(what, "not in this grid", "–") : row(what, f("%,.0f µs", c.both()), yes(c.both() <= t[2])));
        }
        Cell one = cell("A", 256, 1), two = cell("A", 256, 2);
        if (one != null && two != null) {
            double s = one.both() / two.both();
            md.append(row("A forward+backward, batch 256: 2-thread speed-up ≥ 1.8×", f("%.2f×", s), yes(s >= 1.8)));
        } else {
            md.append(row("A forward+backward, batch 256: 2-thread speed-up ≥ 1.8×", "not in this grid", "–"));
        }
        int inside = 0, of = 0;
        StringBuilder outside = new StringBuilder();
        for (Cell c : cells) {
            if (c.batch() >= 32 && c.width() >= 256 && c.threads() == 1) {
                of++;
                if (Math.abs(c.ratio() / c.predicted() - 1) <= RATIO_TOLERANCE) {
                    inside++;
                } else {
                    outside.append(outside.isEmpty() ? "; outside: " : ", ").append(f("%s b%d %.2f vs %.2f", c.net(),
                            c.batch(), c.ratio(), c.predicted()));
                }
            }
        }
        md.append(row("ratio within 10 % of the FLOP model at batch ≥ 32, width ≥ 256 (1 thread)",
                of == 0 ? "not in this grid" : f("%d of %d cells%s", inside, of, outside), of == 0 ? "–" : yes(inside == of)));
        md.append('\n');
    }

    /**
     * The cost model: what it is, what it was calibrated on (the figures measured in this run),
     * how well it predicts the cells it was not calibrated on, and the cells outside its
     * tolerance with what went wrong.
     */
    private void costModel(StringBuilder md) {
        md.append("## The cost model\n\n");
        if (cost == null) {
            md.append("These results hold no calibration (CalibrationBench's ops and CostBench's read and write probes;"
                    + " a file written before the cost model existed, or a run that did not calibrate), so the report has"
                    + " the FLOP model only.\n\n");
            return;
        }
        double[] overheads = cost.overheads();
        md.append(f("""
                Beside the FLOP model, a model from figures measured on this machine in this run. A step costs \
                compute + memory + pointwise + overhead: **compute**, its multiply-adds at the speed its product \
                form reached on a calibration network at the same rows per shard and thread count (square products \
                of 64, 256 and 1024, interpolated in log size), timed alone, its operands warm in the cache that \
                holds the step (the input gradient with tanh's derivative fused into it, as in the pass); **memory**, what its reads and writes cost more in the pass, where they come back \
                from the level that holds the whole pass (the probed bandwidths at the two sizes); \
                **pointwise**, activation, loss and bias gradient per element at their measured speeds (and what \
                a derivative costs more than tanh's); \
                **overhead**, %.2f µs a forward step call and %.2f µs a backward one (the passes of %s at batch 1, a \
                network too small to do any work). On 2 threads a pass runs on shards of ⌈batch / 2⌉ rows at the \
                speeds measured with both cores busy, plus a hand-out to the pool, and the backward pass adds the \
                shard gradients' sum. A pass is the sum of its steps; the ratio is backward / forward. The terms say \
                what a pass's time is made of: the *dominant* term of each pass is in the table of every cell.

                **Calibration** (never a predicted cell's own pass): the steps of %s (256 inputs, two tanh layers of \
                256, 10 outputs: square 256 x 256 and narrow 256 x 10 products) and the square products of %s and %s \
                timed alone at every rows per shard the grid runs (on 1 thread, and on 2 threads at once for the \
                shards of 2-thread cells), the passes of %s, and CostBench's probes. Cells of these networks are left \
                out of the validation; every other cell is a prediction.

                """, overheads[0], overheads[1], CostModel.OVERHEAD_NET, CostModel.CALIBRATION_NET, CostModel.SMALL_NET,
                CostModel.WIDE_NET, CostModel.OVERHEAD_NET));
        CostModel.Calibration cal = cost.calibration();
        List<Integer> sizes = cost.squareSizes();
        md.append("| threads | rows |");
        for (CostModel.Form form : CostModel.Form.values()) {
            for (int w : sizes) {
                md.append(f(" %s %d |", form, w));
            }
            md.append(f(" %s narrow |", form));
        }
        md.append("\n|--:|--:|").append("--:|".repeat(3 * (sizes.size() + 1))).append('\n');
        cal.steps().forEach((threads, byRows) -> {
            for (int rows : byRows.keySet()) {
                md.append(f("| %d | %d |", threads, rows));
                for (CostModel.Form form : CostModel.Form.values()) {
                    for (int w : sizes) {
                        md.append(f(" %.1f |", gflops(cost.speed(form, false, w, threads, rows))));
                    }
                    md.append(f(" %.1f |", gflops(cost.speed(form, true, 256, threads, rows))));
                }
                md.append('\n');
            }
        });
        md.append("\nThe products' speeds in GFLOP/s per thread by square size (NT: the forward product; TN: the weight"
                + " gradient, an outer product at 1 row; NN: the input gradient with tanh's derivative fused; narrow:"
                + " 256 x 10), each step's time less its activation and the overhead.\n\n");
        md.append("| threads | rows | tanh | tanh′ | ReLU | ReLU′ | identity | identity′ | loss | bias gradient |\n"
                + "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        cal.steps().forEach((threads, byRows) -> {
            for (int rows : byRows.keySet()) {
                md.append(f("| %d | %d |", threads, rows));
                for (Activation a : new Activation[] {Activation.TANH, Activation.RELU, Activation.LINEAR}) {
                    md.append(f(" %.3f | %.3f |", 1e3 * cost.perElement("activate", a, threads, rows),
                            1e3 * cost.perElement("derivative", a, threads, rows)));
                }
                md.append(f(" %.3f | %.3f |%n", 1e3 * cost.lossPerElement(threads, rows),
                        1e3 * cost.biasPerElement(threads, rows)));
            }
        });
        md.append("\nThe pointwise work in ns per element: activations (′: their derivatives) alone over rows x 256 values,"
                + " the loss (softmax cross-entropy) per output and the bias gradient per column and row.\n");
        md.append("\n| buffer, again and again | read GB/s | write GB/s |\n|--:|--:|--:|\n");
        cal.read().forEach((bytes, perMicro) -> md.append(f("| %s | %.1f | %s |%n", size(bytes), perMicro / 1e3,
                cal.write().containsKey(bytes) ? f("%.1f", cal.write().get(bytes) / 1e3) : "–")));
        cal.handOut().forEach((shards, hand) -> md.append(f("%nHanding %d shard%s to the 2-thread pool and waiting (a"
                + " 2-thread pass of %s less its shard on 1 thread): %.2f µs forward, %.2f µs backward.%n", shards,
                shards == 1 ? "" : "s", CostModel.OVERHEAD_NET, hand[0], hand[1])));
        if (models.size() > 1) {
            // The same calibration in every network's JVM: how far its figures are from one JVM to the next.
            List<Double> nt = new ArrayList<>(), tn = new ArrayList<>(), nn = new ArrayList<>();
            for (CostModel m : models.values()) {
                nt.add(gflops(m.speed(CostModel.Form.NT, false, 256, 1, 256)));
                tn.add(gflops(m.speed(CostModel.Form.TN, false, 256, 1, 256)));
                nn.add(gflops(m.speed(CostModel.Form.NN, false, 256, 1, 256)));
            }
            md.append(f("%nEvery network's JVM calibrated on its own compiled code, and a cell is predicted from its own"
                    + " JVM's calibration; the figures above are the first JVM's. Across the %d JVMs, the 256 x 256 products"
                    + " at 256 rows ran NT %.0f–%.0f, TN %.0f–%.0f, NN %.0f–%.0f GFLOP/s: the same kernels on the same"
                    + " shapes, compiled by C2 in different JVMs.%n", models.size(), min(nt), max(nt), min(tn), max(tn),
                    min(nn), max(nn)));
        }
        md.append('\n');
        List<Cell> checked = cells.stream().filter(this::validates).toList();
        List<Cell> outside = checked.stream().filter(c -> !costWithin(c)).toList();
        int inside = checked.size() - outside.size();
        md.append(f("**Validation:** the cost model's ratio is within %.0f %% of the measured one in %d of %d cells (%.0f %%;"
                + " target ≥ %.0f %%: %s). The FLOP model's is within %.0f %% in %d of them.%n%n", 100 * COST_TOLERANCE,
                inside, checked.size(), checked.isEmpty() ? 0.0 : 100.0 * inside / checked.size(), 100 * COST_TARGET_SHARE,
                yes(!checked.isEmpty() && inside >= COST_TARGET_SHARE * checked.size()), 100 * COST_TOLERANCE,
                checked.stream().filter(c -> Math.abs(c.predicted() / c.ratio() - 1) <= COST_TOLERANCE).count()));
        if (!outside.isEmpty()) {
            md.append("""
                    The cells outside, with which pass the model missed (predicted ÷ measured µs) and what it says \
                    each pass is made of:

                    | net | batch | threads | measured | cost model | FLOP model | forward pred/meas | backward pred/meas \
                    | forward: dominant | backward: dominant | JMH error |
                    |---|--:|--:|--:|--:|--:|--:|--:|---|---|--:|
                    """);
            for (Cell c : outside) {
                CostModel.Prediction p = predicted(c);
                md.append(f("| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s | %s |%n", c.net(), c.batch(),
                        c.threads(), c.ratio(), p.ratio(), c.predicted(), p.forward().micros() / c.forward(),
                        p.backward().micros() / c.backward(), dominant(p.forward()), dominant(p.backward()),
                        errorText(c)));
            }
            md.append('\n');
        }
    }

    /** A pass's dominant term and its share: "compute 81 %". */
    private static String dominant(CostModel.PassCost p) {
        return f("%s %.0f %%", p.dominant().label(), 100 * p.dominantShare());
    }

    /** A cell's JMH error as a percentage, marked when above {@link #NOISY}. */
    private static String errorText(Cell c) {
        double e = c.relativeError();
        if (Double.isNaN(e)) {
            return "–";
        }
        return c.noisy() ? f("**%.1f %%**", 100 * e) : f("%.1f %%", 100 * e);
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** GFLOP/s of a speed in MACs per µs. */
    private static double gflops(double macsPerMicro) {
        return 2 * macsPerMicro / 1e3;
    }

    private static String size(long bytes) {
        return bytes >= 1 << 20 ? f("%d MB", bytes >> 20) : f("%d KB", bytes >> 10);
    }

    private void spread(StringBuilder md) {
        List<Spread> spread = spread();
        if (spread.isEmpty()) {
            return;
        }
        int forks = spread.stream().mapToInt(s -> s.forkMeans().size()).max().orElseThrow();
        md.append("## Spread between fresh JVMs\n\n");
        md.append(f("""
                Each of these ran in %d fresh JVMs (JMH forks) one after the other, with the grid's warm-up and \
                measurement; a fork's figure is the mean of its measured iterations. C2 compiles the same pass \
                differently from JVM to JVM, so the range, (max − min) / min of the fork means, is how far one \
                fork's figure can be from another's with nothing changed: a difference between two one-fork \
                figures (the grid's) smaller than it says nothing. The project's target is a range ≤ \
                %.0f %% for A forwardBackward at batch 256. `./vecmlp bench --quick` runs forwardBackward and predict of A at \
                batch 256 in %d JVMs with its grid, `./vecmlp bench` predict, forward and forwardBackward at \
                batches 1, 32 and 256; `--spread-forks N` for N JVMs, 0 for none. The last column is the \
                bytes each JVM allocated per call (JMH's gc profiler): the kernels allocate nothing once C2 has \
                compiled them, and JMH's own bookkeeping, spread over an iteration's calls, comes to tens or a \
                few hundred bytes at these sizes: a JVM with thousands, or far above the others, compiled \
                something that boxes.

                | benchmark | net | batch | threads | forks, µs (in the order they ran) | median µs | grid's fork µs \
                | range | ≤ %.0f %% | bytes per call, by fork |
                |---|---|--:|--:|---|--:|--:|--:|---|---|
                """, forks, 100 * SPREAD_TOLERANCE, forks, 100 * SPREAD_TOLERANCE));
        for (Spread s : spread) {
            List<String> means = s.forkMeans().stream().map(BenchTables::number).toList();
            Cell c = cell(s.net(), s.batch(), s.threads());
            String grid = c == null ? "–" : switch (s.benchmark()) {
                case "MlpBench.forward" -> number(c.forward());
                case "MlpBench.forwardBackward" -> number(c.both());
                default -> "–";
            };
            String bytes = s.forkBytes().isEmpty() ? "–"
                    : String.join(", ", s.forkBytes().stream().map(BenchTables::number).toList());
            md.append(f("| %s | %s | %d | %d | %s | %s | %s | %.1f %% | %s | %s |%n", s.benchmark().substring(9), s.net(),
                    s.batch(), s.threads(), String.join(", ", means), number(s.median()), grid, 100 * s.range(),
                    yes(s.withinTarget()), bytes));
        }
        md.append('\n');
    }

    private void allCells(StringBuilder md) {
        md.append("## Every cell\n\n");
        md.append(f("""
                *FLOP* and *cost* are the two models' ratios; *cost ÷ meas.* is the cost model's over the measured \
                (**bold** outside %.0f %%, *calibration* on the cells it was calibrated on); the dominant terms are \
                the cost model's; *error* is the larger JMH error of the cell's two runs (**bold** above %.0f %%).

                """, 100 * COST_TOLERANCE, 100 * NOISY));
        md.append("| net | depth | width | batch | threads | forward µs | fwd+bwd µs | backward µs | ratio | FLOP "
                + "| meas. ÷ FLOP | cost | cost ÷ meas. | forward: dominant | backward: dominant | error | fwd GFLOP/s "
                + "| bwd GFLOP/s | fwd % peak | bwd % peak |\n");
        md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|--:|--:|--:|\n");
        for (Cell c : cells) {
            double p = peak(c.threads());
            CostModel.Prediction m = predicted(c);
            String costRatio = m == null ? "–" : f("%.2f", m.ratio());
            String costFit = m == null ? "–" : !validates(c) ? "*calibration*"
                    : costWithin(c) ? f("%.2f", m.ratio() / c.ratio()) : f("**%.2f**", m.ratio() / c.ratio());
            md.append(f("| %s | %d | %d | %d | %d | %s | %s | %s | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %.1f"
                    + " | %.1f | %.0f %% | %.0f %% |%n", c.net(), c.depth(), c.width(), c.batch(), c.threads(),
                    micros(c.forward(), c.forwardError()), micros(c.both(), c.bothError()), number(c.backward()),
                    c.ratio(), c.predicted(), c.ratio() / c.predicted(), costRatio, costFit,
                    m == null ? "–" : dominant(m.forward()), m == null ? "–" : dominant(m.backward()), errorText(c),
                    c.forwardGflops(), c.backwardGflops(), 100 * c.forwardGflops() / p, 100 * c.backwardGflops() / p));
        }
        md.append('\n');
    }

    /** PyTorch on the same cells: its forward, forward+backward and ratio beside ours. */
    private void peer(StringBuilder md, PyTorchPeer.Run peer) {
        md.append("## Across engines: PyTorch on the same cells\n\n");
        md.append(f("""
                PyTorch %s (threads: %s; BLAS %s, run as the shared recipe runs it: OpenMP OpenBLAS, a tuned malloc), \
                by `interop/pytorch/bench_ratio.py`: the same networks in float32 with the same batch shapes, a \
                cell's forward (network and mean loss under `torch.no_grad()`) and forward+backward (gradients \
                set to None, network, loss, `backward()`) timed in turn, medians of %d blocks of about 50 ms each; \
                the thread count set by `torch.set_num_threads`. *PyTorch ÷ vecmlp* is the time of \
                forward+backward.

                """, peer.torch(), peer.parallel(), peer.blas(), peer.cells().isEmpty() ? 0 : peer.cells().getFirst().iterations()));
        md.append("| net | batch | threads | vecmlp fwd µs | fwd+bwd µs | ratio | PyTorch fwd µs | fwd+bwd µs | ratio | FLOP"
                + " | PyTorch ÷ vecmlp |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        List<Double> ours = new ArrayList<>(), theirs = new ArrayList<>();
        int faster = 0, both = 0;
        for (Cell c : cells) {
            PyTorchPeer.Cell t = peer.cell(c.net(), c.batch(), c.threads());
            if (t == null) {
                continue;
            }
            both++;
            ours.add(c.ratio());
            theirs.add(t.ratio());
            faster += t.both() < c.both() ? 1 : 0;
            md.append(f("| %s | %d | %d | %s | %s | %.2f | %s | %s | %.2f | %.2f | %.2f |%n", c.net(), c.batch(), c.threads(),
                    number(c.forward()), number(c.both()), c.ratio(), number(t.forward()), number(t.both()), t.ratio(),
                    c.predicted(), t.both() / c.both()));
        }
        if (both == 0) {
            md.append("\nNo cell of this grid is among PyTorch's.\n\n");
            return;
        }
        md.append(f("%nOver the %d cells both ran: the ratio's median is %.2f in vecmlp [%.2f-%.2f] and %.2f in PyTorch"
                + " [%.2f-%.2f]; PyTorch's forward+backward was the faster in %d of them.%n%n", both, median(ours), min(ours),
                max(ours), median(theirs), min(theirs), max(theirs), faster));
    }

    /** The median of {@code v} (of the middle two for an even count). */
    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private void threads(StringBuilder md) {
        StringBuilder t = new StringBuilder();
        for (Cell two : cells) {
            Cell one = two.threads() == 2 ? cell(two.net(), two.batch(), 1) : null;
            if (one != null) {
                t.append(f("| %s | %d | %s | %s | %.2f× | %s | %s | %.2f× | %.2f | %.2f |%n", two.net(), two.batch(),
                        number(one.forward()), number(two.forward()), one.forward() / two.forward(), number(one.both()),
                        number(two.both()), one.both() / two.both(), one.ratio(), two.ratio()));
            }
        }
        if (t.isEmpty()) {
            return;
        }
        md.append("## One thread against two\n\n2 threads: the batch in 2 shards on a 2-thread pool, the shard gradients "
                + "added in shard order (the Trainer's path; the same bits as 1 thread with 2 shards).\n\n");
        md.append("| net | batch | forward 1T µs | 2T µs | speed-up | fwd+bwd 1T µs | 2T µs | speed-up | ratio 1T | ratio 2T |\n");
        md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n").append(t).append('\n');
    }

    /** Measured (and predicted) ratio by width and batch, one table per depth, 1 thread. */
    private void pivots(StringBuilder md, String chartFile) {
        TreeSet<Integer> depths = new TreeSet<>(), widths = new TreeSet<>(), batches = new TreeSet<>();
        for (Cell c : bCells()) {
            depths.add(c.depth());
            widths.add(c.width());
            batches.add(c.batch());
        }
        if (depths.isEmpty()) {
            return;
        }
        md.append("## The B family: measured ratio across width and batch\n\n");
        if (chartFile != null) {
            md.append("![measured and predicted ratio against width](").append(chartFile).append(")\n\n");
        }
        for (int d : depths) {
            md.append(f("Depth %d (%d weight layers): measured ratio, 1 thread%s; the FLOP model's in the last column.%n%n",
                    d, d + 1, cost == null ? "" : " (the cost model's in brackets)"));
            md.append("| width |");
            for (int b : batches) {
                md.append(" batch ").append(b).append(" |");
            }
            md.append(" predicted |\n|--:|");
            md.append("--:|".repeat(batches.size() + 1)).append('\n');
            for (int w : widths) {
                Cell any = null;
                StringBuilder line = new StringBuilder(f("| %d |", w));
                for (int b : batches) {
                    Cell c = cell(Networks.b(w, d), b, 1);
                    if (c == null && d == Networks.B_DEFAULT_DEPTH) {
                        c = cell("B" + w, b, 1);
                    }
                    line.append(c == null ? " – |" : cost == null ? f(" %.2f |", c.ratio())
                            : f(" %.2f (%.2f) |", c.ratio(), predicted(c).ratio()));
                    any = c != null ? c : any;
                }
                if (any != null) {
                    md.append(line).append(f(" %.2f |%n", any.predicted()));
                }
            }
            md.append('\n');
        }
    }

    private List<Cell> bCells() {
        List<Cell> out = new ArrayList<>();
        for (Cell c : cells) {
            if (c.net().startsWith("B") && c.threads() == 1) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The ratio charts: per depth, measured ratio against width (log2), one line per batch
     * size, and the FLOP model's as a dashed black line; 1 thread. Empty if the grid has no B
     * network at two widths or more.
     */
    public List<LineChart> ratioCharts() {
        TreeMap<Integer, TreeMap<Integer, TreeMap<Integer, Cell>>> byDepth = new TreeMap<>();
        for (Cell c : bCells()) {
            byDepth.computeIfAbsent(c.depth(), k -> new TreeMap<>()).computeIfAbsent(c.batch(), k -> new TreeMap<>())
                    .put(c.width(), c);
        }
        List<LineChart> charts = new ArrayList<>();
        for (Map.Entry<Integer, TreeMap<Integer, TreeMap<Integer, Cell>>> d : byDepth.entrySet()) {
            TreeMap<Integer, Double> model = new TreeMap<>();
            LineChart chart = LineChart.titled(f("B family, depth %d: backward / forward", d.getKey()))
                    .xLabel("hidden width").yLabel("backward time / forward time").logX(true);
            int colour = 0;
            for (Map.Entry<Integer, TreeMap<Integer, Cell>> b : d.getValue().entrySet()) {
                double[] xs = new double[b.getValue().size()], ys = new double[xs.length], costs = new double[xs.length];
                int i = 0;
                for (Cell c : b.getValue().values()) {
                    xs[i] = c.width();
                    costs[i] = cost == null ? Double.NaN : predicted(c).ratio();
                    ys[i++] = c.ratio();
                    model.put(c.width(), c.predicted());
                }
                chart.series("batch " + b.getKey(), xs, ys);
                if (cost != null) {
                    // The cost model dashed, in its batch's colour (a series with its own colour takes none from the palette).
                    chart.series("cost model, batch " + b.getKey(), xs, costs, Style.DASHED, LineChart.paletteColour(colour));
                }
                colour++;
            }
            if (model.size() < 2) {
                continue;
            }
            double[] xs = new double[model.size()], ys = new double[xs.length];
            int i = 0;
            for (Map.Entry<Integer, Double> m : model.entrySet()) {
                xs[i] = m.getKey();
                ys[i++] = m.getValue();
            }
            chart.series("FLOP model", xs, ys, Style.DASHED, Color.BLACK);
            charts.add(chart);
        }
        return charts;
    }

    /**
     * Per breakdown cell, one chart: against the layer, the µs of its forward step, of its
     * backward steps (weight, bias and input gradient), twice the forward step dashed, and the
     * cost model's backward steps dashed (when the results hold a calibration).
     */
    public List<LineChart> stepCharts() {
        List<LineChart> charts = new ArrayList<>();
        for (String[] cell : stepCells()) {
            String net = cell[0];
            int batch = Integer.parseInt(cell[1]);
            Map<String, Double> byStep = new TreeMap<>();
            for (BenchRuns.Run r : runs) {
                if (r.benchmark().equals("StepBench.run") && r.param("net", "").equals(net)
                        && r.param("batch", "").equals(cell[1])) {
                    byStep.put(r.param("step", "?"), r.score());
                }
            }
            Mlp spec = Networks.byName(net);
            Map<String, Double> modelled = new TreeMap<>();
            if (cost != null) {
                for (CostModel.StepCost sc : models.getOrDefault(net, cost).predict(spec, batch, 1).backward().steps()) {
                    modelled.put(sc.step(), sc.micros());
                }
            }
            int layers = spec.depth();
            double[] xs = new double[layers], fwd = new double[layers], bwd = new double[layers], twice = new double[layers],
                    model = new double[layers];
            boolean complete = true;
            for (int l = 0; l < layers; l++) {
                xs[l] = l;
                Double f = byStep.get("dense:" + l);
                double b = 0, m = 0;
                for (String kind : new String[] {"weight_gradient:", "bias_gradient:", "input_gradient:"}) {
                    if (kind.equals("input_gradient:") && l == 0) {
                        continue;
                    }
                    Double v = byStep.get(kind + l);
                    complete &= v != null;
                    b += v == null ? 0 : v;
                    m += modelled.getOrDefault(kind + l, 0.0);
                }
                complete &= f != null;
                fwd[l] = f == null ? 0 : f;
                twice[l] = 2 * fwd[l];
                bwd[l] = b;
                model[l] = m;
            }
            if (!complete) {
                continue;
            }
            LineChart chart = LineChart.titled(f("%s, batch %d: each layer's steps", net, batch)).xLabel("layer")
                    .yLabel("µs, each step timed alone").integerX(true);
            chart.series("forward step", xs, fwd);
            chart.series("backward steps", xs, bwd);
            chart.series("2 × forward", xs, twice, Style.DASHED, Color.BLACK);
            if (cost != null) {
                chart.series("cost model, backward", xs, model, Style.DASHED, LineChart.paletteColour(1));
            }
            charts.add(chart);
        }
        return charts;
    }

    /** The (net, batch) pairs with StepBench results, in the order met. */
    private List<String[]> stepCells() {
        List<String[]> out = new ArrayList<>();
        TreeSet<String> seen = new TreeSet<>();
        for (BenchRuns.Run r : runs) {
            if (r.benchmark().equals("StepBench.run") && seen.add(r.param("net", "?") + ":" + r.param("batch", "?"))) {
                out.add(new String[] {r.param("net", "?"), r.param("batch", "0")});
            }
        }
        return out;
    }

    private void steps(StringBuilder md, String net, int batch) {
        Mlp spec = Networks.byName(net);
        Map<String, BenchRuns.Run> byStep = new TreeMap<>();
        for (BenchRuns.Run r : runs) {
            if (r.benchmark().equals("StepBench.run") && r.param("net", "").equals(net)
                    && r.param("batch", "").equals(Integer.toString(batch))) {
                byStep.put(r.param("step", "?"), r);
            }
        }
        md.append(f("## Where the time goes: %s, batch %d, 1 thread%n%n", net, batch));
        md.append("""
                Each step of the plan timed alone (StepBench: `Plan.execute` on a workspace a whole pass has \
                filled). `derivative:l` is Z̄_l = H̄_l ∘ φ'(Z_l), fused into the epilogue of `input_gradient:l+1` \
                in the real run and timed alone here (`Kernels.multiplyDerivative`), so it is not added to the \
                backward sum. Shapes are rows × inner × columns of the product.

                The last two columns are the cost model's time for the step and the term that dominates it.

                | step | shape | µs | MACs | GFLOP/s | % of peak | share of its pass | cost model µs | its term |
                |---|---|--:|--:|--:|--:|--:|--:|---|
                """);
        Map<String, CostModel.StepCost> modelled = new TreeMap<>();
        if (cost != null) {
            CostModel.Prediction p = models.getOrDefault(net, cost).predict(spec, batch, 1);
            for (CostModel.StepCost sc : p.forward().steps()) {
                modelled.put(sc.step(), sc);
            }
            for (CostModel.StepCost sc : p.backward().steps()) {
                modelled.put(sc.step(), sc);
            }
        }
        double fwdSum = 0, bwdSum = 0;
        for (String s : StepBench.steps(spec)) {
            BenchRuns.Run r = byStep.get(s);
            if (r != null && !s.startsWith("derivative")) {
                if (s.startsWith("dense") || s.startsWith("loss")) {
                    fwdSum += r.score();
                } else {
                    bwdSum += r.score();
                }
            }
        }
        for (String s : StepBench.steps(spec)) {
            BenchRuns.Run r = byStep.get(s);
            if (r == null) {
                continue;
            }
            int layerIndex = Integer.parseInt(s.substring(s.indexOf(':') + 1));
            Layer layer = spec.layer(layerIndex);
            String kind = s.substring(0, s.indexOf(':'));
            long macs = switch (kind) {
                case "dense", "weight_gradient", "input_gradient" -> FlopModel.layerMacs(spec, layerIndex) * batch;
                default -> 0;
            };
            String shape = switch (kind) {
                case "dense" -> f("%d × %d × %d", batch, layer.inputs(), layer.outputs());
                case "weight_gradient" -> f("%d × %d × %d", layer.outputs(), batch, layer.inputs());
                case "input_gradient" -> f("%d × %d × %d", batch, layer.outputs(), layer.inputs());
                default -> f("%d × %d", batch, layer.outputs());
            };
            boolean forwardStep = kind.equals("dense") || kind.equals("loss");
            double pass = forwardStep ? fwdSum : bwdSum;
            double gf = macs == 0 ? Double.NaN : 2.0 * macs / (r.score() * 1e3);
            CostModel.StepCost sc = modelled.get(s);
            md.append(f("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |%n", s, shape, micros(r.score(), r.error()),
                    macs == 0 ? "–" : f("%,d", macs), macs == 0 ? "–" : f("%.1f", gf),
                    macs == 0 ? "–" : f("%.0f %%", 100 * gf / peak1),
                    kind.equals("derivative") ? f("(%.0f %% if added)", 100 * r.score() / pass) : f("%.0f %%", 100 * r.score() / pass),
                    sc == null ? "–" : number(sc.micros()), sc == null ? "–" : sc.dominant().label()));
        }
        Cell c = cell(net, batch, 1);
        md.append(f("%nSum of the forward steps %s µs, of the backward steps %s µs: ratio %.2f from the steps", number(fwdSum),
                number(bwdSum), bwdSum / fwdSum));
        if (c != null) {
            md.append(f(", %.2f from the whole passes (forward %s µs, backward %s µs)", c.ratio(), number(c.forward()),
                    number(c.backward())));
        }
        md.append(f("; the FLOP model says %.2f", FlopModel.predictedRatio(spec)));
        if (cost != null) {
            CostModel.Prediction p = models.getOrDefault(net, cost).predict(spec, batch, 1);
            md.append(f(", the cost model %.2f (forward %s µs, backward %s µs)", p.ratio(), number(p.forward().micros()),
                    number(p.backward().micros())));
        }
        md.append(".\n\n");
    }

    private static String micros(double v, double err) {
        return Double.isNaN(err) ? number(v) : number(v) + " ± " + number(err);
    }

    private static String number(double v) {
        if (Math.abs(v) >= 100) {
            return f("%,.0f", v);
        }
        return Math.abs(v) >= 10 ? f("%.1f", v) : f("%.2f", v);
    }

    private static String yes(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private static String row(String a, String b, String c) {
        return "| " + a + " | " + b + " | " + c + " |\n";
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
