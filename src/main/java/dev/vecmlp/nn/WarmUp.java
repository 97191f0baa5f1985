package dev.vecmlp.nn;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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

    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

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
     * Watches the rounds of one thread: call {@link #begin} before each round and
     * {@link #settled} after it, on the thread that runs the rounds. Allocates nothing.
     */
    public static final class Watch {
        private final long quietNanos;
        private int clean;
        private long before;
        private long compiled = compilationMillis();
        private long quietSince = System.nanoTime();

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
            if (quietMillis < 0) {
                throw new IllegalArgumentException("quietMillis: expected 0 or more, found " + quietMillis);
            }
            this.quietNanos = quietMillis * 1_000_000L;
        }

        /** Marks the start of a round. */
        public void begin() {
            before = allocatedBytes();
        }

        /** Whether the JIT has settled, counting the round just ended. */
        public boolean settled() {
            long after = allocatedBytes();
            long now = System.nanoTime(), c = compilationMillis();
            if (c != compiled) {
                compiled = c;
                quietSince = now;
            }
            if (before >= 0 && after >= 0) {
                clean = after == before ? clean + 1 : 0;
                return clean >= CLEAN_ROUNDS && now - quietSince >= quietNanos;
            }
            return now - quietSince >= QUIET_MILLIS * 1_000_000L;
        }
    }

    /** Bytes this thread has allocated on the heap, or -1 where the JVM does not count them. */
    private static long allocatedBytes() {
        return THREADS instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemoryEnabled()
                ? t.getCurrentThreadAllocatedBytes() : -1;
    }

    private static long compilationMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
    }
}
