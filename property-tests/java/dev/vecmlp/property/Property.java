package dev.vecmlp.property;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A check run over generated values: a fixed number of tries, each from a seed derived from one
 * base seed; on the first failure, the failing value is shrunk and an {@link AssertionError}
 * thrown whose message has the try's seed, the command that reruns it, the smallest failing value
 * found, its failure, and that value printed as Java code to paste into a test.
 *
 * <pre>{@code
 * @Test
 * void lossIsFinite() {
 *     Property.forAll("loss is finite", NetGen.defaults(), PropertiesTest::lossIsFinite).tries(100).check();
 * }
 *
 * static void lossIsFinite(NetCase c, Coverage coverage) {
 *     double loss = c.loss(KernelProvider.best());
 *     assertTrue(Double.isFinite(loss), () -> "loss " + loss);
 * }
 * }</pre>
 *
 * <p><b>Seeds.</b> Try 0 uses the base seed itself; try {@code i > 0} a seed mixed from the base
 * and {@code i}. The base is fixed per property (from its name) so that every run checks the same
 * cases, unless {@code -Dvecmlp.prop.seed} sets it (decimal or {@code 0x} hex). A failure prints
 * the seed of the failing try, so {@code -Dvecmlp.prop.seed=<that seed>} makes it try 0 of the
 * rerun. {@code -Dvecmlp.prop.tries=N} replaces every property's number of tries.
 *
 * <p><b>Shrinking.</b> Greedy: the first candidate of the shrinker that still fails with the same
 * kind of error (same exception class) becomes the current value, until no candidate fails or the
 * budget ({@value #MAX_SHRINK_RUNS} reruns, {@value #MAX_SHRINK_MILLIS} ms) is spent.
 *
 * <p><b>Coverage.</b> Each try's check gets the run's {@link Coverage}; after the run one line
 * with the counts is printed, and the run fails if dead units hid more than
 * {@link Coverage#MAX_HIDDEN_SHARE} of the weights the check meant to look at.
 */
public final class Property<T> {
    /** Reruns a shrink may spend. */
    public static final int MAX_SHRINK_RUNS = 3000;
    /** Wall time a shrink may spend. */
    public static final long MAX_SHRINK_MILLIS = 30_000;

    /** The body of a property: returns normally when {@code value} passes, throws when it fails. */
    @FunctionalInterface
    public interface Check<T> {
        void check(T value, Coverage coverage) throws Exception;
    }

    private final String name;
    private final Gen<T> gen;
    private final Check<T> check;
    private final Function<T, List<T>> shrinker;
    private final Function<T, String> printer;
    private final String call;
    private final int tries;
    private final Long seed;
    /** Whether -Dvecmlp.prop.seed and -Dvecmlp.prop.tries apply; not for the harness's own tests. */
    private final boolean overridable;

    private Property(String name, Gen<T> gen, Check<T> check, Function<T, List<T>> shrinker, Function<T, String> printer,
                     String call, int tries, Long seed, boolean overridable) {
        this.overridable = overridable;
        this.name = name;
        this.gen = gen;
        this.check = check;
        this.shrinker = shrinker;
        this.printer = printer;
        this.call = call;
        this.tries = tries;
        this.seed = seed;
    }

    /** A property over any generated values; without {@link #shrinkWith} a failure is reported unshrunk. */
    public static <T> Property<T> forAll(String name, Gen<T> gen, Check<T> check) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(gen, "gen");
        Objects.requireNonNull(check, "check");
        return new Property<>(name, gen, check, v -> List.of(), String::valueOf, null, 100, null, true);
    }

    /** A property over networks: shrinks with {@link NetGen#shrinks} and prints {@link NetCase#toJava}. */
    public static Property<NetCase> forAll(String name, NetGen gen, Check<NetCase> check) {
        return forAll(name, (Gen<NetCase>) gen, check).shrinkWith(gen::shrinks).printWith(NetCase::toJava);
    }

    /** Candidates simpler than a value, simplest first. */
    public Property<T> shrinkWith(Function<T, List<T>> s) {
        return new Property<>(name, gen, check, Objects.requireNonNull(s), printer, call, tries, seed, overridable);
    }

    /** A Java expression that rebuilds a value. */
    public Property<T> printWith(Function<T, String> p) {
        return new Property<>(name, gen, check, shrinker, Objects.requireNonNull(p), call, tries, seed, overridable);
    }

    /**
     * The statement that runs the check on a value named {@code c}, printed after the value in a
     * failure report, e.g. {@code "AlgebraPropertiesTest.l2AddsLambdaW(c, Coverage.ignored());"}.
     */
    public Property<T> reproduceWith(String statement) {
        return new Property<>(name, gen, check, shrinker, printer, Objects.requireNonNull(statement), tries, seed, overridable);
    }

    /** Tries per run, unless {@code -Dvecmlp.prop.tries} says otherwise. */
    public Property<T> tries(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("tries: expected at least 1, found " + n);
        }
        return new Property<>(name, gen, check, shrinker, printer, call, n, seed, overridable);
    }

    /** A base seed of its own, ahead of the property's default; {@code -Dvecmlp.prop.seed} still wins. */
    public Property<T> seed(long base) {
        return new Property<>(name, gen, check, shrinker, printer, call, tries, base, overridable);
    }

    /** This property with its own seed and tries whatever the system properties say: for testing the harness. */
    Property<T> ignoringSystemProperties() {
        return new Property<>(name, gen, check, shrinker, printer, call, tries, seed, false);
    }

    /** The tries this run will make. */
    public int effectiveTries() {
        String s = overridable ? System.getProperty("vecmlp.prop.tries") : null;
        if (s == null || s.isBlank()) {
            return tries;
        }
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("vecmlp.prop.tries: expected a whole number of at least 1, found '" + s + "'");
    }

    /** The base seed of this run. */
    public long baseSeed() {
        String s = overridable ? System.getProperty("vecmlp.prop.seed") : null;
        if (s != null && !s.isBlank()) {
            return parseSeed(s.trim());
        }
        return seed != null ? seed : mix(0x5eed_2026_0000_0000L ^ name.hashCode());
    }

    static long parseSeed(String s) {
        try {
            return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("vecmlp.prop.seed: expected a decimal or 0x-hex 64-bit seed, found '" + s + "'");
        }
    }

    /** The seed of try {@code i} under base seed {@code base}. */
    public static long trySeed(long base, int i) {
        return i == 0 ? base : mix(base + i * 0x9e37_79b9_7f4a_7c15L);
    }

    /** The value try {@code i} checks under base seed {@code base}. */
    public T value(long base, int i) {
        return gen.next(new SplittableRandom(trySeed(base, i)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
        return z ^ (z >>> 31);
    }

    static String hex(long seed) {
        return String.format("0x%016x", seed);
    }

    /** What a run found. {@code failure} is null when every try passed. */
    public record Result(String name, long baseSeed, int tries, long millis, Coverage coverage, AssertionError failure) {
    }

    /** Runs the tries; on a failure, shrinks it and returns the report as {@link Result#failure()}. */
    public Result run() {
        StackWalker.StackFrame caller = caller();
        long base = baseSeed();
        int n = effectiveTries();
        Coverage coverage = new Coverage();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long s = trySeed(base, i);
            T value = gen.next(new SplittableRandom(s));
            Throwable failure = failureOf(value, coverage);
            if (failure != null) {
                return new Result(name, base, i + 1, (System.nanoTime() - start) / 1_000_000, coverage,
                        report(caller, i, n, s, value, failure));
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        AssertionError uncovered = null;
        if (coverage.checksWeights() && coverage.hiddenShare() > Coverage.MAX_HIDDEN_SHARE) {
            uncovered = new AssertionError(String.format("property \"%s\" (base seed %s): dead ReLU units hid %.1f%% of"
                    + " the weights it meant to check, more than the %.0f%% allowed; the cases must keep more units"
                    + " alive to test anything. Coverage: %s", name, hex(base), 100 * coverage.hiddenShare(),
                    100 * Coverage.MAX_HIDDEN_SHARE, coverage.summary()));
        }
        return new Result(name, base, n, millis, coverage, uncovered);
    }

    /** {@link #run()}, printing the coverage line, and throwing the failure if there is one. */
    public void check() {
        Result r = run();
        System.out.printf("property %s: %d tries (base seed %s) in %d ms; %s%n", name, r.tries(), hex(r.baseSeed()),
                r.millis(), r.coverage().summary());
        if (r.failure() != null) {
            throw r.failure();
        }
    }

    private Throwable failureOf(T value, Coverage coverage) {
        try {
            check.check(value, coverage);
            return null;
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
                throw (VirtualMachineError) t;
            }
            return t;
        }
    }

    private AssertionError report(StackWalker.StackFrame caller, int index, int n, long seed, T value, Throwable failure) {
        T current = value;
        Throwable currentFailure = failure;
        int steps = 0, runs = 0;
        long deadline = System.nanoTime() + MAX_SHRINK_MILLIS * 1_000_000;
        boolean budgetSpent = false;
        search:
        while (true) {
            for (T candidate : shrinker.apply(current)) {
                if (runs >= MAX_SHRINK_RUNS || System.nanoTime() > deadline) {
                    budgetSpent = true;
                    break search;
                }
                runs++;
                Throwable f = failureOf(candidate, Coverage.ignored());
                if (f != null && f.getClass() == failure.getClass()) {
                    current = candidate;
                    currentFailure = f;
                    steps++;
                    continue search;
                }
            }
            break;
        }
        String test = caller == null ? "<test class>" : simpleName(caller.getClassName()) + "#" + caller.getMethodName();
        StringBuilder sb = new StringBuilder();
        sb.append("property \"").append(name).append("\" failed on try ").append(index + 1).append(" of ").append(n)
                .append(", seed ").append(hex(seed)).append('\n');
        sb.append("reproduce: ./build -q test-compile surefire:test -Dtest='").append(test).append("' -Dvecmlp.prop.seed=")
                .append(hex(seed)).append(vectorBits()).append('\n');
        sb.append("original: ").append(value).append(" -> ").append(firstLine(failure)).append('\n');
        sb.append("shrunk in ").append(steps).append(steps == 1 ? " step" : " steps").append(" (").append(runs)
                .append(" reruns").append(budgetSpent ? ", budget spent" : "").append(") to: ").append(current).append('\n');
        sb.append("failure: ").append(currentFailure).append('\n');
        sb.append("paste into a test:\n");
        sb.append("        var c = ").append(printer.apply(current).replace("\n", "\n        ")).append(";\n");
        sb.append("        ").append(call != null ? call : "// run the property's check on c").append('\n');
        return new AssertionError(sb.toString(), currentFailure);
    }

    /** The vector width this JVM was told to use, for the reproduce command; empty for the default. */
    private static String vectorBits() {
        String bits = System.getProperty("vecmlp.vectorBits", "").trim();
        return bits.isEmpty() ? "" : " -Dvecmlp.vectorBits=" + bits;
    }

    private static String firstLine(Throwable t) {
        String s = String.valueOf(t);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    private static StackWalker.StackFrame caller() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(Property.class.getName()))
                .findFirst().orElse(null));
    }
}
