package dev.vecmlp.nn;

import java.util.Objects;

import dev.vecmlp.memory.Slab;

/**
 * The gradient of a shard of any number of rows, computed in chunks: a workspace of a few
 * hundred rows is filled, passed forward and backward ({@link Model#forwardBackwardShard}), and
 * its gradient added into the shard's, chunk after chunk, in row order. Full-batch gradient
 * descent on a data-parallel cluster hands each worker tens of thousands of rows at once; in one
 * workspace of that many rows every layer's activations fall out of the caches between the
 * forward and the backward pass. Measured on 784-128-10 over 15,000 rows (AMD Zen 5, one thread
 * per core, both cores busy, medians of 8): 92-112 ms in one workspace, 40-43 ms in chunks of 500
 * or 1,000 rows, 42-44 ms in chunks of 250, 49-52 ms of 120 and 57-59 ms of 60.
 *
 * <p>The bits depend on the chunk size (each chunk's gradient is rounded before it is added),
 * never on the thread that runs it; a shard of at most {@link #chunkRows()} rows is one chunk
 * and gets {@code forwardBackwardShard}'s bits exactly. Everything is allocated when it is
 * made; a pass allocates nothing. One thread at a time.
 *
 * <pre>{@code
 * try (ChunkedGradient chunks = new ChunkedGradient(model, ChunkedGradient.rowsFor(model.spec(), 15_000))) {
 *     double lossSum = chunks.forwardBackward(15_000, 60_000, true, gradient,
 *             (from, rows, ws) -> data.copyBatch(order, from, rows, ws.inputs(), ws.targets()));
 * }
 * }</pre>
 */
public final class ChunkedGradient implements AutoCloseable {
    /**
     * The bytes of the widest layer's activations a chunk aims at: in the measurement above, chunks
     * of 500-1,000 rows of 784 inputs (1.6-3.1 MB) were the fastest, 250 rows within 5 % of them.
     */
    static final long CHUNK_BYTES = 2L << 20;
    /** The bounds of {@link #rowsFor}: chunks of 250 to 1,000 rows were within 10 % of each other in the measurement above. */
    static final int MIN_ROWS = 64;
    static final int MAX_ROWS = 1024;

    /** Puts each chunk's rows into the workspace, and hears when the chunk's pass is done. */
    @FunctionalInterface
    public interface Fill {
        /** Puts rows {@code [from, from + rows)} of the shard into {@code ws}'s inputs and targets. */
        void fill(int from, int rows, Workspace ws);

        /** Called after the chunk's forward and backward pass, its outputs in {@code ws}. */
        default void done(int from, int rows, Workspace ws) {
        }
    }

    private final Model model;
    private final Workspace ws;
    private final Slab scratch;
    private boolean finite = true;
    private int heldFrom;
    private int heldRows;

    /** Chunks of at most {@code chunkRows} rows for {@code model}, which stays open and its maker's to close. */
    public ChunkedGradient(Model model, int chunkRows) {
        this.model = Objects.requireNonNull(model, "model");
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunkRows: expected at least 1, found " + chunkRows);
        }
        this.ws = model.workspace(chunkRows);
        Slab s = null;
        try {
            s = model.newParameterSlab("chunk gradient");
        } finally {
            if (s == null) {
                ws.close();
            }
        }
        this.scratch = s;
    }

    /**
     * The chunk size for shards of up to {@code maxRows} rows of {@code spec}: the rows whose
     * widest layer (inputs included) holds about {@value #CHUNK_BYTES} bytes, a multiple of 16
     * between {@value #MIN_ROWS} and {@value #MAX_ROWS}, and no more than {@code maxRows}.
     */
    public static int rowsFor(Mlp spec, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows: expected at least 1, found " + maxRows);
        }
        int widest = spec.inputs();
        for (int l = 0; l < spec.depth(); l++) {
            widest = Math.max(widest, spec.layer(l).outputs());
        }
        long rows = CHUNK_BYTES / ((long) widest * Float.BYTES) / 16 * 16;
        return (int) Math.min(maxRows, Math.max(MIN_ROWS, Math.min(MAX_ROWS, rows)));
    }

    /** The most rows a chunk holds. */
    public int chunkRows() {
        return ws.maxBatch();
    }

    /**
     * Forward and backward over a shard of {@code rows} rows, taken as part of a batch of
     * {@code batchTotal} rows, into {@code gradients} (as {@link Model#forwardBackwardShard}
     * writes it: the error signals scaled by {@code 1 / batchTotal}, the L2 term's gradient added
     * when {@code withPenalty}); {@code fill} puts each chunk's rows into the workspace.
     * It stops after the first chunk whose loss or gradient is not finite, with that chunk in
     * the workspace ({@link #heldFrom()}, {@link #heldRows()}), for a report of where.
     *
     * @return the sum of the shard's row losses (not averaged, without the L2 term); not finite
     *         when a row's loss was not
     */
    public double forwardBackward(int rows, int batchTotal, boolean withPenalty, Slab gradients, Fill fill) {
        Objects.requireNonNull(fill, "fill");
        if (rows < 1) {
            throw new IllegalArgumentException("rows: expected at least 1, found " + rows);
        }
        if (batchTotal < rows) {
            throw new IllegalArgumentException("batchTotal: expected at least the shard's " + rows + " rows, found " + batchTotal);
        }
        int chunk = chunkRows();
        long floats = model.layout().totalFloats();
        double sum = 0;
        finite = true;
        for (int from = 0; from < rows && finite && Double.isFinite(sum); from += chunk) {
            int n = Math.min(chunk, rows - from);
            heldFrom = from;
            heldRows = n;
            fill.fill(from, n, ws);
            if (from == 0) {
                sum += model.forwardBackwardShard(ws, n, batchTotal, withPenalty, gradients);
                finite = model.kernels().allFinite(floats, gradients.segment(), 0);
            } else {
                sum += model.forwardBackwardShard(ws, n, batchTotal, false, scratch);
                finite = model.kernels().addFinite(floats, scratch.segment(), 0, gradients.segment(), 0);
            }
            fill.done(from, n, ws);
        }
        return sum;
    }

    /**
     * Whether every value of the gradient of the last {@link #forwardBackward} was finite; when
     * not, the gradient is not the shard's whole (the chunks after the first bad one were skipped).
     */
    public boolean gradientsFinite() {
        return finite;
    }

    /** The first row of the shard that the workspace holds after the last {@link #forwardBackward}: its last chunk's. */
    public int heldFrom() {
        return heldFrom;
    }

    /** The rows the workspace holds after the last {@link #forwardBackward}. */
    public int heldRows() {
        return heldRows;
    }

    /** The workspace the chunks pass through: after a pass, its last chunk's inputs, activations and error signals. */
    public Workspace workspace() {
        return ws;
    }

    /** Frees the workspace and the chunk's gradient slab; the model stays open. */
    @Override
    public void close() {
        scratch.close();
        ws.close();
    }
}
