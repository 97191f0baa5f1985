package dev.vecmlp.nn;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Objects;

/**
 * The one home of the rule that says when the JIT has compiled the kernels a thread runs, used by
 * {@link Predictor#warmUp()} and by the trainer's first steps.
 *
 * <p><b>Why it matters.</b> Only C2 turns Vector API calls into SIMD instructions. Until it has
 * compiled a kernel, the kernel runs interpreted (about 6,000 times slower) or in C1 code (about
 * 60 times slower), and both box every vector.
 *
 * <p><b>The rule.</b> The JIT has settled for this thread's work when {@value #CLEAN_ROUNDS}
 * rounds of it in a row have allocated nothing on the thread, and no compilation has ended in
 * the JVM for {@value #CLEAN_QUIET_MILLIS} ms (see {@link #CLEAN_QUIET_MILLIS} for why both).
 * The kernels allocate nothing once C2 has compiled them and box vectors (tens of KB to MB a
 * round) before, so a round that allocates nothing ran its vector code in C2: a signal of this
 * thread's own work. The rule before it, the
 * JVM's total compilation time unchanged for 200 ms and at least 10,000 calls, waited longer:
 * {@code Predictor.warmUp()} of network A at batch 1 took 2.85-3.12 s with it and 2.41-2.76 s
 * with this one, and the 1,000 calls after it ran as fast either way (42-53 ms in all; fresh
 * JVMs in turn, 3 each, JDK 25.0.3 on Zen 5). Where the JVM does not count a
 * thread's allocations, the rule is the total compilation time unchanged for
 * {@value #QUIET_MILLIS} ms.
 *
 * <p><b>Without the JIT's counters.</b> Both counters come from {@code java.management} and
 * {@code jdk.management}, which the engine's module requires only statically: a service on the
 * module path that leaves them out still warms up, by the rounds' own times. Its rounds have
 * settled when the fastest of them has not improved by more than {@value #FASTER_PERCENT} % for
 * {@value #QUIET_MILLIS} ms and at least {@value #CLEAN_ROUNDS} rounds have run (compiled code
 * is tens of times faster than the code before it, so a compilation that still matters shows as
 * a faster round).
 *
 * <pre>{@code
 * WarmUp.Watch watch = new WarmUp.Watch();
 * do {
 *     watch.begin();
 *     step();
 * } while (!watch.settled());
 * }</pre>
 */
public final class WarmUp {
    /**
     * Rounds in a row that must allocate nothing. One clean round can be luck (the one kernel
     * still in C1 not reached in that round); three were enough in every run measured.
     */
    public static final int CLEAN_ROUNDS = 3;
    /** The fallback rule: the JVM's total compilation time unchanged for this long. */
    public static final long QUIET_MILLIS = 200;
    /**
     * With clean rounds, the JVM's total compilation time must also have stood still this long.
     * Clean rounds alone say the kernels are in C2, not that the code around them is: C2 can
     * still be compiling a caller (a compilation counts in the total only when it ends, and one
     * took up to 130 ms here), and switching to the code it installs allocated a few hundred
     * bytes once. Clean rounds alone let PredictorTest's 200 calls after a warm-up allocate 520
     * bytes when the suite ran whole (the kernels compiled by earlier tests, so three rounds were
     * clean at once); with 100 ms, LatencyTest's timed calls still met a switch (424 bytes) in
     * one suite run of three. 200 ms is longer than any single compilation of these methods.
     */
    public static final long CLEAN_QUIET_MILLIS = 200;
    /** Without the JIT's counters: a round this much faster than the fastest before it is progress. */
    public static final int FASTER_PERCENT = 10;

    /** The JIT's counters, or null where the management modules are not in the JVM. */
    private static final Counters COUNTERS = ModuleLayer.boot().findModule("java.management").isPresent()
            && ModuleLayer.boot().findModule("jdk.management").isPresent() ? Jmx.counters() : null;

    private WarmUp() {
    }

    /**
     * Runs {@code round} until the JIT has settled or until {@code limitMillis} have passed, plus
     * the round under way.
     *
     * @return true if it settled, false if the time limit came first
     */
    public static boolean untilSettled(Runnable round, long limitMillis) {
        Objects.requireNonNull(round, "round");
        long start = System.nanoTime();
        Watch watch = new Watch();
        while (true) {
            watch.begin();
            round.run();
            if (watch.settled()) {
                return true;
            }
            if (System.nanoTime() - start >= limitMillis * 1_000_000L) {
                return false;
            }
        }
    }

    /**
     * Runs {@code round} for at least {@code minMillis}, then until no compilation has ended in the
     * JVM for {@code quietMillis} (a compilation counts when it ends), at most {@code limitMillis}:
     * the rule for work that may allocate on every round, such as a benchmark's operation.
     * Without the JIT's counters it runs {@code round} for {@code minMillis} and returns false.
     *
     * @return true if the JIT went quiet, false if the time limit came first or it cannot be told
     */
    public static boolean untilCompilerQuiet(Runnable round, long minMillis, long quietMillis, long limitMillis) {
        Objects.requireNonNull(round, "round");
        long start = System.nanoTime();
        Quiet quiet = new Quiet(start);
        while (true) {
            round.run();
            long now = System.nanoTime(), quietNanos = quiet.nanos(now);
            if (now - start >= minMillis * 1_000_000L) {
                if (compilationMillis() < 0) {
                    return false;
                }
                if (quietNanos >= quietMillis * 1_000_000L) {
                    return true;
                }
            }
            if (now - start >= limitMillis * 1_000_000L) {
                return false;
            }
        }
    }

    /**
     * Watches the rounds of one thread: call {@link #begin} before each round and
     * {@link #settled} after it, on the thread that runs the rounds. Allocates nothing.
     */
    public static final class Watch {
        private final long quietNanos;
        private final boolean counted;
        private int clean;
        private long before;
        private long began;
        private final Quiet quiet = new Quiet(System.nanoTime());
        private long fastest = Long.MAX_VALUE;
        /** Without the counters: when a round last beat the fastest by {@value #FASTER_PERCENT} %. */
        private long fasterSince = System.nanoTime();

        /** A watch by the whole rule: clean rounds and {@value #CLEAN_QUIET_MILLIS} ms of quiet. */
        public Watch() {
            this(CLEAN_QUIET_MILLIS);
        }

        /**
         * A watch that asks, beside the clean rounds, for {@code quietMillis} without a finished
         * compilation (0: clean rounds alone). Clean rounds alone say the kernels run in C2; the
         * quiet says the code around them is done too, which matters to a caller that must not
         * allocate afterwards, not to one that only chooses how many threads to use.
         */
        public Watch(long quietMillis) {
            this(quietMillis, COUNTERS != null);
        }

        /** With {@code counted} false, the rule without the JIT's counters (for its tests). */
        Watch(long quietMillis, boolean counted) {
            if (quietMillis < 0) {
                throw new IllegalArgumentException("quietMillis: expected 0 or more, found " + quietMillis);
            }
            this.quietNanos = quietMillis * 1_000_000L;
            this.counted = counted;
        }

        /** Marks the start of a round. */
        public void begin() {
            before = counted ? allocatedBytes() : -1;
            began = System.nanoTime();
        }

        /** Whether the JIT has settled, counting the round just ended. */
        public boolean settled() {
            long now = System.nanoTime();
            if (!counted) {
                return settledByTime(now);
            }
            long after = allocatedBytes(), quietFor = quiet.nanos(now);
            if (before >= 0 && after >= 0) {
                clean = after == before ? clean + 1 : 0;
                return clean >= CLEAN_ROUNDS && quietFor >= quietNanos;
            }
            return quietFor >= QUIET_MILLIS * 1_000_000L;
        }

        /** Without the counters, a round much faster than the fastest is what a compilation ending looks like. */
        private boolean settledByTime(long now) {
            long round = now - began;
            if (round < fastest - fastest / 100 * FASTER_PERCENT) {
                fasterSince = now;
            }
            fastest = Math.min(fastest, round);
            clean++;
            return clean >= CLEAN_ROUNDS && now - fasterSince >= QUIET_MILLIS * 1_000_000L;
        }
    }

    /** Bytes this thread has allocated on the heap, or -1 where the JVM does not count them. */
    private static long allocatedBytes() {
        return COUNTERS != null ? COUNTERS.allocatedBytes() : -1;
    }

    /** The JVM's total compilation time in ms, or -1 where it is not counted. */
    private static long compilationMillis() {
        return COUNTERS != null ? COUNTERS.compilationMillis() : -1;
    }

    /**
     * How long no compilation has ended in the JVM: the clock of the rules here that read the
     * JIT's counters (and of the allocation tests' {@code SteadyState}). Allocates nothing.
     */
    static final class Quiet {
        private long compiled = compilationMillis();
        private long since;

        Quiet(long now) {
            since = now;
        }

        /** Nanoseconds since the last compilation ended (or since it was made), as of {@code now}. */
        long nanos(long now) {
            long c = compilationMillis();
            if (c != compiled) {
                compiled = c;
                since = now;
            }
            return now - since;
        }
    }

    /** The two counters the rule reads. */
    private interface Counters {
        long allocatedBytes();

        long compilationMillis();
    }

    /**
     * The counters from the management modules. A class of its own, so that it loads (and the
     * management classes with it) only when {@link #COUNTERS} has found the modules.
     */
    private static final class Jmx implements Counters {
        private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        private final java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();

        static Counters counters() {
            return new Jmx();
        }

        @Override
        public long allocatedBytes() {
            return threads instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemoryEnabled()
                    ? t.getCurrentThreadAllocatedBytes() : -1;
        }

        @Override
        public long compilationMillis() {
            return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
        }
    }
}
