package dev.vecmlp.nn;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run one job at a time with the calling thread: {@link #run} hands
 * out parts {@code 0 .. parts-1}, thread {@code t} (the caller is thread 0) taking parts
 * {@code t, t + threads, ...}, and returns when all are done.
 *
 * <p>A training step is three such jobs of about a millisecond or less, so the hand-off must
 * cost microseconds and allocate nothing: no executor, no futures. Workers spin briefly for the
 * next job (the gap between the jobs of a step is short) and then park; the caller does the
 * same while it waits for the last worker.
 *
 * <p>One pool serves a {@code Trainer}, its evaluator, and any {@link Predictor} made with it
 * ({@link Model#predictor(int, WorkerPool)}), one job at a time: {@link #run} refuses a second
 * caller while a job is under way, and {@link #tryRun} lets a predictor fall back to its own
 * thread instead. The pool belongs to whoever made it, who closes it after everything using it.
 *
 * <pre>{@code
 * try (WorkerPool pool = new WorkerPool(2, "vecmlp-predict");
 *      Predictor p = model.predictor(256, pool)) {
 *     p.predict(pixels, scores);   // 256 rows: 128 on this thread, 128 on the worker
 * }
 * }</pre>
 */
public final class WorkerPool implements AutoCloseable {
    /**
     * Cuts {@code [0, total)} into {@code from.length} consecutive ranges, one per thread, at
     * multiples of 16 floats (64 bytes) so that threads never share a cache line; trailing
     * ranges may be empty.
     */
    public static void cut(long total, long[] from, long[] to) {
        int parts = from.length;
        if (to.length != parts || parts < 1) {
            throw new IllegalArgumentException("ranges: expected two arrays of the same length, at least 1, found "
                    + parts + " and " + to.length);
        }
        long chunk = ((total + parts - 1) / parts + 15) / 16 * 16;
        for (int t = 0; t < parts; t++) {
            from[t] = Math.min(total, t * chunk);
            to[t] = Math.min(total, (t + 1) * chunk);
        }
    }

    /** The cores the JVM may use: the default thread count. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** One job: runs part {@code part} of {@code parts}. */
    @FunctionalInterface
    public interface Job {
        void run(int part, int parts);
    }

    /**
     * Spins before parking, in {@link Thread#onSpinWait} rounds: 20-50 µs on the machine this
     * was set on, about 250 µs on a Zen 5 (2026-12-06); longer than the gap between a step's jobs
     * and shorter than a step.
     */
    private static final int SPINS = 20_000;

    private final String name;
    private final Thread[] workers;
    /** Set while a job runs, so that a second thread cannot post one over it. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Thread caller;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Job job;
    private volatile int parts;
    private volatile Throwable failure;

    /**
     * Starts {@code threads - 1} daemon threads named {@code name-1, name-2, ...}; the thread
     * that calls {@link #run} is the first of the {@code threads}.
     */
    public WorkerPool(int threads, String name) {
        this.name = Objects.requireNonNull(name, "name");
        if (threads < 1) {
            throw new IllegalArgumentException("worker pool " + name + ": expected at least 1 thread, found " + threads);
        }
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            Thread t = new Thread(() -> work(index), name + "-" + index);
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** Threads taking part, the caller included. */
    public int threads() {
        return workers.length + 1;
    }

    /**
     * Runs {@code parts} parts of {@code job} on all threads, or with {@code callerOnly} all of
     * them on the calling thread, in part order; rethrows the first failure.
     *
     * @throws IllegalStateException if the pool is closed, or another thread's job is under way
     */
    public void run(Job job, int parts, boolean callerOnly) {
        if (!tryRun(job, parts, callerOnly)) {
            throw new IllegalStateException("worker pool " + name + ": in use by another thread; a pool runs one job"
                    + " at a time");
        }
    }

    /** Runs {@code parts} parts of {@code job} on all threads; rethrows the first failure. */
    public void run(Job job, int parts) {
        run(job, parts, false);
    }

    /**
     * Runs the job as {@link #run(Job, int, boolean)} does, unless another thread's job is under
     * way: then it runs nothing and returns false at once.
     *
     * @throws IllegalStateException if the pool is closed
     */
    public boolean tryRun(Job job, int parts, boolean callerOnly) {
        Objects.requireNonNull(job, "job");
        if (closed) {
            throw new IllegalStateException("worker pool " + name + ": its threads have been shut down (it was closed)");
        }
        if (!busy.compareAndSet(false, true)) {
            return false;
        }
        try {
            if (workers.length == 0 || callerOnly) {
                for (int p = 0; p < parts; p++) {
                    job.run(p, parts);
                }
            } else {
                post(job, parts);
            }
            return true;
        } finally {
            busy.setRelease(false);
        }
    }

    private void post(Job job, int parts) {
        this.caller = Thread.currentThread();
        this.job = job;
        this.parts = parts;
        this.failure = null;
        pending.set(workers.length);
        generation++;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        try {
            runParts(job, 0, parts);
        } finally {
            awaitWorkers();
        }
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("worker pool " + name + ": a worker thread failed", f);
        }
    }

    private void runParts(Job job, int thread, int parts) {
        for (int p = thread; p < parts; p += threads()) {
            job.run(p, parts);
        }
    }

    private void awaitWorkers() {
        int spins = 0;
        while (pending.get() != 0) {
            if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    private void work(int index) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (spins < SPINS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                if (generation != seen && pending.decrementAndGet() == 0) {
                    // A job posted as the pool closed: count this worker out so its caller does not wait forever.
                    LockSupport.unpark(caller);
                }
                return;
            }
            seen = generation;
            try {
                runParts(job, index, parts);
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
            } finally {
                if (pending.decrementAndGet() == 0) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    /** Stops the workers and waits for them. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
