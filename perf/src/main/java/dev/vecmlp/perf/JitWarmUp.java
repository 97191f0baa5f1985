package dev.vecmlp.perf;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Runs a benchmark's operation until the JIT has gone quiet, before JMH's own warm-up: the
 * Vector API kernels run boxed (tens to a thousand times slower) until C2 has compiled them,
 * and on a loaded machine that takes far longer than a fixed warm-up allows. The quick grid's
 * first run, with 5 x 200 ms of JMH warm-up only and a load average of 10 on 2 cores, timed
 * network A at batch 1 at 117,000 µs instead of about 40.
 *
 * <p>The rule, as {@code Predictor.warmUp} has it: calls for at least {@link #MIN_MILLIS} ms,
 * then until the JVM's total compilation time has not grown for {@link #QUIET_MILLIS} ms (a C2
 * compilation counts when it ends, and on a loaded machine one can take several hundred ms), at
 * most {@link #LIMIT_MILLIS} ms.
 */
final class JitWarmUp {
    static final long MIN_MILLIS = 500;
    static final long QUIET_MILLIS = 500;
    static final long LIMIT_MILLIS = 30_000;
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private JitWarmUp() {
    }

    /** Runs {@code op} until the JIT is quiet; returns false if the time limit came first. */
    static boolean until(Runnable op) {
        if (JIT == null || !JIT.isCompilationTimeMonitoringSupported()) {
            return false;
        }
        long start = System.nanoTime(), quietSince = start;
        long compiled = JIT.getTotalCompilationTime();
        while (true) {
            op.run();
            long now = System.nanoTime();
            long c = JIT.getTotalCompilationTime();
            if (c != compiled) {
                compiled = c;
                quietSince = now;
            }
            if (now - start >= MIN_MILLIS * 1_000_000 && now - quietSince >= QUIET_MILLIS * 1_000_000) {
                return true;
            }
            if (now - start >= LIMIT_MILLIS * 1_000_000) {
                return false;
            }
        }
    }
}
