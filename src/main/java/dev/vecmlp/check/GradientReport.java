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

    /** Verdict 1 for one tensor by name ({@code "W0"}), if it was checked. */
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

    /**
     * Whether the check tested nothing: every coordinate verdict 1 compared (and verdict 2, when
     * it ran) was exactly 0 on both sides, or none was compared. Such a check passes whatever the
     * code computes, so {@link #format()} says so instead of only "PASS".
     */
    public boolean vacuous() {
        return finiteDifferences.stream().allMatch(TensorReport::vacuous) && engineReports.stream().allMatch(TensorReport::vacuous);
    }

    /**
     * What the columns of {@link #format()} mean, for a reader without the Javadoc: printed once
     * after a run's reports ({@code vecmlp gradcheck}), not in each.
     */
    public static String legend() {
        return String.format(Locale.ROOT, """
                How to read the tables (tensors are named by layer, counted from 0: W0, b0 are layer 0's weights and bias):
                  checked   coordinates compared; verdict 1 draws at most a sample per tensor, verdict 2 compares all
                  skipped   (1) coordinates where a ReLU or threshold unit changes side within the finite-difference
                            step: the loss has a kink or a jump there, and a difference across it means nothing
                  failing   coordinates past their allowance: (1) |a-n| <= %.0e*S + %.0e*max(|a|,|n|), S the largest |a|
                            in the tensor; (2) |e-r| <= %.0f x the coordinate's float32 rounding bound
                  max|a-n|, max|e-r|  the largest difference anywhere in the tensor
                  worst     the coordinate nearest its allowance (or furthest past it), with its two values: not
                            always where the largest difference is, since a large gradient is allowed a large error
                  ratio     sum(x*y)/sum(y*y) over the tensor, x the gradient checked (n or e), y the one it is checked
                            against (a or r); med ratio: the median of x/y. 1 when they agree; -1 a sign error, 0 a
                            missing term, another factor a scale error; - where y is 0 throughout
                  |ratio-1|, bound  (2) how far the ratio is from 1, and the most float32 rounding can explain
                            (from a simulation of the rounding); ! marks a tensor past it
                  all 0     every coordinate compared is exactly 0 on both sides (a hard-threshold unit passes no
                            gradient back, a dead ReLU none): it would pass whatever the code computed, so it proves
                            nothing; a verdict says how many coordinates were not 0. all skipped: every coordinate
                            drawn sat at a kink
                """, GradientCheck.ABSOLUTE_TOLERANCE, GradientCheck.RELATIVE_TOLERANCE, GradientCheck.ENGINE_SAFETY);
    }

    /**
     * The report as text: a header, a table per verdict (one line per tensor), what each verdict
     * proved, and PASS or FAIL. {@link #legend()} explains the columns.
     */
    public String format() {
        StringBuilder s = new StringBuilder();
        s.append("gradient check of ").append(network).append(", batch ").append(rows).append('\n');
        if (!finiteDifferences.isEmpty()) {
            formatFiniteDifferences(s);
        }
        if (engine != null) {
            formatEngine(s);
        }
        if (!passed()) {
            s.append("FAIL\n");
        } else if (vacuous()) {
            s.append("PASS, vacuously: every gradient compared was exactly 0, so nothing was tested\n");
        } else {
            s.append("PASS\n");
        }
        return s.toString();
    }

    private void formatFiniteDifferences(StringBuilder s) {
        s.append("(1) backprop in float64 (analytic gradient a) against central finite differences of the loss (numeric n)\n");
        s.append(String.format(Locale.ROOT, "  %-6s %7s %7s %7s %10s  %-14s %12s %12s %10s %10s%n",
                "tensor", "checked", "skipped", "failing", "max|a-n|", "worst", "analytic", "numeric", "ratio", "med ratio"));
        for (TensorReport r : finiteDifferences) {
            s.append(String.format(Locale.ROOT, "  %-6s %7d %7d %7d %10.2e  %-14s %12.5e %12.5e %10s %10s%s%n",
                    r.name(), r.checked(), r.skipped(), r.failing(), r.maxError(), r.worstCoordinate(),
                    r.worstExpected(), r.worstFound(), number("%.6f", r.ratio()), number("%.6f", r.medianRatio()),
                    r.checked() == 0 ? "  all skipped" : r.vacuous() ? "  all 0" : ""));
        }
        int tested = testedCoordinates(finiteDifferences);
        s.append(String.format(Locale.ROOT, "  verdict 1: %s: backprop %s finite differences at %s coordinates checked"
                        + " (%d skipped at kinks)%s%n",
                referencePassed() ? "PASS" : "FAIL", referencePassed() ? "matches" : "does not match",
                count(checked() - failing(finiteDifferences), checked()), skipped(), zeroNote(finiteDifferences, tested)));
    }

    private void formatEngine(StringBuilder s) {
        s.append(String.format(Locale.ROOT, "(2) the engine's float32 gradient e (%s) against the float64 reference r%n", engine));
        s.append(String.format(Locale.ROOT, "  %-6s %7s %7s %10s  %-14s %12s %12s %12s %9s %9s %12s%n",
                "tensor", "checked", "failing", "max|e-r|", "worst", "reference", "engine", "ratio", "|ratio-1|", "bound",
                "med ratio"));
        for (TensorReport r : engineReports) {
            s.append(String.format(Locale.ROOT, "  %-6s %7d %7d %10.2e  %-14s %12.5e %12.5e %12s %9s %9s%s %12s%s%n",
                    r.name(), r.checked(), r.failing(), r.maxError(), r.worstCoordinate(),
                    r.worstExpected(), r.worstFound(), number("%.8f", r.ratio()), number("%.1e", Math.abs(r.ratio() - 1)),
                    number("%.1e", r.ratioBound()), r.ratioPassed() ? " " : "!", number("%.8f", r.medianRatio()),
                    r.vacuous() && r.checked() > 0 ? "  all 0" : ""));
        }
        int all = engineReports.stream().mapToInt(TensorReport::checked).sum();
        int tested = testedCoordinates(engineReports);
        s.append(String.format(Locale.ROOT, "  verdict 2: %s: the engine's gradients are within float32 rounding of the"
                        + " reference at %s coordinates%s%s%n",
                enginePassed() ? "PASS" : "FAIL", count(all - failing(engineReports), all),
                engineReports.stream().allMatch(TensorReport::ratioPassed) ? "" : ", and a tensor's ratio is past its bound (!)",
                zeroNote(engineReports, tested)));
    }

    /** "all 311" or "300 of 311". */
    private static String count(int good, int all) {
        return good == all ? "all " + all : good + " of " + all;
    }

    private static int failing(List<TensorReport> reports) {
        return reports.stream().mapToInt(TensorReport::failing).sum();
    }

    /** Coordinates compared that are not exactly 0 on both sides. */
    private static int testedCoordinates(List<TensorReport> reports) {
        return reports.stream().mapToInt(r -> r.checked() - r.zeros()).sum();
    }

    /** "; only N ... were not 0" when some compared coordinates were 0 on both sides, naming the tensors all 0. */
    private static String zeroNote(List<TensorReport> reports, int tested) {
        int all = reports.stream().mapToInt(TensorReport::checked).sum();
        if (tested == all) {
            return "";
        }
        if (tested == 0) {
            return "; every one of them was exactly 0 on both sides: nothing was tested";
        }
        List<String> allZero = reports.stream().filter(r -> r.vacuous() && r.checked() > 0).map(TensorReport::name).toList();
        return String.format(Locale.ROOT, "; %d of them were not exactly 0, so only those tested anything%s", tested,
                allZero.isEmpty() ? "" : " (all 0: " + String.join(", ", allZero) + ")");
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
