package dev.vecmlp.perf;

import dev.vecmlp.nn.WarmUp;

/**
 * Runs a benchmark's operation until the JIT has gone quiet, before JMH's own warm-up: the
 * Vector API kernels run boxed (tens to a thousand times slower) until C2 has compiled them,
 * and on a loaded machine that takes far longer than a fixed warm-up allows. The quick grid's
 * first run, with 5 x 200 ms of JMH warm-up only and a load average of 10 on 2 cores, timed
 * network A at batch 1 at 117,000 µs instead of about 40.
 *
 * <p>The rule is the engine's {@link WarmUp#untilCompilerQuiet} (a benchmark's operation may
 * allocate, so not the clean-rounds rule of {@code Predictor.warmUp}), with longer times: calls
 * for at least {@link #MIN_MILLIS} ms, then until the JVM's total compilation time has not grown
 * for {@link #QUIET_MILLIS} ms (on a loaded machine one C2 compilation can take several hundred
 * ms), at most {@link #LIMIT_MILLIS} ms.
 *
 * <p>In a {@link SharedFork} (one JVM for a network's cells) only the JVM's first benchmark gets
 * those times; later ones, whose kernels are compiled already and need at most a few new
 * compilations for a new batch size, stop after {@link #SHARED_MIN_MILLIS} ms once nothing has
 * compiled for {@link #SHARED_QUIET_MILLIS} ms.
 */
final class JitWarmUp {
    static final long MIN_MILLIS = 500;
    static final long QUIET_MILLIS = 500;
    static final long LIMIT_MILLIS = 30_000;
    static final long SHARED_MIN_MILLIS = 50;
    static final long SHARED_QUIET_MILLIS = 100;

    /** Whether a benchmark of this JVM has warmed up before (only a shared fork runs several). */
    private static boolean warmedBefore;

    private JitWarmUp() {
    }

    /** Runs {@code op} until the JIT is quiet; returns false if the time limit came first. */
    static synchronized boolean until(Runnable op) {
        boolean later = warmedBefore && SharedFork.inSharedFork();
        warmedBefore = true;
        return later ? WarmUp.untilCompilerQuiet(op, SHARED_MIN_MILLIS, SHARED_QUIET_MILLIS, LIMIT_MILLIS)
                : WarmUp.untilCompilerQuiet(op, MIN_MILLIS, QUIET_MILLIS, LIMIT_MILLIS);
    }
}
