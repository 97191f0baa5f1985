package dev.vecmlp.nn;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import dev.vecmlp.memory.Slab;

/**
 * A batch's forward and backward pass cut into a fixed number of shards that run on a
 * {@link WorkerPool}: each shard in a workspace and a gradient slab of its own
 * ({@link Model#forwardBackwardShard}), then the shard gradients added into
 * {@link Model#gradients()} in shard order, the flat slab cut into one range per thread. The
 * shard count, not the thread count, fixes the arithmetic: a 1-thread pool and a 2-thread pool
 * give the same bits. This is the data-parallel step a {@code Trainer} takes, without the data
 * set and the optimizer.
 *
 * <p>Shard {@code s} of a batch of {@code b} rows holds rows {@code [b·s/S, b·(s+1)/S)}.
 * Everything is allocated when the pass is made; a pass allocates nothing.
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
    private final Slab[] grads;
    private final double[] shardLoss;
    private final long[] rangeFrom;
    private final long[] rangeTo;
    private final WorkerPool.Job forwardJob = this::forwardShard;
    private final WorkerPool.Job backwardJob = this::forwardBackwardShard;
    private final WorkerPool.Job reduceJob = this::reduceRange;
    // The pass under way, read by the jobs on every thread (published by WorkerPool.run).
    private int batch;
    private int activeShards;

    /**
     * A pass over batches of up to {@code maxBatch} rows, cut into {@code shards} shards (fewer
     * for a batch of fewer rows), on {@code pool}, which stays its maker's to close.
     */
    public ShardedPass(Model model, WorkerPool pool, int shards, int maxBatch) {
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
        this.ws = new Workspace[this.shards];
        this.grads = new Slab[this.shards];
        this.shardLoss = new double[this.shards];
        int threads = pool.threads();
        this.rangeFrom = new long[threads];
        this.rangeTo = new long[threads];
        try {
            int shardRows = (maxBatch + this.shards - 1) / this.shards;
            for (int s = 0; s < this.shards; s++) {
                ws[s] = model.workspace(shardRows);
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

    /** The workspace of shard {@code s}, holding rows {@code [b·s/S, b·(s+1)/S)} of a batch of {@code b}. */
    public Workspace shard(int s) {
        return ws[Objects.checkIndex(s, shards)];
    }

    /** Copies {@code batch} rows of inputs, row-major without padding, into the shards. */
    public void setInputs(float[] x, int batch) {
        Objects.requireNonNull(x, "inputs");
        checkBatch(batch);
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
        Objects.requireNonNull(labels, "labels");
        checkBatch(batch);
        if (labels.length != batch) {
            throw new IllegalArgumentException("labels: expected " + batch + " labels for a batch of " + batch
                    + ", found " + labels.length);
        }
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
        begin(batch);
        pool.run(backwardJob, activeShards);
        if (activeShards > 1) {
            pool.run(reduceJob, rangeFrom.length);
        }
        return meanLoss();
    }

    private void begin(int batch) {
        checkBatch(batch);
        model.ensureOpen();
        this.batch = batch;
        this.activeShards = shardsFor(batch);
    }

    private double meanLoss() {
        double sum = 0;
        for (int s = 0; s < activeShards; s++) {
            sum += shardLoss[s];
        }
        double loss = sum / batch;
        float l2 = model.spec().l2();
        if (l2 != 0f) {
            loss += 0.5 * l2 * model.sumOfSquaredWeights();
        }
        return loss;
    }

    private void forwardShard(int s, int n) {
        int lo = start(batch, n, s);
        shardLoss[s] = model.plan().forwardShard(model, ws[s], start(batch, n, s + 1) - lo, batch);
    }

    private void forwardBackwardShard(int s, int n) {
        int lo = start(batch, n, s);
        shardLoss[s] = model.forwardBackwardShard(ws[s], start(batch, n, s + 1) - lo, batch, s == 0, grads[s]);
    }

    private void reduceRange(int t, int parts) {
        long from = rangeFrom[t], n = rangeTo[t] - from;
        MemorySegment g0 = grads[0].segment();
        for (int s = 1; s < activeShards; s++) {
            model.kernels().addFinite(n, grads[s].segment(), from, g0, from);
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
        for (Workspace w : ws) {
            if (w != null) {
                w.close();
            }
        }
        for (int s = 1; s < grads.length; s++) {
            if (grads[s] != null) {
                grads[s].close();
            }
        }
    }
}
