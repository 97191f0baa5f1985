package dev.vecmlp.nn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import dev.vecmlp.kernel.ForwardKernels;
import dev.vecmlp.memory.Matrix;

/**
 * Runs a {@link Model} forward for inference: one predictor per thread, over the model's shared
 * parameters, with its own preallocated workspace, so a call allocates nothing.
 *
 * <p>Outputs are the last layer's activations: for a softmax cross-entropy model, the logits
 * (softmax is monotone, so {@link #classify} needs no exponentials).
 *
 * <pre>{@code
 * try (Predictor p = model.predictor(1)) {
 *     p.warmUp();                    // before the first timed or served call
 *     float[] scores = new float[10];
 *     p.predict(pixels, scores);     // pixels.length == 784
 *     int digit = p.classify(pixels);
 *     if (p.lastCallHadNonFiniteInput()) {
 *         log("NaN or infinity at column " + p.lastNonFiniteColumn());
 *     }
 * }
 * }</pre>
 *
 * <p>Every input is scanned for NaN and infinities (one vector pass over the copied rows, a small
 * fraction of a prediction). What happens next is the predictor's {@link NonFiniteInput} policy,
 * chosen when it is made ({@link Model#predictor(int, NonFiniteInput)}).
 *
 * <p>A predictor serves one thread at a time. A call that overlaps another call on the same
 * predictor from a second thread throws {@link IllegalStateException} instead of mixing the two
 * batches in the one workspace.
 *
 * <p><b>Splitting a batch.</b> A predictor made with a {@link WorkerPool}
 * ({@link Model#predictor(int, WorkerPool)}) cuts a batch into one part per pool thread, each
 * of at least {@link #SPLIT_MIN_ROWS} rows and in a workspace of its own; smaller batches, and
 * batch 1 always, run on the calling thread alone. Rows are independent, so a split batch gives
 * the same bits as one thread, on two conditions the predictor keeps. Every part has at least
 * 4 rows, and the kernels sum a row of a product of 4 rows or more in one order whatever tile it
 * lands in (they once did not: batch 300 at 512 bits, parts of 150 rows changed row 148 in the
 * last bit); parts still start at multiples of {@link #SPLIT_ALIGN_ROWS} rows, as a margin. And
 * the forward kernel sums in another order from the batch size
 * where it repacks the weights ({@link dev.vecmlp.kernel.Kernels#scratchFloatsNT} turns
 * non-zero), so a batch is split only when every part stays on the same side of that size as
 * the whole batch, in every layer. When the pool is busy with another thread's job, the batch
 * runs on the calling thread.
 *
 * <p><b>From the first call (opt-in).</b> The vector kernels are slow until the JIT's C2 has
 * compiled them: network A's first batch-1 call took about 240 ms. With
 * {@code -Dvecmlp.backgroundWarmUp=true}, until its network is handed over to the kernels a
 * predictor computes on their twin ({@link dev.vecmlp.kernel.Kernels#forwardTwin()}), plain
 * scalar code with exactly the kernels' bits (the first call in tens of milliseconds), on the
 * calling thread alone, while one
 * background thread gets the kernels compiled on a private copy of the network
 * ({@link KernelWarmth}, which also says what it costs and why it is off by default). The next
 * call after the hand-over runs on the kernels: the results do not change by a bit, only the
 * time. {@link #warmUp()} warms the kernels on the caller's thread instead, and {@link #warm()}
 * tells which is in use.
 */
public final class Predictor implements AutoCloseable {
    /** What a predictor does with an input that holds NaN or an infinity. */
    public enum NonFiniteInput {
        /**
         * Computes it as any other input: IEEE arithmetic carries NaN and infinities wherever they
         * lead (a ReLU may turn a NaN into 0, so the outputs need not show it), and the call
         * returns normally. The predictor records where the first one was
         * ({@link Predictor#lastCallHadNonFiniteInput()}, {@link Predictor#lastNonFiniteRow()},
         * {@link Predictor#lastNonFiniteColumn()}) and counts such calls
         * ({@link Predictor#nonFiniteInputCalls()}).
         */
        REPORT,
        /**
         * Records it as {@link #REPORT} does, then throws {@link IllegalArgumentException} naming
         * the row, the column and the value, before computing anything: the outputs keep what they
         * held.
         */
        REJECT
    }

    /** {@link #warmUp()} gives up after this long (plus the round under way). */
    public static final long WARM_UP_LIMIT_MILLIS = 10_000;
    /** Batch-1 calls of each entry point in a round of {@link #warmUp()}. */
    private static final int WARM_UP_SINGLES = 16;
    /**
     * The fewest rows in a part of a split batch, so a 2-thread pool splits batches of 32 rows
     * and up: a part of 16 rows is about 300 µs of network A's forward pass, against a hand-off
     * of a few µs (WorkerPool). Not yet tuned by measurement (the machine was loaded when it was
     * written); {@code MlpBench predict -p threads=1,2} measures it.
     */
    public static final int SPLIT_MIN_ROWS = 16;
    /**
     * Parts of a split batch start at multiples of this many rows. The kernels give a row the
     * same bits in any tile of a product of 4 rows or more (SimdKernelsTest
     * {@code aRowHasTheSameBitsInEveryTile}); the alignment is a margin for kernels to come.
     */
    public static final int SPLIT_ALIGN_ROWS = 16;
    /** Calls in a row in which the kernels must beat the twin before the background warm-up hands over (raceTwin). */
    private static final int HANDOVER_CALLS = 3;

    private final Model model;
    private final Workspace ws;
    private final int inputs;
    private final int outputs;
    private final NonFiniteInput nonFinite;
    private final AtomicBoolean busy = new AtomicBoolean();
    private int lastBadRow = -1;
    private int lastBadColumn = -1;
    private long badCalls;

    /** The pool a large batch is split across, or null. */
    private final WorkerPool pool;
    /** One workspace per part of a split batch: {@code parts[0]} is {@link #ws}, the caller's. */
    private final Workspace[] parts;
    private final WorkerPool.Job partJob = this::runPart;
    // The split call under way, read by the part jobs (published by WorkerPool.run): the caller's
    // array, or null when the rows are already in the parts' workspaces.
    private float[] callInput;
    private int callBatch;
    private final int[] partBadRow;
    private final int[] partBadColumn;

    /**
     * The kernels' scalar twin while the network is cold, null once the calls run on the kernels.
     * A field, not a test of the network's state at each call: set to null at the start of
     * {@link #warmUp()}, it keeps the branch the warm-up's calls took for the calls after it. A
     * condition first evaluated the other way after the warm-up made C2 deoptimize
     * {@code predict} at the next call (unstable_if), and the interpreted call allocated 912 bytes.
     */
    private volatile ForwardKernels current;
    /** The kernels' scalar twin, or null when the predictor always runs the kernels. */
    private final ForwardKernels twin;
    /** This predictor's network's warmth in this JVM, which switches it; null when it never runs on a twin. */
    private final KernelWarmth warmth;

    Predictor(Model model, int maxBatch, NonFiniteInput nonFinite, WorkerPool pool) {
        this.model = model;
        this.ws = new Workspace(model.spec(), model.kernels(), maxBatch, false, null);
        this.inputs = model.spec().inputs();
        this.outputs = model.spec().outputs();
        this.nonFinite = nonFinite;
        this.pool = pool;
        int n = pool == null ? 1 : pool.threads();
        this.parts = new Workspace[n];
        this.partBadRow = new int[n];
        this.partBadColumn = new int[n];
        parts[0] = ws;
        this.twin = KernelWarmth.enabled() ? model.kernels().forwardTwin() : null;
        this.current = twin;
        this.warmth = twin == null ? null : KernelWarmth.of(model.spec(), model.kernels(), maxBatch);
        try {
            // The last part takes the rows the aligned cuts leave: up to SPLIT_ALIGN_ROWS - 1 more than an even share.
            int partRows = Math.min(maxBatch, (maxBatch + n - 1) / n + SPLIT_ALIGN_ROWS - 1);
            for (int t = 1; t < n; t++) {
                parts[t] = new Workspace(model.spec(), model.kernels(), partRows, false, null);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            for (Workspace w : parts) {
                if (w != null) {
                    w.close();
                }
            }
            throw e;
        }
        if (warmth != null) {
            warmth.register(this);
        }
    }

    /** Called by {@link KernelWarmth} when the network is warm: the next call runs the kernels. */
    void switchToKernels() {
        current = null;
    }

    public Model model() {
        return model;
    }

    public int maxBatch() {
        return ws.maxBatch();
    }

    /**
     * The fewest rows from which a row's outputs have the same bits in a batch of any size:
     * 16 on the 512-bit kernels, where the forward product sums in another order below it
     * ({@link dev.vecmlp.kernel.Kernels#uniformRowsNT}), 1 elsewhere. A caller whose results must
     * not depend on how rows were batched (a file scored in batches of 256, the same rows in a
     * Spark partition) pads a smaller batch with any finite rows up to this size, at most
     * {@link #maxBatch()}, and keeps the outputs of its own rows.
     */
    public int uniformRows() {
        return model.kernels().uniformRowsNT();
    }

    /** The pool a large batch is split across, or null for a predictor that uses only the calling thread. */
    public WorkerPool pool() {
        return pool;
    }

    /**
     * Whether a batch of {@code batch} rows is split across the pool: with a pool of more than
     * one thread, parts of at least {@link #SPLIT_MIN_ROWS} rows, and only where each part
     * computes its rows as the whole batch would (see the class comment).
     */
    public boolean splits(int batch) {
        int n = parts.length;
        if (n == 1 || batch > maxBatch() || partStart(batch, 1) < SPLIT_MIN_ROWS) {
            return false;
        }
        Mlp spec = model.spec();
        for (int t = 0; t < n; t++) {
            int rows = partStart(batch, t + 1) - partStart(batch, t);
            if (rows < SPLIT_MIN_ROWS) {
                return false;
            }
            for (int l = 0; l < spec.depth(); l++) {
                Layer layer = spec.layer(l);
                if (model.kernels().scratchFloatsNT(batch, layer.outputs(), layer.inputs()) > 0
                        != model.kernels().scratchFloatsNT(rows, layer.outputs(), layer.inputs()) > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** What this predictor does with NaN and infinities in an input. */
    public NonFiniteInput nonFiniteInput() {
        return nonFinite;
    }

    /**
     * Predicts a batch given row-major without padding: {@code input.length = batch * inputs},
     * {@code output.length = batch * outputs}.
     *
     * @throws IllegalArgumentException on a wrong length, a batch above {@link #maxBatch()}, or
     *         (with {@link NonFiniteInput#REJECT}) a NaN or infinite input, leaving
     *         {@code output} untouched
     * @throws IllegalStateException if this predictor or its model is closed, or another thread
     *         is using this predictor
     */
    public void predict(float[] input, float[] output) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        int batch = batchOf(input.length);
        if (output.length != (long) batch * outputs) {
            throw new IllegalArgumentException("output: expected " + ((long) batch * outputs) + " floats (" + batch
                    + " rows x " + outputs + "), found " + output.length);
        }
        enter();
        try {
            ForwardKernels cold = cold();
            if (cold == null && splits(batch) && runSplit(input, null, batch)) {
                int last = model.spec().depth() - 1;
                for (int t = 0; t < parts.length; t++) {
                    int lo = partStart(batch, t), hi = partStart(batch, t + 1);
                    parts[t].h(last).copyRowsTo(output, lo * outputs, hi - lo);
                }
                return;
            }
            ws.inputView().copyRowsFrom(input, 0, batch);
            run(batch, cold);
            ws.h(model.spec().depth() - 1).copyRowsTo(output, 0, batch);
        } finally {
            busy.setRelease(false);
        }
    }

    /**
     * Predicts {@code batch} rows of native-order floats, row-major without padding, from
     * {@code input} into {@code output}. Throws as {@link #predict(float[], float[])} does, and
     * also on a read-only {@code output} or a segment whose arena is closed.
     */
    public void predict(MemorySegment input, MemorySegment output, int batch) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        ws.checkBatch(batch);
        checkSegment("input", input, (long) batch * inputs);
        checkSegment("output", output, (long) batch * outputs);
        if (output.isReadOnly()) {
            throw new IllegalArgumentException("output: expected a writable segment, found a read-only one");
        }
        enter();
        try {
            int last = model.spec().depth() - 1;
            // The outputs are copied by this thread: a confined segment may be written by its owner only.
            ForwardKernels cold = cold();
            if (cold == null && splits(batch) && runSplit(null, input, batch)) {
                for (int t = 0; t < parts.length; t++) {
                    int lo = partStart(batch, t), hi = partStart(batch, t + 1);
                    copyRowsOut(parts[t].h(last), hi - lo, output, lo);
                }
                return;
            }
            copyRowsIn(input, 0, ws.inputView(), batch);
            run(batch, cold);
            copyRowsOut(ws.h(last), batch, output, 0);
        } finally {
            busy.setRelease(false);
        }
    }

    /** Copies {@code rows} unpadded rows from {@code input}, starting at row {@code from}, into {@code x}. */
    private void copyRowsIn(MemorySegment input, int from, Matrix x, int rows) {
        long rowBytes = (long) inputs * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(input, (from + r) * rowBytes, x.segment(), (x.offset() + (long) r * x.stride()) * Float.BYTES,
                    rowBytes);
        }
    }

    /** Copies {@code rows} rows of {@code y} into {@code output} from row {@code to} on, unpadded. */
    private void copyRowsOut(Matrix y, int rows, MemorySegment output, int to) {
        long outBytes = (long) outputs * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(y.segment(), (y.offset() + (long) r * y.stride()) * Float.BYTES, output, (to + r) * outBytes,
                    outBytes);
        }
    }

    /**
     * The first row of part {@code t} of a split batch ({@code t == parts} gives the batch size):
     * an even share, rounded down to a multiple of {@link #SPLIT_ALIGN_ROWS}.
     */
    private int partStart(int batch, int t) {
        if (t == parts.length) {
            return batch;
        }
        return (int) ((long) batch * t / parts.length) / SPLIT_ALIGN_ROWS * SPLIT_ALIGN_ROWS;
    }

    /**
     * Runs a batch as one part per pool thread, from {@code input} or {@code inputSegment},
     * leaving each part's outputs in its workspace; records (and with {@link NonFiniteInput#REJECT}
     * throws for) the first non-finite input in row order, as {@link #run} does. Rows of an array
     * are copied by the part's own thread; rows of a segment by the caller, as a confined
     * segment may be read by its owner thread only.
     *
     * @return false, having computed nothing, if the pool was busy with another thread's job
     */
    private boolean runSplit(float[] input, MemorySegment inputSegment, int batch) {
        if (inputSegment != null) {
            for (int t = 0; t < parts.length; t++) {
                int lo = partStart(batch, t);
                copyRowsIn(inputSegment, lo, parts[t].inputView(), partStart(batch, t + 1) - lo);
            }
        }
        callInput = input;
        callBatch = batch;
        try {
            if (!pool.tryRun(partJob, parts.length, false)) {
                return false;
            }
        } finally {
            callInput = null;
        }
        lastBadRow = -1;
        lastBadColumn = -1;
        for (int t = 0; t < parts.length; t++) {
            if (partBadRow[t] >= 0) {
                reportNonFinite(partBadRow[t], partBadColumn[t], parts[t].inputView().get(partBadRow[t] - partStart(batch, t),
                        partBadColumn[t]));
                break;
            }
        }
        return true;
    }

    /** One part of a split batch, on the pool thread {@code t}: copy in, check, compute. */
    private void runPart(int t, int n) {
        int lo = partStart(callBatch, t), rows = partStart(callBatch, t + 1) - lo;
        Workspace w = parts[t];
        Matrix x = w.inputView();
        if (callInput != null) {
            x.copyRowsFrom(callInput, lo * inputs, rows);
        }
        partBadRow[t] = -1;
        partBadColumn[t] = -1;
        if (!model.kernels().allFinite((long) rows * x.stride(), x.segment(), x.offset())) {
            long at = firstNonFinite(x, rows);
            partBadRow[t] = lo + (int) (at >>> 32);
            partBadColumn[t] = (int) at;
            if (nonFinite == NonFiniteInput.REJECT) {
                return;
            }
        }
        model.plan().predict(w, rows);
    }

    /**
     * The index of the largest output for one example ({@code input.length == inputs}). Throws as
     * {@link #predict(float[], float[])} does.
     */
    public int classify(float[] input) {
        Objects.requireNonNull(input, "input");
        if (input.length != inputs) {
            throw new IllegalArgumentException("input: expected " + inputs + " floats (one example), found " + input.length);
        }
        enter();
        try {
            ws.inputView().copyRowsFrom(input, 0, 1);
            run(1, cold());
            Matrix y = ws.h(model.spec().depth() - 1);
            int best = 0;
            float bestValue = y.get(0, 0);
            for (int c = 1; c < outputs; c++) {
                float v = y.get(0, c);
                if (v > bestValue) {
                    best = c;
                    bestValue = v;
                }
            }
            return best;
        } finally {
            busy.setRelease(false);
        }
    }

    /** Whether the input of the last call that read one held a NaN or an infinity. */
    public boolean lastCallHadNonFiniteInput() {
        return lastBadRow >= 0;
    }

    /** The row of the first NaN or infinity in the last call's input (rows in order, then columns), or -1. */
    public int lastNonFiniteRow() {
        return lastBadRow;
    }

    /** The column (feature) of the first NaN or infinity in the last call's input, or -1. */
    public int lastNonFiniteColumn() {
        return lastBadColumn;
    }

    /** How many calls since this predictor was made had a NaN or an infinity in their input. */
    public long nonFiniteInputCalls() {
        return badCalls;
    }

    /**
     * Runs this predictor's kernels until the JIT has compiled them, so that the calls that follow
     * run at full speed and allocate nothing. Until C2 has compiled them the Vector API kernels
     * run in code that boxes every vector: tens of times slower, and allocating.
     *
     * <p>The rule: rounds of predictions on scratch inputs (a fixed pseudo-random batch in memory
     * of its own; the caller's data is not touched and the model's parameters are only read), one
     * round being 16 calls of one row through each entry point ({@link #classify},
     * {@link #predict(float[], float[])}, {@link #predict(MemorySegment, MemorySegment, int)}),
     * then one call at batches 3, 7, ..., 2^k - 1 below {@link #maxBatch()} and one at
     * {@code maxBatch()} through each of the two batch entry points (so that the kernels' edge
     * rows, full tiles and large-batch paths are all compiled), until {@link WarmUp} says the JIT
     * has settled: {@link WarmUp#CLEAN_ROUNDS} rounds in a row have allocated nothing (the kernels
     * box until C2 has compiled them) and no compilation has ended for
     * {@value WarmUp#CLEAN_QUIET_MILLIS} ms. It gives up after
     * {@value #WARM_UP_LIMIT_MILLIS} ms, plus the round under way.
     *
     * <p>Compiled code belongs to the JVM, not to this predictor: warming one predictor of a
     * network warms the others of the same network, and afterwards all of them run the kernels
     * ({@link #warm()}), whether or not the JIT settled in time. The calls of a warm-up always run
     * the kernels, never the twin. Without a call to it, the background warm-up does the same
     * work on another thread while the twin serves (see the class comment). The reports of
     * non-finite inputs are left as they were before the call.
     *
     * <pre>{@code
     * try (Predictor p = model.predictor(64)) {
     *     if (!p.warmUp()) {
     *         log("JIT still busy after " + Predictor.WARM_UP_LIMIT_MILLIS + " ms; first calls may be slow");
     *     }
     *     serve(p);
     * }
     * }</pre>
     *
     * @return true if the JIT settled, false if the time limit ended the warm-up first
     * @throws IllegalStateException if this predictor or its model is closed, or another thread
     *         is using this predictor
     */
    public boolean warmUp() {
        ensureOpen();
        if (warmth == null) {
            return runWarmUp();
        }
        warmth.foregroundBegins();
        try {
            return runWarmUp();
        } finally {
            // A background warm-up stopped at the end of its round; the JIT then has its work too.
            warmth.awaitBackground(WARM_UP_LIMIT_MILLIS);
            warmth.markWarm();
        }
    }

    /** The rounds of {@link #warmUp()} until the JIT settles or the time limit passes; marks nothing. */
    private boolean runWarmUp() {
        int badRow = lastBadRow, badColumn = lastBadColumn;
        long bad = badCalls;
        current = null;
        int max = maxBatch();
        SplittableRandom rng = new SplittableRandom(0x5EED);
        float[] one = new float[inputs];
        for (int i = 0; i < inputs; i++) {
            one[i] = (float) rng.nextGaussian();
        }
        float[] oneOut = new float[outputs];
        float[] many = new float[max * inputs], manyOut = new float[max * outputs];
        for (int i = 0; i < many.length; i++) {
            many[i] = (float) rng.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(ValueLayout.JAVA_FLOAT, (long) max * inputs);
            for (long i = 0; i < (long) max * inputs; i++) {
                in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
            }
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, (long) max * outputs);
            return WarmUp.untilSettled(() -> {
                for (int i = 0; i < WARM_UP_SINGLES; i++) {
                    classify(one);
                    predict(one, oneOut);
                    predict(in, out, 1);
                }
                for (int b = 3; b < max; b = 2 * b + 1) {
                    predict(in, out, b);
                }
                if (max > 1) {
                    predict(in, out, max);
                    predict(many, manyOut);
                }
            }, WARM_UP_LIMIT_MILLIS);
        } finally {
            lastBadRow = badRow;
            lastBadColumn = badColumn;
            badCalls = bad;
        }
    }

    /**
     * The input is in the workspace: checks it, then runs the network over it, on {@code cold}
     * (the twin) or, when that is null, on the kernels.
     */
    private void run(int batch, ForwardKernels cold) {
        ForwardKernels forward = cold != null ? cold : model.kernels();
        Matrix x = ws.inputView();
        // The padding of every row is zero, so the whole padded block scans in one flat pass.
        if (forward.allFinite((long) batch * x.stride(), x.segment(), x.offset())) {
            lastBadRow = -1;
            lastBadColumn = -1;
        } else {
            locateNonFinite(batch);
        }
        model.plan().predict(ws, batch, forward);
    }

    /**
     * The background warm-up's work ({@link KernelWarmth}): batch-1 calls on the twin and on the
     * kernels in turn, on scratch inputs, until the kernels' call has been the faster of the two
     * {@value #HANDOVER_CALLS} times in a row (the twin's best time so far against the kernels'
     * last), {@code stop} says so or {@link #WARM_UP_LIMIT_MILLIS} have passed. The kernels need
     * not be in C2 yet: from then on the network's own calls finish compiling them, as fast as
     * the twin or faster. Waiting for C2 here instead (warmUp()'s rule) meant 3.3 s of
     * contention with the serving thread on 2 cores, whose first 1,000 calls then took 1.5-2.3 s;
     * with the race, 0.92-1.19 s (and without the twin at all, 0.50-0.71 s: see KernelWarmth).
     *
     * @return true if the kernels overtook the twin
     */
    boolean raceTwin(BooleanSupplier stop) {
        ensureOpen();
        SplittableRandom rng = new SplittableRandom(0x5EED);
        float[] x = new float[inputs];
        for (int i = 0; i < inputs; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        long start = System.nanoTime(), twinBest = Long.MAX_VALUE;
        int faster = 0;
        enter();
        try {
            current = null;
            while (!stop.getAsBoolean() && System.nanoTime() - start < WARM_UP_LIMIT_MILLIS * 1_000_000L) {
                ws.inputView().copyRowsFrom(x, 0, 1);
                long t0 = System.nanoTime();
                run(1, twin);
                long t1 = System.nanoTime();
                run(1, null);
                long t2 = System.nanoTime();
                twinBest = Math.min(twinBest, t1 - t0);
                faster = t2 - t1 < twinBest ? faster + 1 : 0;
                if (faster >= HANDOVER_CALLS) {
                    return true;
                }
            }
            return false;
        } finally {
            busy.setRelease(false);
        }
    }

    /**
     * The twin while the network is cold and no warm-up has begun on this predictor, else null
     * (the kernels). A call on the twin queues the network's background warm-up (once).
     */
    private ForwardKernels cold() {
        ForwardKernels t = current;
        if (t != null) {
            warmth.ensureWarming();
        }
        return t;
    }

    /**
     * Whether calls run on the vector kernels: once this predictor's network is warm in this JVM
     * (after {@link #warmUp()} or the background warm-up), and always where the kernels need no
     * twin or it is turned off. Before, calls run on the kernels' scalar twin, with the same
     * results bit for bit. A predictor never goes back from warm.
     */
    public boolean warm() {
        return current == null;
    }

    private void locateNonFinite(int batch) {
        Matrix x = ws.inputView();
        long at = firstNonFinite(x, batch);
        if (at >= 0) {
            int r = (int) (at >>> 32), c = (int) at;
            reportNonFinite(r, c, x.get(r, c));
        }
    }

    /** The first NaN or infinity of the first {@code rows} rows, as {@code row << 32 | column}, or -1. */
    private long firstNonFinite(Matrix x, int rows) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < inputs; c++) {
                if (!Float.isFinite(x.get(r, c))) {
                    return (long) r << 32 | c;
                }
            }
        }
        return -1;
    }

    /** Records the call's first non-finite input, and throws for it under {@link NonFiniteInput#REJECT}. */
    private void reportNonFinite(int r, int c, float v) {
        lastBadRow = r;
        lastBadColumn = c;
        badCalls++;
        if (nonFinite == NonFiniteInput.REJECT) {
            throw new IllegalArgumentException("input: expected finite floats, found " + v + " at row " + r
                    + ", column " + c + " (NonFiniteInput.REJECT)");
        }
    }

    /** Claims the predictor for the calling thread's call; the caller releases it in a finally. */
    private void enter() {
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException("predictor: in use by another thread; a predictor serves one thread at a"
                    + " time, so make one per thread (Model.predictor)");
        }
        try {
            ensureOpen();
        } catch (RuntimeException e) {
            busy.setRelease(false);
            throw e;
        }
    }

    private int batchOf(int length) {
        if (length == 0 || length % inputs != 0) {
            throw new IllegalArgumentException("input: expected a positive multiple of " + inputs
                    + " floats (rows of " + inputs + " features), found " + length);
        }
        int batch = length / inputs;
        ws.checkBatch(batch);
        return batch;
    }

    private static void checkSegment(String what, MemorySegment s, long floats) {
        if (!s.scope().isAlive()) {
            throw new IllegalStateException(what + ": expected a segment of an open arena, found one whose arena is closed");
        }
        if (s.byteSize() < floats * Float.BYTES) {
            throw new IllegalArgumentException(what + ": expected at least " + floats + " floats (" + (floats * Float.BYTES)
                    + " bytes), found a segment of " + s.byteSize() + " bytes");
        }
        if (s.isNative() && s.address() % ValueLayout.JAVA_FLOAT.byteAlignment() != 0) {
            throw new IllegalArgumentException(what + ": expected a float-aligned segment, found address " + s.address());
        }
    }

    private void ensureOpen() {
        if (ws.isClosed()) {
            throw new IllegalStateException("predictor for " + model.spec() + ": closed; it can no longer be used");
        }
        model.ensureOpen();
    }

    /**
     * Frees the workspaces, and lets the model close once nothing else of it is open. The pool,
     * if any, stays open: it is its maker's. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (ws.isClosed()) {
                return;
            }
            for (Workspace w : parts) {
                w.close();
            }
        }
        model.released(true);
    }
}
