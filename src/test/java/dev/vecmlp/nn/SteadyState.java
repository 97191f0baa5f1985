package dev.vecmlp.nn;

import java.lang.management.ManagementFactory;

/**
 * How the allocation tests wait for the JIT: run a window of calls until one allocates nothing,
 * and give up as soon as waiting longer cannot help. C2 compiles in the background at its own
 * pace, so a window can allocate (boxed vectors, a switch to new code) for seconds after the
 * test starts; but once no compilation has ended in the JVM for {@link #QUIET_MILLIS} ms, the
 * code the window runs is what it will stay, and a window that still allocates is a real
 * allocation, so the test fails then, not at a fixed deadline a minute later.
 */
public final class SteadyState {
    /**
     * No compilation finished for this long means the JIT is done with the window's code. One C2
     * compilation of these kernels took up to 130 ms when measured, several hundred on a loaded
     * machine; 2 s is far beyond both.
     */
    public static final long QUIET_MILLIS = 2_000;
    /** The most a test waits in any case (a JIT queue kept busy by a neighbour's work). */
    public static final long LIMIT_MILLIS = 60_000;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private SteadyState() {
    }

    /**
     * Runs {@code window} until it allocates nothing on this thread, or it still allocates after
     * {@link #QUIET_MILLIS} ms without a finished compilation, or {@link #LIMIT_MILLIS} have
     * passed; returns the bytes the last window allocated (0 when it settled).
     */
    public static long bytes(Runnable window) {
        long start = System.nanoTime();
        WarmUp.Quiet quiet = new WarmUp.Quiet(start);
        while (true) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            window.run();
            long bytes = THREADS.getCurrentThreadAllocatedBytes() - before;
            long now = System.nanoTime();
            if (bytes == 0 || quiet.nanos(now) >= QUIET_MILLIS * 1_000_000L || now - start >= LIMIT_MILLIS * 1_000_000L) {
                return bytes;
            }
        }
    }
}
