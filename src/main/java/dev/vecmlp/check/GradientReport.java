package dev.vecmlp.check;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The result of a {@link GradientCheck}: one {@link TensorReport} per tensor for each verdict,
 * (1) the reference against finite differences and (2) the engine against the reference, and a
 * text table of both ({@link #format()}).
 */
public final class GradientReport {
    private final String network;
    private final String engine;
    private final int rows;
    private final List<TensorReport> finiteDifferences;
    private final List<TensorReport> engineReports;

    GradientReport(String network, String engine, int rows, List<TensorReport> finiteDifferences,
                   List<TensorReport> engineReports) {
        this.network = network;
        this.engine = engine;
        this.rows = rows;
        this.finiteDifferences = List.copyOf(finiteDifferences);
        this.engineReports = List.copyOf(engineReports);
    }

    /** Verdict 1, per tensor: numeric (finite differences) against the reference's analytic gradient. */
    public List<TensorReport> finiteDifferences() {
        return finiteDifferences;
    }

    /** Verdict 2, per tensor: the engine's gradient against the reference's (empty for a reference-only check). */
    public List<TensorReport> engine() {
        return engineReports;
    }

    /** Verdict 1 for one tensor by name ({@code "W1"}), if it was checked. */
    public Optional<TensorReport> finiteDifferences(String tensor) {
        return finiteDifferences.stream().filter(r -> r.name().equals(tensor)).findFirst();
    }

    /** Verdict 2 for one tensor by name, if it was checked. */
    public Optional<TensorReport> engine(String tensor) {
        return engineReports.stream().filter(r -> r.name().equals(tensor)).findFirst();
    }

    /** The engine's kernels, or empty for a reference-only check. */
    public Optional<String> engineName() {
        return Optional.ofNullable(engine);
    }

    /** Whether the reference agrees with finite differences on every checked coordinate. */
    public boolean referencePassed() {
        return finiteDifferences.stream().allMatch(TensorReport::passed);
    }

    /** Whether the engine agrees with the reference on every coordinate (true when not checked). */
    public boolean enginePassed() {
        return engineReports.stream().allMatch(TensorReport::passed);
    }

    /** Both verdicts. */
    public boolean passed() {
        return referencePassed() && enginePassed();
    }

    /** Coordinates compared with finite differences. */
    public int checked() {
        return finiteDifferences.stream().mapToInt(TensorReport::checked).sum();
    }

    /** Coordinates skipped because a ReLU or threshold unit changed side within the step. */
    public int skipped() {
        return finiteDifferences.stream().mapToInt(TensorReport::skipped).sum();
    }

    /** {@link #skipped()} over all coordinates drawn for finite differences (0 when none). */
    public double skippedFraction() {
        int all = checked() + skipped();
        return all == 0 ? 0 : (double) skipped() / all;
    }

    /** The report as a text table: a header, one line per tensor and verdict, the verdicts. */
    public String format() {
        StringBuilder s = new StringBuilder();
        s.append("gradient check of ").append(network).append(", batch ").append(rows).append('\n');
        if (!finiteDifferences.isEmpty()) {
            formatFiniteDifferences(s);
        }
        if (engine != null) {
            formatEngine(s);
        }
        s.append(passed() ? "PASS" : "FAIL").append('\n');
        return s.toString();
    }

    private void formatFiniteDifferences(StringBuilder s) {
        s.append(String.format(Locale.ROOT,
                "(1) reference (float64 backprop) a against central differences n: |a-n| <= %.0e*S + %.0e*max(|a|,|n|)%n",
                GradientCheck.ABSOLUTE_TOLERANCE, GradientCheck.RELATIVE_TOLERANCE));
        s.append(String.format(Locale.ROOT, "  %-6s %7s %7s %7s %10s  %-14s %12s %12s %10s %10s%n",
                "tensor", "checked", "skipped", "failing", "max|a-n|", "worst", "analytic", "numeric", "n/a", "n/a med"));
        for (TensorReport r : finiteDifferences) {
            s.append(String.format(Locale.ROOT, "  %-6s %7d %7d %7d %10.2e  %-14s %12.5e %12.5e %10s %10s%n",
                    r.name(), r.checked(), r.skipped(), r.failing(), r.maxError(), r.worstCoordinate(),
                    r.worstExpected(), r.worstFound(), number("%.6f", r.ratio()), number("%.6f", r.medianRatio())));
        }
        s.append(String.format(Locale.ROOT, "  skipped at ReLU/threshold kinks: %d of %d coordinates (%.2f%%)%n",
                skipped(), checked() + skipped(), 100 * skippedFraction()));
        s.append("  verdict 1: ").append(referencePassed() ? "PASS" : "FAIL").append('\n');
    }

    private void formatEngine(StringBuilder s) {
        s.append(String.format(Locale.ROOT, "(2) engine %s e against reference r: |e-r| <= %.0f x float32 running-error bound%n",
                engine, GradientCheck.ENGINE_SAFETY));
        s.append(String.format(Locale.ROOT, "  %-6s %7s %7s %10s  %-14s %12s %12s %12s %9s %9s %12s%n",
                "tensor", "checked", "failing", "max|e-r|", "worst", "reference", "engine", "e/r", "|e/r-1|", "bound",
                "e/r med"));
        for (TensorReport r : engineReports) {
            s.append(String.format(Locale.ROOT, "  %-6s %7d %7d %10.2e  %-14s %12.5e %12.5e %12s %9s %9s%s %12s%n",
                    r.name(), r.checked(), r.failing(), r.maxError(), r.worstCoordinate(),
                    r.worstExpected(), r.worstFound(), number("%.8f", r.ratio()), number("%.1e", Math.abs(r.ratio() - 1)),
                    number("%.1e", r.ratioBound()), r.ratioPassed() ? " " : "!", number("%.8f", r.medianRatio())));
        }
        s.append("  failing: coordinates past 2 x their worst-case bound; bound: on |e/r-1| from simulated rounding"
                + " (! = past it)\n");
        s.append("  verdict 2: ").append(enginePassed() ? "PASS" : "FAIL").append('\n');
    }

    /** {@code -} for NaN (no ratio: the expected gradient is 0 throughout). */
    private static String number(String format, double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }

    @Override
    public String toString() {
        return format();
    }
}
