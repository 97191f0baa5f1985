package dev.vecmlp.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.ShardedPass;
import dev.vecmlp.nn.WarmUp;
import dev.vecmlp.nn.WorkerPool;
import dev.vecmlp.nn.Workspace;

/**
 * Trains a {@link Model} by mini-batch gradient descent: a seeded shuffle each epoch, batches cut
 * into shards that run on a fixed pool of threads, the shards' gradients added in a fixed order,
 * then one optimizer update over the whole parameter slab. With a validation set it reports the
 * validation figures after every epoch and can stop early.
 *
 * <p><b>Same seed, same bits.</b> The shuffle is seeded, the shards of a batch depend only on
 * the batch and the shard count (not on the threads), shard gradients are added in shard order,
 * and the update is elementwise. So a seed gives bitwise-identical weights run after run, with 1
 * thread or with 2.
 *
 * <p><b>No allocation per step.</b> All memory (a workspace and a gradient slab per shard, the
 * optimizer state) is allocated when the trainer is built; a step copies its rows into the
 * workspaces and runs the kernels.
 *
 * <p><b>Divergence.</b> The loss and the gradient are checked before each update; a NaN or
 * infinity throws {@link TrainingDivergedException}, naming the step, layer and tensor, and the
 * model keeps the weights from before that step.
 *
 * <p><b>Checkpoints.</b> {@link #state()} (or a {@link CheckpointSink}, after every epoch) gives
 * a {@link TrainingState}; {@link #resume} continues from it to the same bits as a run that
 * never stopped. See {@link TrainingState} for what it holds.
 *
 * <pre>{@code
 * try (Model model = spec.init(42L);
 *      Trainer trainer = Trainer.builder(model, Optimizer.sgd(0.05).momentum(0.9))
 *              .batch(64).epochs(20).seed(42L).build()) {
 *     TrainingHistory h = trainer.fit(train, validation);
 * }
 * }</pre>
 */
public final class Trainer implements AutoCloseable {
    /**
     * Default shards per batch: 2, this machine's cores. A batch of 64 then runs as two shards of
     * 32 rows, and 1-thread and 2-thread runs give the same bits (the shard count, not the
     * thread count, fixes the arithmetic).
     */
    public static final int DEFAULT_SHARDS = 2;

    /**
     * Steps run on the calling thread alone while the JIT compiles the kernels: until
     * {@link WarmUp}'s clean rounds say the kernels run in C2 (three steps in a row that allocate
     * nothing), or for
     * {@link #WARM_MAX_STEPS} steps at most. Until C2 has compiled them the kernels run boxed and
     * slow, and on 2 cores a second training thread takes the CPU the compiler needs: the first
     * epoch of {@code ./vecmlp train} took 2.4 s on one thread against 3.0 s on both (medians of
     * 5 runs each). The threads change nothing in the arithmetic, so the weights are the same
     * bits either way.
     */
    static final int WARM_MAX_STEPS = 2_000;

    private final Model model;
    private final Optimizer optimizer;
    private final int batch;
    private final int epochs;
    private final long seed;
    private final int shards;
    private final Schedule schedule;
    private final int patience;
    private final TrainingListener[] listeners;
    private final CheckpointSink sink;

    private final WorkerPool pool;
    /** The data-parallel forward, backward and gradient sum: the step the benchmarks time too. */
    private final ShardedPass pass;
    /** The optimizer's state and arithmetic, applied a range of the parameters per thread. */
    private final Updater updater;
    private final Slab best;
    private final Evaluator evaluator;
    private final long[] rangeFrom;
    private final long[] rangeTo;
    private final int[] shardCorrect;

    // The step being run, read by the jobs on every thread (published by WorkerPool.run).
    private Dataset data;
    private int[] order;
    private int stepStart;
    private float stepRate;
    private long step;
    private boolean warm;
    /** Clean steps alone end the one-thread start: it only chooses how many threads run a step. */
    private final WarmUp.Watch jit = new WarmUp.Watch(0);

    // Where the run stands, for state(): set by fit and resume, kept after they return.
    private int trainRows;
    private int epochsDone;
    private boolean stopped;
    private int bestEpoch;
    private double bestLoss;
    private int sinceBest;
    // Whether the parameters and optimizer state are those of the end of epoch epochsDone.
    private boolean atBoundary;

    private final ShardedPass.Feed feed = new ShardedPass.Feed() {
        @Override
        public void fill(int shard, int from, int rows, Workspace w) {
            data.copyBatch(order, stepStart + from, rows, w.inputs(), w.targets());
        }

        @Override
        public void done(int shard, int from, int rows, Workspace w) {
            // A large shard runs in chunks, each done in turn on the shard's thread.
            shardCorrect[shard] += data.isClassification()
                    ? Evaluator.countCorrect(data, order, stepStart + from, rows, w.outputs()) : 0;
        }
    };
    private final WorkerPool.Job updateJob = this::updateRange;

    private Trainer(Builder b) {
        this.model = b.model;
        this.optimizer = b.optimizer;
        this.batch = b.batch;
        this.epochs = b.epochs;
        this.seed = b.seed;
        this.shards = Math.min(b.shards, b.batch);
        this.schedule = b.schedule;
        this.patience = b.patience;
        this.listeners = b.listeners.toArray(new TrainingListener[0]);
        this.sink = b.sink;
        int threads = Math.min(b.threads, shards);
        this.shardCorrect = new int[shards];
        this.rangeFrom = new long[threads];
        this.rangeTo = new long[threads];
        WorkerPool p = null;
        ShardedPass sp = null;
        Updater u = null;
        Slab keep = null;
        Evaluator ev = null;
        try {
            p = new WorkerPool(threads, "vecmlp-train");
            sp = new ShardedPass(model, p, shards, batch);
            u = new Updater(model, optimizer);
            keep = patience > 0 ? model.newParameterSlab("best parameters") : null;
            ev = new Evaluator(model, p, false);
        } catch (RuntimeException | OutOfMemoryError e) {
            closeAll(p, sp, u, keep, ev);
            throw e;
        }
        this.pool = p;
        this.updater = u;
        this.pass = sp;
        this.warm = p.threads() == 1 || Boolean.getBoolean("vecmlp.noWarmUp");
        this.best = keep;
        this.evaluator = ev;
        // Ranges of the flat update, one per thread.
        WorkerPool.cut(model.layout().totalFloats(), rangeFrom, rangeTo);
    }

    /** Starts a trainer for {@code model} with {@code optimizer}; the rest has defaults. */
    public static Builder builder(Model model, Optimizer optimizer) {
        return new Builder(model, optimizer);
    }

    /**
     * Starts a trainer for {@code model} with the settings {@code state} was trained with, ready
     * for {@link #resume}; threads and listeners are yours to add.
     */
    public static Builder builder(Model model, TrainingState state) {
        TrainingState.Settings s = state.settings();
        return new Builder(model, s.optimizer()).batch(s.batch()).epochs(s.epochs()).seed(s.seed()).shards(s.shards())
                .schedule(s.schedule()).earlyStopping(s.patience());
    }

    public Model model() {
        return model;
    }

    /** Threads that run a step, the caller's included. */
    public int threads() {
        return pool.threads();
    }

    /** Shards each full batch is cut into. */
    public int shards() {
        return shards;
    }

    /** Steps taken so far, over all calls to {@link #fit}; {@link #resume} sets it to the state's count. */
    public long steps() {
        return step;
    }

    /**
     * Trains for the configured epochs on {@code train}, evaluating on {@code validation} (may be
     * null) after each epoch.
     */
    public TrainingHistory fit(Dataset train, Dataset validation) {
        int n = checkData(train, validation);
        this.trainRows = n;
        this.epochsDone = 0;
        this.stopped = false;
        this.bestEpoch = -1;
        this.bestLoss = Double.POSITIVE_INFINITY;
        this.sinceBest = 0;
        return run(train, validation, Evaluator.identity(n), new SplittableRandom(seed));
    }

    /**
     * Continues the run {@code saved} was taken from: restores the model's parameters, the
     * optimizer state, the step count and the early-stopping bookkeeping, then trains the
     * remaining epochs on {@code train} as {@link #fit} would have. The parameters end as the same
     * bits as those of an uninterrupted {@code fit} with the same data. A finished state (all
     * epochs done, or stopped early) trains nothing and only restores, with early stopping, the
     * best epoch's weights, as {@code fit} does at its end.
     *
     * <pre>{@code
     * TrainingState state = CheckpointFile.read(path).state();
     * try (Model model = state.newModel();
     *      Trainer trainer = Trainer.builder(model, state).threads(2).build()) {
     *     TrainingHistory rest = trainer.resume(state, train, validation);   // epochs numbered from state.epochsDone()
     * }
     * }</pre>
     *
     * @param saved      the state, from {@link #state()} or a checkpoint file
     * @param train      the same training rows, in the same order, as the run was started on
     * @param validation the validation set of the run, or null
     * @return the epochs this call trained; {@link TrainingHistory#bestEpoch()} counts from the
     *         start of the run
     * @throws IllegalArgumentException if the state's architecture, settings or training rows
     *                                  differ from this trainer's model, settings and {@code train}
     */
    public TrainingHistory resume(TrainingState saved, Dataset train, Dataset validation) {
        Objects.requireNonNull(saved, "state");
        int n = checkData(train, validation);
        if (!saved.spec().equals(model.spec())) {
            throw new IllegalArgumentException("resume: architecture: expected " + model.spec() + " (this trainer's model),"
                    + " found " + saved.spec() + " in the state");
        }
        String difference = settings().difference(saved.settings());
        if (difference != null) {
            throw new IllegalArgumentException("resume: the state's settings differ from this trainer's: " + difference
                    + " in the state (Trainer.builder(model, state) takes the state's)");
        }
        if (saved.rows() != n) {
            throw new IllegalArgumentException("resume: " + train.name() + ": expected " + saved.rows()
                    + " training rows, as the run was started on, found " + n);
        }
        model.setParameters(saved.parameters());
        updater.stateFromArrays(saved.optimizerState());
        TrainingState.EarlyStopping e = saved.earlyStopping();
        if (e.bestParameters() != null) {
            model.fromArray(e.bestParameters(), best);
        }
        this.step = saved.steps();
        this.trainRows = n;
        this.epochsDone = saved.epochsDone();
        this.stopped = saved.stopped();
        this.bestEpoch = e.bestEpoch();
        this.bestLoss = e.bestLoss();
        this.sinceBest = e.epochsSinceBest();
        int[] perm = Evaluator.identity(n);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int epoch = 0; epoch < epochsDone; epoch++) {
            Dataset.shuffle(perm, rng);
        }
        return run(train, validation, perm, rng);
    }

    /**
     * The state of the run at the end of its last completed epoch, for a checkpoint: call it
     * after {@link #fit} or {@link #resume} returned, or from a {@link CheckpointSink}.
     *
     * @throws IllegalStateException if the trainer is not at the end of an epoch: no run yet, a
     *                               step stopped by an exception, or {@link #trainBatch} since
     */
    public TrainingState state() {
        if (!atBoundary) {
            throw new IllegalStateException("state: expected a trainer at the end of an epoch of fit or resume, found"
                    + (trainRows == 0 ? " one that has not run fit" : " one inside epoch " + epochsDone
                    + " (a step threw, or trainBatch ran since)"));
        }
        List<float[]> slabs = updater.stateToArrays();
        TrainingState.EarlyStopping e = bestEpoch < 0 && sinceBest == 0 ? TrainingState.EarlyStopping.NONE
                : new TrainingState.EarlyStopping(bestEpoch, bestLoss, sinceBest, bestEpoch >= 0 ? model.toArray(best) : null);
        return new TrainingState(model.spec(), model.parametersToArray(), settings(), trainRows, epochsDone, stopped, step,
                slabs, e);
    }

    /** The settings that fix this trainer's arithmetic, as a {@link TrainingState} records them. */
    public TrainingState.Settings settings() {
        return new TrainingState.Settings(optimizer, batch, epochs, seed, shards, schedule, patience);
    }

    /** Epochs of the current run completed so far, those before a {@link #resume} included. */
    public int epochsDone() {
        return epochsDone;
    }

    private int checkData(Dataset train, Dataset validation) {
        Objects.requireNonNull(train, "train");
        Evaluator.checkFits(model, train);
        if (validation != null) {
            Evaluator.checkFits(model, validation);
        }
        int n = train.size();
        if (n == 0) {
            throw new IllegalArgumentException(train.name() + ": expected at least one training row, found none");
        }
        return n;
    }

    /** The epochs from {@code epochsDone} on, with {@code perm} and {@code rng} as the previous epoch left them. */
    private TrainingHistory run(Dataset train, Dataset validation, int[] perm, SplittableRandom rng) {
        int n = perm.length;
        int batches = (n + batch - 1) / batch;
        long totalSteps = (long) batches * epochs;
        double totalSeconds = 0;
        List<EpochStats> history = new ArrayList<>();
        this.data = train;
        this.order = perm;
        int kept;
        try {
            while (!stopped && epochsDone < epochs) {
                int epoch = epochsDone;
                this.atBoundary = false;
                Dataset.shuffle(perm, rng);
                double lossSum = 0;
                long correct = 0;
                float rate = 0;
                long t0 = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    int start = b * batch;
                    int rows = Math.min(batch, n - start);
                    rate = (float) (optimizer.learningRate() * schedule.factor((long) epoch * batches + b, batches, totalSteps));
                    double sum = trainStep(start, rows, rate, epoch, b, batches);
                    lossSum += sum;
                    for (int s = 0; s < pass.activeShards(); s++) {
                        correct += shardCorrect[s];
                    }
                    for (TrainingListener l : listeners) {
                        l.batchEnd(epoch, b, batches, sum / rows);
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                totalSeconds += seconds;
                Evaluation val = validation == null ? null : evaluator.evaluate(validation);
                EpochStats stats = new EpochStats(epoch, epochs, lossSum / n,
                        train.isClassification() ? (double) correct / n : Double.NaN, val, rate, seconds, n / seconds);
                history.add(stats);
                for (TrainingListener l : listeners) {
                    l.epochEnd(stats);
                }
                if (patience > 0 && val != null) {
                    if (val.loss() < bestLoss) {
                        bestLoss = val.loss();
                        bestEpoch = epoch;
                        sinceBest = 0;
                        copy(model.parameters(), best);
                    } else if (++sinceBest >= patience) {
                        stopped = true;
                    }
                }
                epochsDone = epoch + 1;
                atBoundary = true;
                if (sink != null) {
                    save();
                }
            }
            atBoundary = true;
            // Restore only a snapshot that was taken: a validation loss that was never finite took none.
            int last = epochsDone - 1;
            if (patience > 0 && validation != null && bestEpoch >= 0 && bestEpoch != last) {
                copy(best, model.parameters());
                kept = bestEpoch;
            } else {
                kept = last;
            }
        } finally {
            this.data = null;
            this.order = null;
        }
        return new TrainingHistory(history, stopped && epochsDone < epochs, kept, totalSeconds);
    }

    private void save() {
        try {
            sink.save(state());
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint after epoch " + epochsDone + ": " + e.getMessage(), e);
        }
    }

    /**
     * One training step on rows {@code order[from .. from+count)} of {@code data}, at the
     * optimizer's base learning rate: for loops of your own and for benchmarks. Allocates nothing.
     *
     * @return the batch's mean loss, without the L2 term
     */
    public double trainBatch(Dataset data, int[] order, int from, int count) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(order, "order");
        if (count < 1 || count > batch) {
            throw new IllegalArgumentException("count: expected 1 to " + batch + " rows (the trainer's batch), found " + count);
        }
        Objects.checkFromIndexSize(from, count, order.length);
        Evaluator.checkFits(model, data);
        this.data = data;
        this.order = order;
        this.atBoundary = false;
        try {
            return trainStep(from, count, optimizer.learningRate(), 0, 0, 1) / count;
        } finally {
            this.data = null;
            this.order = null;
        }
    }

    /** Loss and accuracy of the model on {@code data}, on the trainer's threads. */
    public Evaluation evaluate(Dataset data) {
        return evaluator.evaluate(data);
    }

    /** One step over rows {@code order[start .. start+rows)}; returns the sum of their losses. */
    private double trainStep(int start, int rows, float rate, int epoch, int b, int batches) {
        this.stepStart = start;
        this.stepRate = rate;
        Arrays.fill(shardCorrect, 0);
        boolean alone = !warm;
        if (alone) {
            jit.begin();
        }
        double sum = pass.forwardBackward(rows, feed, alone);
        if (!Double.isFinite(sum)) {
            throw Divergence.inForward(model, pass, sum / rows, step, epoch, b, batches);
        }
        if (!pass.gradientsFinite()) {
            throw Divergence.inBackward(model, pass, model.gradients(), step, epoch, b, batches);
        }
        pool.run(updateJob, rangeFrom.length, alone);
        step++;
        if (alone && (jit.settled() || step >= WARM_MAX_STEPS)) {
            warm = true;
        }
        return sum;
    }

    private void updateRange(int t, int parts) {
        updater.apply(stepRate, step + 1, rangeFrom[t], rangeTo[t]);
    }

    private static void copy(Slab from, Slab to) {
        MemorySegment.copy(from.segment(), 0, to.segment(), 0, from.segment().byteSize());
    }

    private static void closeAll(WorkerPool p, ShardedPass sp, Updater u, Slab keep, Evaluator ev) {
        if (ev != null) {
            ev.close();
        }
        if (sp != null) {
            sp.close();
        }
        if (p != null) {
            p.close();
        }
        if (u != null) {
            u.close();
        }
        if (keep != null) {
            keep.close();
        }
    }

    /** Frees the trainer's threads, workspaces, gradient shards and optimizer state; the model stays open. */
    @Override
    public void close() {
        closeAll(pool, pass, updater, best, evaluator);
    }

    /** Settings of a {@link Trainer}, with defaults: batch 64, 10 epochs, seed 0, 2 shards, threads = cores, constant rate, no early stopping. */
    public static final class Builder {
        private final Model model;
        private final Optimizer optimizer;
        private int batch = 64;
        private int epochs = 10;
        private long seed;
        private int shards = DEFAULT_SHARDS;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Schedule schedule = Schedule.constant();
        private int patience;
        private final List<TrainingListener> listeners = new ArrayList<>();
        private CheckpointSink sink;

        private Builder(Model model, Optimizer optimizer) {
            this.model = Objects.requireNonNull(model, "model");
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        }

        /** Examples per step. */
        public Builder batch(int rows) {
            this.batch = positive("batch", rows);
            return this;
        }

        public Builder epochs(int n) {
            this.epochs = positive("epochs", n);
            return this;
        }

        /** Seeds the shuffle. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Threads that run a step, the caller's included (at most the shard count is used). */
        public Builder threads(int n) {
            this.threads = positive("threads", n);
            return this;
        }

        /** Shards per batch; fixes the arithmetic, so runs with the same shards give the same bits. */
        public Builder shards(int n) {
            this.shards = positive("shards", n);
            return this;
        }

        public Builder schedule(Schedule s) {
            this.schedule = Objects.requireNonNull(s, "schedule");
            return this;
        }

        /**
         * Stops when the validation loss has not improved for {@code epochs} epochs, and leaves
         * the model with the weights of the best epoch. 0 turns it off.
         */
        public Builder earlyStopping(int epochs) {
            if (epochs < 0) {
                throw new IllegalArgumentException("early stopping: expected a patience >= 0 epochs, found " + epochs);
            }
            this.patience = epochs;
            return this;
        }

        public Builder listener(TrainingListener l) {
            listeners.add(Objects.requireNonNull(l, "listener"));
            return this;
        }

        /** Hands a {@link TrainingState} to {@code s} after every epoch; see {@link CheckpointSink}. */
        public Builder checkpoints(CheckpointSink s) {
            this.sink = Objects.requireNonNull(s, "sink");
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }

        private static int positive(String what, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(what + ": expected at least 1, found " + v);
            }
            return v;
        }
    }
}
