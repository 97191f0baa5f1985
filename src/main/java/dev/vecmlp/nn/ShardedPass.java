package dev.vecmlp.nn;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

import dev.vecmlp.memory.Slab;

/**
 * A batch's forward and backward pass cut into a fixed number of shards that run on a
 * {@link WorkerPool}: each shard in a workspace and a gradient slab of its own
 * ({@link Model#forwardBackwardShard}), then the shard gradients added into
 * {@link Model#gradients()} in shard order, the flat slab cut into one range per thread. The
 * shard count, not the thread count, fixes the arithmetic: a 1-thread pool and a 2-thread pool
 * give the same bits. This is the data-parallel step the {@code Trainer} takes (with a
 * {@link Feed} that copies its data set's rows into the shards, then its optimizer's update), and
 * the one the benchmarks time: one step, in one place.
 *
 * <p>The reduction also checks the summed gradient: {@link #gradientsFinite()} tells whether
 * every value of it was finite, for a trainer to stop before an update that would spoil the
 * weights.
 *
 * <p>Shard {@code s} of a batch of {@code b} rows holds rows {@code [b·s/S, b·(s+1)/S)}.
 * Everything is allocated when the pass is made; a pass allocates nothing.
 *
 * <p><b>Large shards run in chunks.</b> A shard of more rows than
 * {@link ChunkedGradient#rowsFor} gives for the network (656 rows of 784 inputs) is computed in
 * chunks of that size through one workspace ({@link ChunkedGradient}), which keeps the
 * activations in the caches between the forward and the backward pass (network A at 8,192 rows
 * a shard, both cores busy: 324-357 ms a pass in one workspace, 165-195 ms in chunks of 512).
 * Such a pass takes its rows from a {@link Feed} only, a chunk at a time; its workspaces hold a
 * chunk ({@link #heldFrom}, {@link #heldRows}).
 *
 * <pre>{@code
 * try (WorkerPool pool = new WorkerPool(2, "train");
 *      ShardedPass pass = new ShardedPass(model, pool, 2, 256)) {
 *     pass.setInputs(x, 256);
 *     pass.setLabels(labels, 256);
 *     double loss = pass.forwardBackward(256);   // the gradient of the batch in model.gradients()
 * }
 * }</pre>
 */
public final class ShardedPass implements AutoCloseable {
    private final Model model;
    private final WorkerPool pool;
    private final int shards;
    private final int maxBatch;
    private final Workspace[] ws;
    /** Each shard's chunks when a shard may hold more rows than a chunk; else null. */
    private final ChunkedGradient[] chunks;
    /** Each shard's chunks' rows from the pass's feed, made once: a pass allocates nothing. */
    private final ChunkedGradient.Fill[] chunkFills;
    private final Slab[] grads;
    private final double[] shardLoss;
    private final long[] rangeFrom;
    private final long[] rangeTo;
    private final WorkerPool.Job forwardJob = this::forwardShard;
    private final WorkerPool.Job backwardJob = this::forwardBackwardShard;
    private final WorkerPool.Job reduceJob = this::reduceRange;
    private final int[] shardRows;
    private final int[] heldFrom;
    private final int[] heldRows;
    private final boolean[] rangeFinite;
    // The pass under way, read by the jobs on every thread (published by WorkerPool.run).
    private int batch;
    private int activeShards;
    private Feed feed;

    /**
     * Fills a shard's workspace with its rows of the batch, on the thread that runs the shard,
     * so that the copies run in parallel too; and hears when the shard's pass is done.
     */
    public interface Feed {
        /** Puts rows {@code [from, from + rows)} of the batch into {@code ws}'s inputs and targets. */
        void fill(int shard, int from, int rows, Workspace ws);

        /** Called on the shard's thread after its forward and backward pass, its outputs in {@code ws}. */
        default void done(int shard, int from, int rows, Workspace ws) {
        }
    }

    /** The feed of {@link #setInputs} and {@link #setLabels}: the rows are already in the shards. */
    private static final Feed PRESET = (shard, from, rows, ws) -> { };

    /**
     * A pass over batches of up to {@code maxBatch} rows, cut into {@code shards} shards (fewer
     * for a batch of fewer rows), on {@code pool}, which stays its maker's to close.
     */
    public ShardedPass(Model model, WorkerPool pool, int shards, int maxBatch) {
        this(model, pool, shards, maxBatch, 0);
    }

    /**
     * A pass whose shards run in chunks of at most {@code chunkRows} rows (0: the chunk size
     * {@link ChunkedGradient#rowsFor} gives); a shard of that many rows or fewer runs whole.
     */
    ShardedPass(Model model, WorkerPool pool, int shards, int maxBatch, int chunkRows) {
        this.model = Objects.requireNonNull(model, "model");
        this.pool = Objects.requireNonNull(pool, "pool");
        if (shards < 1) {
            throw new IllegalArgumentException("shards: expected at least 1, found " + shards);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch: expected at least 1, found " + maxBatch);
        }
        this.shards = Math.min(shards, maxBatch);
        this.maxBatch = maxBatch;
        int most = (maxBatch + this.shards - 1) / this.shards;
        int chunk = chunkRows > 0 ? Math.min(chunkRows, most) : ChunkedGradient.rowsFor(model.spec(), most);
        this.ws = new Workspace[this.shards];
        this.chunks = chunk < most ? new ChunkedGradient[this.shards] : null;
        this.grads = new Slab[this.shards];
        this.shardLoss = new double[this.shards];
        this.shardRows = new int[this.shards];
        this.heldFrom = new int[this.shards];
        this.heldRows = new int[this.shards];
        this.chunkFills = new ChunkedGradient.Fill[this.shards];
        for (int s = 0; s < this.shards; s++) {
            int shard = s;
            chunkFills[s] = new ChunkedGradient.Fill() {
                @Override
                public void fill(int from, int rows, Workspace w) {
                    feed.fill(shard, start(batch, activeShards, shard) + from, rows, w);
                }

                @Override
                public void done(int from, int rows, Workspace w) {
                    feed.done(shard, start(batch, activeShards, shard) + from, rows, w);
                }
            };
        }
        int threads = pool.threads();
        this.rangeFrom = new long[threads];
        this.rangeTo = new long[threads];
        this.rangeFinite = new boolean[threads];
        try {
            for (int s = 0; s < this.shards; s++) {
                if (chunks != null) {
                    chunks[s] = new ChunkedGradient(model, chunk);
                    ws[s] = chunks[s].workspace();
                } else {
                    ws[s] = model.workspace(most);
                }
                grads[s] = s == 0 ? model.gradients() : model.newParameterSlab("gradient shard " + s);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
        // One range of the flat reduction per thread.
        WorkerPool.cut(model.layout().totalFloats(), rangeFrom, rangeTo);
    }

    /** Shards a full batch is cut into. */
    public int shards() {
        return shards;
    }

    /** The largest batch. */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * The workspace of shard {@code s}, holding rows {@code [b·s/S, b·(s+1)/S)} of a batch of
     * {@code b}; in a chunked pass, the rows {@link #heldFrom} and {@link #heldRows} say.
     */
    public Workspace shard(int s) {
        return ws[Objects.checkIndex(s, shards)];
    }

    /** The first row of shard {@code s} (counted within the shard) that its workspace holds after the last pass. */
    public int heldFrom(int s) {
        return heldFrom[Objects.checkIndex(s, shards)];
    }

    /** The rows shard {@code s}'s workspace holds after the last pass: its last chunk's, or all of the shard's. */
    public int heldRows(int s) {
        return heldRows[Objects.checkIndex(s, shards)];
    }

    /** Copies {@code batch} rows of inputs, row-major without padding, into the shards. */
    public void setInputs(float[] x, int batch) {
        Objects.requireNonNull(x, "inputs");
        checkPreset("setInputs", batch);
        int in = model.spec().inputs();
        if (x.length != (long) batch * in) {
            throw new IllegalArgumentException("inputs: expected " + ((long) batch * in) + " floats (" + batch
                    + " rows x " + in + "), found " + x.length);
        }
        int n = shardsFor(batch);
        for (int s = 0; s < n; s++) {
            int lo = start(batch, n, s);
            ws[s].inputs().copyRowsFrom(x, lo * in, start(batch, n, s + 1) - lo);
        }
    }

    /** Sets one-hot targets from {@code batch} class labels in {@code [0, outputs)}, into the shards. */
    public void setLabels(int[] labels, int batch) {
        checkPreset("setLabels", batch);
        Workspace.checkLabels(labels, batch);
        int n = shardsFor(batch);
        for (int s = 0; s < n; s++) {
            int lo = start(batch, n, s);
            ws[s].setLabelRows(labels, lo, start(batch, n, s + 1) - lo);
        }
    }

    /**
     * The forward pass and the loss of the first {@code batch} rows (averaged over the batch,
     * plus the L2 term), the shards in parallel; the gradients are not touched.
     */
    public double forward(int batch) {
        checkPreset("forward", batch);
        begin(batch);
        pool.run(forwardJob, activeShards);
        return meanLoss();
    }

    /**
     * Forward and backward over the first {@code batch} rows, the shards in parallel, then the
     * shard gradients added into {@link Model#gradients()} in shard order.
     *
     * @return the loss, averaged over the batch, plus the L2 term
     */
    public double forwardBackward(int batch) {
        checkPreset("forwardBackward", batch);
        return lossWithPenalty(forwardBackward(batch, PRESET, false));
    }

    /**
     * Forward and backward over a batch of {@code batch} rows that {@code feed} puts into the
     * shards, then the shard gradients added into {@link Model#gradients()} in shard order and
     * checked ({@link #gradientsFinite()}). With {@code callerOnly} every shard runs on the
     * calling thread (the same bits: the shards, not the threads, fix the arithmetic).
     *
     * @return the sum of the batch's row losses, without the L2 term
     */
    public double forwardBackward(int batch, Feed feed, boolean callerOnly) {
        Objects.requireNonNull(feed, "feed");
        begin(batch);
        this.feed = feed;
        try {
            pool.run(backwardJob, activeShards, callerOnly);
            // One shard has nothing to add, only its gradient to check, which the calling thread wrote: checked
            // there. Split across the pool, the other core read its half from this core's cache, about 100 µs a MB
            // of parameters (network A on 2 threads at batch 1: backward 305 µs against 54 on one thread).
            pool.run(reduceJob, rangeFrom.length, callerOnly || activeShards == 1);
        } finally {
            this.feed = null;
        }
        return lossSum();
    }

    /** Whether every value of the gradient summed by the last {@link #forwardBackward} was finite. */
    public boolean gradientsFinite() {
        for (boolean finite : rangeFinite) {
            if (!finite) {
                return false;
            }
        }
        return true;
    }

    /** Shards that took part in the last pass: the shard count, or the batch's rows if fewer. */
    public int activeShards() {
        return activeShards;
    }

    /** Rows of shard {@code s} in the last pass. */
    public int shardRows(int s) {
        return shardRows[Objects.checkIndex(s, shards)];
    }

    private void begin(int batch) {
        checkBatch(batch);
        model.ensureOpen();
        this.batch = batch;
        this.activeShards = shardsFor(batch);
        Arrays.fill(shardRows, 0);
        Arrays.fill(heldFrom, 0);
        Arrays.fill(heldRows, 0);
        for (int s = 0; s < activeShards; s++) {
            shardRows[s] = start(batch, activeShards, s + 1) - start(batch, activeShards, s);
            heldRows[s] = shardRows[s];
        }
    }

    private double lossSum() {
        double sum = 0;
        for (int s = 0; s < activeShards; s++) {
            sum += shardLoss[s];
        }
        return sum;
    }

    private double meanLoss() {
        return lossWithPenalty(lossSum());
    }

    private double lossWithPenalty(double sum) {
        double loss = sum / batch;
        float l2 = model.spec().l2();
        if (l2 != 0f) {
            loss += 0.5 * l2 * model.sumOfSquaredWeights();
        }
        return loss;
    }

    private void forwardShard(int s, int n) {
        int lo = start(batch, n, s);
        shardLoss[s] = model.plan().forwardShard(ws[s], start(batch, n, s + 1) - lo, batch);
    }

    private void forwardBackwardShard(int s, int n) {
        int lo = start(batch, n, s), rows = shardRows[s];
        if (rows > ws[s].maxBatch()) {
            shardLoss[s] = chunks[s].forwardBackward(rows, batch, s == 0, grads[s], chunkFills[s]);
            heldFrom[s] = chunks[s].heldFrom();
            heldRows[s] = chunks[s].heldRows();
            return;
        }
        feed.fill(s, lo, rows, ws[s]);
        shardLoss[s] = model.forwardBackwardShard(ws[s], rows, batch, s == 0, grads[s]);
        feed.done(s, lo, rows, ws[s]);
    }

    private void reduceRange(int t, int parts) {
        long from = rangeFrom[t], n = rangeTo[t] - from;
        MemorySegment g0 = grads[0].segment();
        boolean finite = true;
        if (activeShards == 1) {
            finite = model.kernels().allFinite(n, g0, from);
        }
        for (int s = 1; s < activeShards; s++) {
            finite &= model.kernels().addFinite(n, grads[s].segment(), from, g0, from);
        }
        rangeFinite[t] = finite;
    }

    /** A batch whose rows are set in the shards' workspaces at once must fit them: not so in a chunked pass's larger shards. */
    private void checkPreset(String what, int batch) {
        checkBatch(batch);
        int most = (batch + shardsFor(batch) - 1) / shardsFor(batch);
        if (most > ws[0].maxBatch()) {
            throw new IllegalArgumentException(what + ": a batch of " + batch + " rows has shards of up to " + most
                    + " rows, more than a shard's workspace holds in this pass (" + ws[0].maxBatch() + " rows: it runs"
                    + " large shards in chunks); expected at most " + (long) ws[0].maxBatch() * shardsFor(batch)
                    + " rows, or the rows through a Feed");
        }
    }

    private int shardsFor(int batch) {
        return Math.min(shards, batch);
    }

    private static int start(int batch, int shards, int s) {
        return (int) ((long) batch * s / shards);
    }

    private void checkBatch(int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch: expected 1 to " + maxBatch + " rows, found " + batch);
        }
    }

    /** Frees the shards' workspaces and gradient slabs (not the model's own); the pool and the model stay open. */
    @Override
    public void close() {
        if (chunks != null) {
            for (ChunkedGradient c : chunks) {
                if (c != null) {
                    c.close();
                }
            }
        } else {
            for (Workspace w : ws) {
                if (w != null) {
                    w.close();
                }
            }
        }
        for (int s = 1; s < grads.length; s++) {
            if (grads[s] != null) {
                grads[s].close();
            }
        }
    }
}
