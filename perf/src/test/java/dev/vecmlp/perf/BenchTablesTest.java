package dev.vecmlp.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** The report from a hand-made JMH result file (the arithmetic and the text) and the bench command line; no JMH run. */
class BenchTablesTest {
    private static String result(String benchmark, int threads, String params, double score, String unit) {
        return String.format(Locale.ROOT, """
                {"jmhVersion": "1.37", "benchmark": "dev.vecmlp.perf.%s", "mode": "avgt", "threads": %d,
                 "forks": 1, "jdkVersion": "25.0.3", "measurementIterations": 5, "measurementTime": "200 ms",
                 "params": {%s},
                 "primaryMetric": {"score": %s, "scoreError": "NaN", "scoreUnit": "%s"}, "secondaryMetrics": {}}
                """, benchmark, threads, params, score, unit);
    }

    private static String mlp(String net, int batch, int threads, double forward, double both) {
        String p = String.format(Locale.ROOT, "\"batch\": \"%d\", \"kernels\": \"simd\", \"net\": \"%s\", \"threads\": \"%d\"",
                batch, net, threads);
        return result("MlpBench.forward", 1, p, forward, "us/op") + "," + result("MlpBench.forwardBackward", 1, p, both, "us/op");
    }

    /** A result of MlpBench A at {@code batch} run in one fork per row of {@code forks} (its iterations' µs). */
    private static String forks(String method, int batch, double[]... forks) {
        String p = String.format(Locale.ROOT, "\"batch\": \"%d\", \"kernels\": \"simd\", \"net\": \"A\", \"threads\": \"1\"", batch);
        String raw = Arrays.stream(forks).map(Arrays::toString).collect(Collectors.joining(", ", "[", "]"));
        return result("MlpBench." + method, 1, p, Arrays.stream(forks).flatMapToDouble(Arrays::stream).average().orElseThrow(),
                "us/op").replace("\"forks\": 1", "\"forks\": " + forks.length)
                .replace("\"scoreUnit\": \"us/op\"", "\"scoreUnit\": \"us/op\", \"rawData\": " + raw);
    }

    private static List<BenchRuns.Run> runs(String... parts) {
        return BenchRuns.parse(BenchRuns.join(List.of("[" + String.join(",", parts) + "]")), "test");
    }

    @Test
    void aCellsRatioGflopsAndTargetsComeFromItsTwoScores() {
        List<BenchRuns.Run> runs = runs(mlp("A", 256, 1, 3000, 8000), mlp("A", 256, 2, 1600, 4300), mlp("A", 32, 1, 400, 1200));
        BenchTables t = new BenchTables(runs, 100, 200);
        BenchTables.Cell a = t.cell("A", 256, 1);
        assertEquals(5000, a.backward(), 1e-9);
        assertEquals(5000.0 / 3000, a.ratio(), 1e-12);
        assertEquals(1.3997, a.predicted(), 1e-4);
        // 2 · 668,672 MACs · 256 rows in 3000 µs.
        assertEquals(2.0 * 668_672 * 256 / 3e6, a.forwardGflops(), 1e-9);
        assertEquals(2.0 * 935_936 * 256 / 5e6, a.backwardGflops(), 1e-9);
        assertEquals(512, a.width());
        assertEquals(2, a.depth());

        String md = t.markdown("test", List.of("made by a test"), null, null);
        assertTrue(md.contains("| A forward+backward, batch 256, 1 thread ≤ 8,500 µs | 8,000 µs | yes |"), md);
        assertTrue(md.contains("| A forward+backward, batch 256, 2 threads ≤ 4,700 µs | 4,300 µs | yes |"), md);
        assertTrue(md.contains("| A forward+backward, batch 32, 1 thread ≤ 1,100 µs | 1,200 µs | **no** |"), md);
        assertTrue(md.contains("| A forward+backward, batch 1, 1 thread ≤ 110 µs | not in this grid | – |"), md);
        assertTrue(md.contains("2-thread speed-up ≥ 1.8× | 1.86× | yes |"), md);
        // Ratio 1.67 against 1.40 at batch 256 (outside 10 %), 2.00 at batch 32.
        assertTrue(md.contains("0 of 2 cells; outside: A b32 2.00 vs 1.40, A b256 1.67 vs 1.40 | **no** |"), md);
        assertTrue(md.contains("| A | 2 | 512 | 256 | 2 | 1,600 | 4,300 | 2,700 | 1.69 | 1.40 | 1.21 |"), md);
        assertTrue(md.contains("| A | 256 | 3,000 | 1,600 | 1.88× | 8,000 | 4,300 | 1.86× | 1.67 | 1.69 |"), md);
        assertTrue(t.ratioCharts().isEmpty(), "no B network, no chart");
    }

    @Test
    void theBFamilyGetsATableAndAChartPerDepth() {
        List<String> parts = new ArrayList<>();
        for (int w : new int[] {64, 256}) {
            for (int d : new int[] {2, 4}) {
                for (int b : new int[] {1, 32}) {
                    parts.add(mlp(Networks.b(w, d), b, 1, 100, 100 + 100 * (b == 1 ? 3.0 : 1.5)));
                }
            }
        }
        BenchTables t = new BenchTables(runs(parts.toArray(new String[0])), 100, 200);
        assertEquals(8, t.cells().size());
        assertEquals(2, t.ratioCharts().size(), "depths 2 and 4");
        String md = t.markdown("test", List.of(), "chart.png", null);
        assertTrue(md.contains("![measured and predicted ratio against width](chart.png)"), md);
        assertTrue(md.contains("Depth 4 (5 weight layers)"), md);
        // B256x4: (4·256² − 256² + 2·2560) / (4·256² + 2560) = 1.75.
        String predicted = String.format(Locale.ROOT, "%.2f", FlopModel.predictedRatio(Networks.byName("B256x4")));
        assertTrue(md.contains("| 256 | 3.00 | 1.50 | " + predicted + " |"), md);
    }

    /** MlpBench.pair of a cell: its iterations' forward and forward+backward µs. */
    private static String pair(String net, int batch, int threads, double forward, double both) {
        return CostModelTest.result("MlpBench.pair", 1, String.format(Locale.ROOT,
                "\"batch\": \"%d\", \"kernels\": \"simd\", \"net\": \"%s\", \"threads\": \"%d\"", batch, net,
                threads), java.util.Map.of("forwardMicros", forward, "bothMicros", both));
    }

    @Test
    void theCostModelSectionValidatesOnEveryCellButTheCalibrationsAndNamesTheCellsOutside() {
        List<String> parts = new ArrayList<>(List.of(CostModelTest.overheadNet(), CostModelTest.calibration(1, 1),
                CostModelTest.calibration(32, 1)));
        parts.addAll(CostModelTest.probes(i -> 1e5));
        CostModel model = CostModelTest.model(i -> 1e5);
        // Cells measured exactly as the model predicts them, but B256x4 at batch 1, whose backward took twice as long.
        for (String net : new String[] {"B64x4", "B256x4", "B256x2", "A"}) {
            for (int b : new int[] {1, 32}) {
                CostModel.Prediction p = model.predict(Networks.byName(net), b, 1);
                double backward = p.backward().micros() * (net.equals("B256x4") && b == 1 ? 2 : 1);
                parts.add(pair(net, b, 1, p.forward().micros(), p.forward().micros() + backward));
            }
        }
        BenchTables t = new BenchTables(runs(parts.toArray(new String[0])), 100, 200);
        assertNotNull(t.costModel());
        BenchTables.Cell cell = t.cell("B64x4", 32, 1);
        assertEquals(model.predict(Networks.byName("B64x4"), 32, 1).ratio(), cell.ratio(), 1e-9, "the pair's split is the cell");
        assertTrue(!t.validates(t.cell("B256x2", 1, 1)) && !t.validates(t.cell("B16x1", 1, 1)), "calibration networks");
        String md = t.markdown("t", List.of(), null, null);
        // 6 cells predicted (B64x4, B256x4 and A at 2 batches), 5 within 15 %.
        assertTrue(md.contains("**Validation:** the cost model's ratio is within 15 % of the measured one in 5 of 6 cells"
                + " (83 %; target ≥ 90 %: **no**)"), md);
        assertTrue(md.contains("| B256x4 | 1 | 1 |"), "the cell outside is named: " + md);
        assertTrue(md.contains("| *calibration* |"), md);
        assertTrue(md.contains("| threads | rows | NT 64 | NT 256 | NT 1024 | NT narrow |"), md);
        assertTrue(md.contains("| 1 | 32 | 0.2 | 0.2 | 0.2 | 0.2 |"), "100 MACs a µs: 0.2 GFLOP/s " + md);
    }

    @Test
    void resultsWithoutACalibrationHaveTheFlopModelOnly() {
        BenchTables t = new BenchTables(runs(mlp("A", 256, 1, 3000, 8000)), 100, 200);
        assertEquals(null, t.costModel());
        String md = t.markdown("t", List.of(), null, null);
        assertTrue(md.contains("These results hold no calibration"), md);
        assertTrue(md.contains("| A | 2 | 512 | 256 | 1 | 3,000 | 8,000 | 5,000 | 1.67 | 1.40 | 1.19 | – | – | – | – |"), md);
    }

    @Test
    void thePeakComesFromPeakBenchWhenNotGiven() {
        // 12 chains x 16 lanes x 2 FLOPs = 384 FLOPs an iteration (at 512 bits) in 4 ns: 96 GFLOP/s a thread.
        double flops = PeakBench.flopsPerIteration();
        List<BenchRuns.Run> runs = runs(mlp("A", 1, 1, 30, 80), result("PeakBench.fma", 1, "", flops / 100, "ns/op"),
                result("PeakBench.fma", 2, "", flops / 90, "ns/op"));
        BenchTables t = new BenchTables(runs, Double.NaN, Double.NaN);
        assertEquals(100, t.peak(1), 1e-9);
        assertEquals(180, t.peak(2), 1e-9, "two threads side by side");
        assertTrue(!t.markdown("t", List.of(), null, null).contains("The peak is below"), "A at batch 1: 35 GFLOP/s forward");
        // A peak below the grid's own rates: said in bold, not hidden in columns above 100 %.
        String md = new BenchTables(runs, 10, 20).markdown("t", List.of(), null, null);
        assertTrue(md.contains("**The peak is below what the grid reached on 1 thread (45 GFLOP/s)"), md);
        assertThrows(IllegalArgumentException.class, () -> new BenchTables(runs(mlp("A", 1, 1, 30, 80)), Double.NaN, Double.NaN));
    }

    @Test
    void theStepTableAddsTheStepsOfEachPass() {
        List<String> parts = new ArrayList<>(List.of(mlp("A", 1, 1, 40, 120)));
        for (String s : StepBench.steps(Networks.byName("A"))) {
            parts.add(result("StepBench.run", 1, "\"batch\": \"1\", \"net\": \"A\", \"step\": \"" + s + "\"",
                    s.startsWith("dense") || s.startsWith("loss") ? 10 : 8, "us/op"));
        }
        String md = new BenchTables(runs(parts.toArray(new String[0])), 100, 200).markdown("t", List.of(), null, null);
        // Forward: 3 dense + loss = 40 µs. Backward: 3 weight + 3 bias + 2 input gradients = 64 µs; derivatives apart.
        assertTrue(md.contains("Sum of the forward steps 40.0 µs, of the backward steps 64.0 µs: ratio 1.60 from the steps,"
                + " 2.00 from the whole passes"), md);
        assertTrue(md.contains("| `weight_gradient:0` | 512 × 1 × 784 | 8.00 | 401,408 | 100.4 | 100 % | 13 % |"), md);
        assertTrue(md.contains("| `derivative:1` | 1 × 512 | 8.00 | – | – | – | (13 % if added) |"), md);
    }

    @Test
    void aSpreadIsTheMedianAndRangeOfItsForkMeans() {
        BenchTables.Spread odd = new BenchTables.Spread("MlpBench.forwardBackward", "A", 256, 1,
                List.of(9000.0, 8000.0, 12000.0, 8500.0, 8800.0), List.of());
        assertEquals(8800, odd.median(), 0.0);
        assertEquals(0.5, odd.range(), 1e-12, "(12,000 − 8,000) / 8,000");
        assertTrue(!odd.withinTarget());
        BenchTables.Spread even = new BenchTables.Spread("MlpBench.predict", "A", 256, 1, List.of(104.0, 100.0, 108.0, 102.0), List.of());
        assertEquals(103, even.median(), 1e-12, "the middle two of 100, 102, 104, 108");
        assertEquals(0.08, even.range(), 1e-12);
        assertTrue(even.withinTarget());
        assertTrue(new BenchTables.Spread("MlpBench.forward", "A", 1, 1, List.of(110.0, 100.0), List.of()).withinTarget(), "10 % is within");
        assertTrue(!new BenchTables.Spread("MlpBench.forward", "A", 1, 1, List.of(110.1, 100.0), List.of()).withinTarget());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BenchTables.Spread("MlpBench.forward", "A", 1, 1, List.of(1.0), List.of()));
        assertEquals("spread: expected 2 forks or more, found 1", e.getMessage());
    }

    @Test
    void theSpreadSectionHasTheCellsOfSeveralForksAndLeavesTheGridAlone() {
        List<BenchRuns.Run> runs = runs(mlp("A", 256, 1, 3000, 8000), mlp("A", 32, 1, 400, 1200),
                forks("forwardBackward", 256, new double[] {9000, 9400}, new double[] {8000, 8000},
                        new double[] {12500, 11500}, new double[] {8400, 8600}, new double[] {8900, 8700}),
                forks("predict", 256, new double[] {2000, 2010}, new double[] {2100, 2110}, new double[] {1990, 2010},
                        new double[] {2050, 2050}, new double[] {2000, 2000}),
                forks("forward", 32, new double[] {400, 402}, new double[] {450, 452}));
        BenchTables t = new BenchTables(runs, 100, 200);
        assertEquals(8000, t.cell("A", 256, 1).both(), 0.0, "the grid's own fork, not the spread's mean");
        assertEquals(400, t.cell("A", 32, 1).forward(), 0.0);
        assertEquals(2, t.cells().size());
        assertEquals(List.of("MlpBench.forwardBackward", "MlpBench.predict", "MlpBench.forward"),
                t.spread().stream().map(BenchTables.Spread::benchmark).toList(), "the one-fork grid results are not there");

        String md = t.markdown("test", List.of(), null, null);
        assertTrue(md.contains("## Spread between fresh JVMs\n\nEach of these ran in 5 fresh JVMs"), md);
        assertTrue(md.contains("`./vecmlp bench --quick` runs forwardBackward and predict of A at batch 256 in 5 JVMs"), md);
        assertTrue(md.contains("| forwardBackward | A | 256 | 1 | 9,200, 8,000, 12,000, 8,500, 8,800 | 8,800 | 8,000 | 50.0 % | **no** | – |"), md);
        assertTrue(md.contains("| predict | A | 256 | 1 | 2,005, 2,105, 2,000, 2,050, 2,000 | 2,005 | – | 5.3 % | yes | – |"), md);
        assertTrue(md.contains("| forward | A | 32 | 1 | 401, 451 | 426 | 400 | 12.5 % | **no** | – |"), md);
        assertTrue(md.indexOf("## Targets") < md.indexOf("## Spread") && md.indexOf("## Spread") < md.indexOf("## Every cell"), md);
        // The grid's one-fork results stand in every other table as before.
        assertTrue(md.contains("| A | 2 | 512 | 256 | 1 | 3,000 | 8,000 | 5,000 | 1.67 |"), md);

        assertTrue(!new BenchTables(runs(mlp("A", 256, 1, 3000, 8000)), 100, 200).markdown("t", List.of(), null, null)
                .contains("Spread"), "one fork per cell: no spread section");
    }

    @Test
    void theSpreadSectionShowsTheBytesEachJvmAllocatedPerCall() {
        String profiled = forks("predict", 256, new double[] {3000, 3000}, new double[] {3100, 3100})
                .replace("\"secondaryMetrics\": {}", "\"secondaryMetrics\": {\"gc.alloc.rate.norm\": {\"score\": 12300, "
                        + "\"scoreUnit\": \"B/op\", \"rawData\": [[21.0, 21.4], [24597.0, 24599.0]]}}");
        BenchTables t = new BenchTables(runs(mlp("A", 32, 1, 400, 1200), profiled), 100, 200);
        assertEquals(List.of(21.2, 24598.0), t.spread().getFirst().forkBytes());
        String md = t.markdown("test", List.of(), null, null);
        assertTrue(md.contains("| predict | A | 256 | 1 | 3,000, 3,100 | 3,050 | – | 3.3 % | yes | 21.2, 24,598 |"), md);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BenchTables.Spread("MlpBench.forward", "A", 1, 1, List.of(1.0, 2.0), List.of(3.0)));
        assertEquals("spread: expected bytes per call for each of the 2 forks or none, found 1", e.getMessage());
    }

    /** The options {@code args} give, through the picocli command as {@code ./vecmlp bench} parses them. */
    private static BenchReport.Options options(String... args) {
        BenchReport command = new BenchReport();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }

    /** What {@code ./vecmlp bench args} printed and returned. */
    private record Bench(int exit, String out, String err) {
    }

    private static Bench bench(String... args) {
        CommandLine cl = BenchReport.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Bench(exit, out.toString(), err.toString());
    }

    @Test
    void theCommandLineGivesTheOptionsAndTheirDefaults() {
        BenchReport.Options o = options("--quick", "--peak", "114", "--cell", "B64x2:8");
        assertTrue(o.quick());
        assertEquals(114, o.peak1(), 0.0);
        assertEquals(228, o.peak2(), 0.0);
        assertEquals(List.of("B64x2:8"), o.cells());
        assertEquals("bench-quick", o.name());
        assertEquals(List.of("B64x2:8", "A:32"), options("--cell", "B64x2:8", "--cell=A:32").cells(), "repeatable");
        assertEquals(225, options("--peak", "114,225").peak2(), 0.0);

        BenchReport.Options d = options();
        assertEquals(List.of("A:1", "A:256", "B64x4:32"), d.cells());
        assertEquals("bench", d.name());
        assertTrue(Double.isNaN(d.peak1()) && Double.isNaN(d.peak2()), "no --peak: PeakBench measures it");
        assertEquals(Path.of(System.getProperty("vecmlp.home", "."), "perf", "results"), d.out());
        assertArrayEquals(new int[] {64, 128, 256, 512, 1024}, d.widths());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6}, d.depths());
        assertArrayEquals(new int[] {1, 8, 32, 128, 256}, d.batches());
        assertArrayEquals(new int[] {1, 2}, d.threads());
        assertEquals(List.of(), options("--quick").cells(), "the quick grid: no breakdown unless asked for");

        BenchReport.Options g = options("--widths", "64,1024", "--depths", "4", "--batches", "1,256", "--threads", "1",
                "--out", "x", "--name", "mine");
        assertArrayEquals(new int[] {64, 1024}, g.widths());
        assertArrayEquals(new int[] {4}, g.depths());
        assertArrayEquals(new int[] {1, 256}, g.batches());
        assertArrayEquals(new int[] {1}, g.threads());
        assertEquals(Path.of("x"), g.out());
        assertEquals("mine", g.name());

        // The full grid: 31 networks x 5 batches x 2 thread counts, the two passes of a cell in turn, one JVM per network.
        List<BenchReport.Job> full = BenchReport.jobs(options("--peak", "114"));
        List<BenchReport.Job> nets = full.stream().filter(j -> j.shared() && !j.label().equals("calibration")).toList();
        assertEquals(31, nets.size(), "one JVM per network");
        assertEquals(310, nets.stream().flatMap(j -> j.blocks().stream()).filter(b -> b.include().equals(BenchReport.MLP))
                .mapToInt(BenchReport.Block::runs).sum());
        for (BenchReport.Job j : nets) {
            for (BenchReport.Block b : j.blocks()) {
                if (b.include().contains("CalibrationBench")) {
                    assertEquals(List.of(j.label()), b.param("jvm"), "its calibration is labelled with its network");
                } else {
                    assertEquals(List.of(j.label()), b.param("net"), "a JVM runs only its own network");
                }
            }
        }
        // The breakdowns A:1, A:256, B64x4:32 run in their networks' JVMs.
        assertEquals(List.of("1", "256"), nets.getFirst().blocks().stream().filter(b -> b.include().contains("StepBench"))
                .map(b -> b.param("batch").getFirst()).toList());
        // Each network's JVM calibrates first: every rows per shard of its cells (batches 1, 8, 32, 128, 256 on 1
        // thread, 1 included for batch 1 on 2; 4, 16, 64, 128 on 2 threads at once).
        List<BenchReport.Block> cal = nets.getFirst().blocks().stream().filter(b -> b.include().contains("CalibrationBench"))
                .toList();
        assertEquals(List.of("1", "8", "32", "128", "256"), cal.get(0).param("rows"));
        assertEquals(List.of("A"), cal.get(0).param("jvm"));
        assertEquals(1, cal.get(0).jmhThreads());
        assertEquals(List.of("4", "16", "64", "128"), cal.get(1).param("rows"));
        assertEquals(2, cal.get(1).jmhThreads());
        // The calibration JVM: the overhead network on 1 thread and at 1 and 2 shards on 2, the bandwidth probes.
        BenchReport.Job first = full.getFirst();
        assertEquals("calibration", first.label());
        assertEquals(List.of("1/1", "1/2", "2/2"), first.blocks().stream().filter(b -> b.include().equals(BenchReport.MLP))
                .map(b -> b.param("batch").getFirst() + "/" + b.param("threads").getFirst()).toList());
        List<String> probes = first.blocks().stream().filter(b -> b.include().contains("CostBench")).findFirst().orElseThrow()
                .param("probe");
        assertEquals(16 + 8, probes.size());
        assertTrue(probes.containsAll(List.of("read:16384", "write:268435456", "local:262144", "handover:16777216")),
                probes.toString());
        assertTrue(full.stream().noneMatch(j -> j.label().equals("peak")), "--peak given: no PeakBench");
        // The spread: A's predict, forward and forwardBackward at batches 1, 32, 256, 1 thread, 5 JVMs each.
        List<BenchReport.Block> spread = full.stream().filter(j -> j.label().startsWith("spread"))
                .map(j -> j.blocks().getFirst()).toList();
        assertEquals(List.of("1", "32", "256"), spread.stream().map(b -> b.param("batch").getFirst()).toList());
        assertEquals(3 * 3 * 5, spread.stream().mapToInt(BenchReport.Block::runs).sum());
        for (BenchReport.Block b : spread) {
            assertEquals(5, b.forks());
            assertEquals(List.of("A"), b.param("net"));
            assertEquals(List.of("1"), b.param("threads"));
            assertEquals("dev\\.vecmlp\\.perf\\.MlpBench\\.(predict|forward|forwardBackward)$", b.include());
        }
        assertEquals(5, options().spreadForks());
        assertTrue(BenchReport.jobs(options("--quick")).stream().noneMatch(j -> j.label().startsWith("spread")),
                "--quick: no spread run unless asked for");
        assertEquals(List.of("peak", "the quick grid"), BenchReport.jobs(options("--quick")).stream().map(BenchReport.Job::label)
                .toList(), "--quick: the peak in forks of its own, then one JVM");
        List<BenchReport.Job> quick = BenchReport.jobs(options("--quick", "--spread-forks", "3"));
        assertEquals(2 * 3, quick.stream().filter(j -> j.label().startsWith("spread")).mapToInt(BenchReport.Job::runs).sum());
        assertEquals(10, BenchReport.jobs(options("--quick")).stream()
                .mapToInt(j -> (int) j.blocks().stream().filter(b -> b.include().equals(BenchReport.MLP)
                        && !b.param("net").equals(List.of(CostModel.OVERHEAD_NET)))
                        .mapToInt(BenchReport.Block::runs).sum()).sum(), "the quick grid as before: 10 cells");
        assertEquals(2, BenchReport.jobs(options("--quick")).getFirst().blocks().stream()
                .filter(b -> b.include().contains("PeakBench")).count(), "no --peak: the peak measured on 1 and 2 threads");
        // A block survives the trip to a shared fork's command line.
        BenchReport.Block b = BenchReport.Block.steps("A", 32, List.of("dense:0", "loss:2"));
        BenchReport.Block back = BenchReport.Block.decode(b.encode());
        assertEquals(b.include(), back.include());
        assertEquals(b.params(), back.params());
        assertEquals(b.forks(), back.forks());
    }

    @Test
    void aReportMadeAgainKeepsItsResultsNameAndExitsWithZero(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("old-run.json");
        Files.writeString(json, BenchRuns.join(List.of("[" + mlp("A", 256, 1, 3000, 8000) + "]")));
        assertEquals("old-run", options("--from-json", json.toString()).name());
        Path out = dir.resolve("out");
        Bench b = bench("--from-json", json.toString(), "--peak", "100,200", "--out", out.toString());
        assertEquals(0, b.exit(), b.err());
        assertTrue(Files.readString(out.resolve("old-run.md")).contains("--from-json old-run.json --peak 100,200"));
    }

    @Test
    void aReportMadeAgainPutsPyTorchsCellsBesideOursWhenTheirFileIsThere(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("run.json");
        Files.writeString(json, BenchRuns.join(List.of("[" + mlp("A", 256, 1, 3000, 8000) + "," + mlp("A", 1, 1, 40, 100) + "]")));
        // PyTorch's A at batch 256: medians 4,000 and 10,000 µs (ratio 1.50); a cell the grid does not have is left out.
        Files.writeString(PyTorchPeer.file(json), """
                [{"torch": "1.13.0", "parallel": "OpenMP 4.5", "blas": "generic", "iterations": 3},
                 {"net": "A", "batch": 256, "threads": 1, "forward": [4100, 4000, 3900], "both": [10000, 9000, 11000]},
                 {"net": "B64x4", "batch": 8, "threads": 1, "forward": [10], "both": [30]}]
                """);
        Path out = dir.resolve("out");
        Bench b = bench("--from-json", json.toString(), "--peak", "100,200", "--out", out.toString());
        assertEquals(0, b.exit(), b.err());
        String md = Files.readString(out.resolve("run.md"));
        assertTrue(md.contains("PyTorch's run of the same cells: `run-pytorch.json`."), md);
        assertTrue(md.contains("## Across engines: PyTorch on the same cells"), md);
        assertTrue(md.contains("PyTorch 1.13.0 (threads: OpenMP 4.5; BLAS generic"), md);
        // vecmlp: 3,000 and 8,000 µs, ratio 1.67; PyTorch 4,000 and 10,000, ratio 1.50; FLOP model 1.40; 10,000 / 8,000.
        assertTrue(md.contains("| A | 256 | 1 | 3,000 | 8,000 | 1.67 | 4,000 | 10,000 | 1.50 | 1.40 | 1.25 |"), md);
        assertTrue(md.contains("Over the 1 cells both ran: the ratio's median is 1.67 in vecmlp [1.67-1.67] and 1.50 in"
                + " PyTorch [1.50-1.50]; PyTorch's forward+backward was the faster in 0 of them."), md);
        assertFalse(md.contains("| A | 1 | 1 | 40.0"), "A at batch 1 has no PyTorch cell: no row");

        Files.delete(PyTorchPeer.file(json));
        assertEquals(0, bench("--from-json", json.toString(), "--peak", "100,200", "--out", out.toString()).exit());
        assertFalse(Files.readString(out.resolve("run.md")).contains("Across engines"), "no file, no section");
    }

    @Test
    void pyTorchsCellsAreTheGridsNetworksSpelledForTheScriptAndItsFileIsChecked() {
        assertEquals("A 256 2 784 512:relu,512:relu,10:linear softmax_cross_entropy", PyTorchPeer.line("A", 256, 2));
        assertEquals("B64x2 8 1 64 64:tanh,64:tanh,10:linear softmax_cross_entropy", PyTorchPeer.line("B64x2", 8, 1));
        assertEquals("C 4 1 2 8:logistic,1:logistic squared_error", PyTorchPeer.line("C", 4, 1));
        String[][] bad = {
            {"[", "f: expected the JSON array bench_ratio.py printed, found malformed JSON"},
            {"{}", "f: expected a JSON array whose first element names PyTorch (\"torch\"), found object"},
            {"[{\"x\": 1}]", "f: expected a JSON array whose first element names PyTorch (\"torch\"), found a first element"},
            {"[{\"torch\": \"1\"}, {\"net\": \"A\", \"batch\": 1, \"threads\": 1, \"forward\": [], \"both\": [1]}]",
                "f, element 1: expected \"forward\", a non-empty array of µs per call, found []"},
            {"[{\"torch\": \"1\"}, {\"net\": \"A\", \"batch\": 1, \"threads\": 1, \"forward\": [1], \"both\": [0]}]",
                "f, element 1: expected \"both\" times above 0 µs, found 0"},
            {"[{\"torch\": \"1\"}, {\"net\": 3, \"batch\": 1, \"threads\": 1, \"forward\": [1], \"both\": [2]}]",
                "f, element 1: expected \"net\" (text), \"batch\" and \"threads\" (whole numbers)"},
        };
        for (String[] c : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PyTorchPeer.parse(c[0], "f"));
            assertTrue(e.getMessage().startsWith(c[1]), c[0] + ": " + e.getMessage());
        }
    }

    /** The script and the reader agree: one small cell in the PyTorch of this machine, when it has one. */
    @Test
    void theScriptTimesACellInPyTorchWhenItIsInstalled(@TempDir Path dir) throws Exception {
        Process probe = new ProcessBuilder(PyTorchPeer.PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.waitFor() == 0, "no PyTorch for " + PyTorchPeer.PYTHON);
        Path home = Path.of(System.getProperty("vecmlp.home", "..")).toAbsolutePath();
        PyTorchPeer.Run run = PyTorchPeer.run(List.<String[]>of(new String[] {"C", "4", "1"}), home, dir.resolve("c.json"));
        assertEquals(1, run.cells().size());
        PyTorchPeer.Cell c = run.cell("C", 4, 1);
        assertTrue(c.forward() > 0 && c.both() > c.forward(), c.toString());
        assertEquals(8, c.iterations());
        assertTrue(run.torch().startsWith("1.") || run.torch().startsWith("2."), run.torch());
        assertEquals(run.cells(), PyTorchPeer.read(dir.resolve("c.json")).cells(), "the file reads back the same");
    }

    @Test
    void badInputIsAUsageErrorBeforeAnythingRuns(@TempDir Path dir) throws IOException {
        // Each case starts with --from-json of a file there is not, so that no check missed can start a JMH run.
        String none = dir.resolve("none.json").toString();
        String[][] cases = {
            {"--peak", "Missing required parameter for option '--peak'"},
            {"--peak -1", "--peak: expected a positive number, found -1.0"},
            {"--peak 0", "--peak: expected a positive number, found 0.0"},
            {"--peak x", "Invalid value for option '--peak'"},
            {"--peak 1,2,3", "--peak: expected GFLOPS or GFLOPS,GFLOPS2, found 3 numbers"},
            {"--cell A", "--cell: expected NET:BATCH (e.g. A:32), found 'A'"},
            {"--cell :8", "--cell: expected NET:BATCH (e.g. A:32), found ':8'"},
            {"--cell Q:1", "--cell Q:1: network: expected A, C, B<width> or B<width>x<depth>"},
            {"--cell A:0", "--cell A:0: expected a batch from 1 to 65536, found '0'"},
            {"--cell A:1.5", "--cell A:1.5: expected a batch from 1 to 65536, found '1.5'"},
            {"--threads 1,3", "--threads: expected whole numbers from 1 to 2, found 3"},
            {"--spread-forks 1", "--spread-forks: expected 0 (no spread run) or 2 to 50 JVMs, found 1"},
            {"--spread-forks -1", "--spread-forks: expected 0 (no spread run) or 2 to 50 JVMs, found -1"},
            {"--spread-forks 51", "--spread-forks: expected 0 (no spread run) or 2 to 50 JVMs, found 51"},
            {"--depths 0", "--depths: expected whole numbers from 1 to 64, found 0"},
            {"--widths 64,x", "Invalid value for option '--widths' (LIST): 'x' is not an int"},
            {"--fast", "Unknown option: '--fast'"},
            {"--peer torch", "--peer: expected pytorch, found 'torch'"},
            {"", "--from-json: expected a JSON file an earlier run wrote, found no file at " + none},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("--from-json", none, "--out", dir.toString()));
            args.addAll(c[0].isEmpty() ? List.of() : List.of(c[0].split(" ")));
            Bench b = bench(args.toArray(new String[0]));
            assertEquals(2, b.exit(), c[0] + ": " + b.err());
            assertTrue(b.err().startsWith("vecmlp bench: " + c[1]), c[0] + ": " + b.err());
            assertTrue(b.err().contains("Run ./vecmlp bench --help for the options."), b.err());
        }
        assertTrue(bench("--from-json", none, "--quik").err().contains("Possible solutions: --quick"), "a misspelt option");
    }

    @Test
    void aFailedRunExitsWithOneAndTheHelpSaysWhatTheGridsAre(@TempDir Path dir) throws IOException {
        Path json = Files.writeString(dir.resolve("bad.json"), "{}");
        Bench b = bench("--from-json", json.toString(), "--peak", "100", "--out", dir.toString());
        assertEquals(1, b.exit());
        assertEquals("vecmlp bench: " + json + ": expected a JSON array of JMH results, found an object", b.err().strip());

        Bench help = bench("--help", "--from-json", dir.resolve("none.json").toString());
        assertEquals(0, help.exit());
        for (String s : new String[] {"Usage: ./vecmlp bench [--quick]", "DIR/NAME.md (the report:", "about 20 minutes",
            "--quick", "--peak=G[,G2]", "--out=DIR", "--cell=NET:BATCH", "--widths=LIST", "instead of 64,128,256,512,1024",
            "--depths=LIST", "--batches=LIST", "--threads=LIST", "--spread-forks=N", "5 fresh JVMs", "--from-json=FILE", "--name=NAME", "bench-quick or bench"}) {
            assertTrue(help.out().contains(s), s + " in\n" + help.out());
        }
    }
}
