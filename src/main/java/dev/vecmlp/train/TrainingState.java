package dev.vecmlp.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * Everything a {@link Trainer} needs to continue a run from the end of an epoch and reach the
 * same bits as a run that never stopped: the architecture and parameters, the settings that fix
 * the arithmetic, the epochs completed, the step count (Adam's {@code t}), the optimizer's state
 * slabs, and the early-stopping bookkeeping. {@link Trainer#state()} takes one,
 * {@link Trainer#resume} continues from one, and {@link CheckpointFile} stores one.
 *
 * <pre>{@code
 * TrainingState state = trainer.state();                 // after fit, or in a checkpoint sink
 * try (Model model = state.newModel();
 *      Trainer again = Trainer.builder(model, state).threads(2).build()) {
 *     again.resume(state, train, validation);            // the remaining epochs
 * }
 * }</pre>
 *
 * <p><b>The shuffle.</b> The trainer draws each epoch's permutation from one
 * {@code SplittableRandom(seed)}, shuffling the previous epoch's order in place. The generator's
 * state cannot be read, so the state keeps (seed, epochs completed) instead: a resume makes the
 * generator again and replays the completed epochs' shuffles on the identity permutation, which
 * gives the same permutation and the same generator state.
 *
 * <p><b>Not kept:</b> the threads (they change nothing in the arithmetic), the listeners, the
 * training data (only its row count, which a resume checks), and the figures of the completed
 * epochs. Arrays are copied in and out; the state is immutable.
 */
public final class TrainingState {
    private final Mlp spec;
    private final float[] parameters;
    private final Settings settings;
    private final int rows;
    private final int epochsDone;
    private final boolean stopped;
    private final long steps;
    private final List<float[]> optimizerState;
    private final EarlyStopping earlyStopping;

    /**
     * The settings of a run that fix its arithmetic: what a resumed trainer must share with the
     * trainer that took the state. The threads are not among them.
     *
     * @param optimizer the update rule and its settings
     * @param batch     rows per step (the trainer's, at most the training rows)
     * @param epochs    epochs planned for the run; the schedule's steps are counted over them
     * @param seed      the shuffle's seed
     * @param shards    shards per batch, as the trainer uses them (at most the batch)
     * @param schedule  the learning-rate schedule
     * @param patience  early stopping's patience in epochs; 0 for none
     */
    public record Settings(Optimizer optimizer, int batch, int epochs, long seed, int shards, Schedule schedule,
                           int patience) {
        public Settings {
            Objects.requireNonNull(optimizer, "optimizer");
            Objects.requireNonNull(schedule, "schedule");
            if (batch < 1 || epochs < 1 || shards < 1 || shards > batch || patience < 0) {
                throw new IllegalArgumentException("settings: expected batch >= 1, epochs >= 1, 1 <= shards <= batch and"
                        + " patience >= 0, found batch " + batch + ", epochs " + epochs + ", shards " + shards
                        + ", patience " + patience);
            }
        }

        /**
         * The first setting in which {@code found} differs from these, as "name: expected ...,
         * found ...", or null when they are the same.
         */
        public String difference(Settings found) {
            Object[][] pairs = {
                {"optimizer", optimizer, found.optimizer},
                {"batch", batch, found.batch},
                {"epochs", epochs, found.epochs},
                {"seed", seed, found.seed},
                {"shards", shards, found.shards},
                {"schedule", schedule, found.schedule},
                {"early-stopping patience", patience, found.patience}};
            for (Object[] p : pairs) {
                if (!p[1].equals(p[2])) {
                    return p[0] + ": expected " + p[1] + ", found " + p[2];
                }
            }
            return null;
        }
    }

    /**
     * Early stopping's bookkeeping after the last completed epoch.
     *
     * @param bestEpoch       the epoch (0-based) with the lowest validation loss so far, or -1
     * @param bestLoss        its validation loss; positive infinity when there is none
     * @param epochsSinceBest epochs since then that did not improve on it
     * @param bestParameters  that epoch's parameters in {@link Model#parametersToArray()} order,
     *                        or null when there is no best epoch
     */
    public record EarlyStopping(int bestEpoch, double bestLoss, int epochsSinceBest, float[] bestParameters) {
        /** No best epoch yet, or no early stopping. */
        public static final EarlyStopping NONE = new EarlyStopping(-1, Double.POSITIVE_INFINITY, 0, null);

        public EarlyStopping {
            if (bestEpoch < -1 || epochsSinceBest < 0) {
                throw new IllegalArgumentException("early stopping: expected a best epoch >= -1 and epochs since it >= 0,"
                        + " found " + bestEpoch + " and " + epochsSinceBest);
            }
            if ((bestEpoch >= 0) != (bestParameters != null)) {
                throw new IllegalArgumentException("early stopping: expected the best parameters exactly when there is a"
                        + " best epoch, found best epoch " + bestEpoch + " and " + (bestParameters == null ? "no" : "")
                        + " parameters");
            }
            if (bestEpoch >= 0 ? !Double.isFinite(bestLoss) : bestLoss != Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("early stopping: expected a finite best loss with a best epoch and"
                        + " infinity without, found " + bestLoss + " for best epoch " + bestEpoch);
            }
            bestParameters = bestParameters == null ? null : bestParameters.clone();
        }

        /** A copy of the best epoch's parameters, or null. */
        @Override
        public float[] bestParameters() {
            return bestParameters == null ? null : bestParameters.clone();
        }
    }

    /**
     * A state, checked whole: the arrays must fit {@code spec}, the counts must fit each other,
     * and every value must be finite.
     *
     * @param spec           the architecture
     * @param parameters     the parameters in {@link Model#parametersToArray()} order
     * @param settings       the settings of the run
     * @param rows           training rows of the run
     * @param epochsDone     epochs completed, 0 to {@code settings.epochs()}
     * @param stopped        whether early stopping has ended the run
     * @param steps          optimizer steps taken; Adam's bias correction counts them
     * @param optimizerState {@link Optimizer#stateSlabs()} arrays in parameter order: the velocity
     *                       of SGD with momentum, or Adam's first and second moments
     * @param earlyStopping  the early-stopping bookkeeping; {@link EarlyStopping#NONE} without it
     * @throws IllegalArgumentException naming the first part that does not fit
     */
    public TrainingState(Mlp spec, float[] parameters, Settings settings, int rows, int epochsDone, boolean stopped,
                         long steps, List<float[]> optimizerState, EarlyStopping earlyStopping) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.earlyStopping = Objects.requireNonNull(earlyStopping, "earlyStopping");
        Objects.requireNonNull(optimizerState, "optimizerState");
        long count = spec.parameterCount();
        this.parameters = checked("parameters", parameters, count);
        int slabs = settings.optimizer().stateSlabs();
        if (optimizerState.size() != slabs) {
            throw new IllegalArgumentException("optimizer state: expected " + slabs + " arrays for " + settings.optimizer()
                    + ", found " + optimizerState.size());
        }
        List<float[]> copies = new ArrayList<>(slabs);
        for (int i = 0; i < slabs; i++) {
            copies.add(checked("optimizer state " + i, optimizerState.get(i), count));
        }
        this.optimizerState = List.copyOf(copies);
        if (rows < 1) {
            throw new IllegalArgumentException("rows: expected at least 1 training row, found " + rows);
        }
        if (epochsDone < 0 || epochsDone > settings.epochs()) {
            throw new IllegalArgumentException("epochs done: expected 0 to " + settings.epochs() + " (the epochs planned),"
                    + " found " + epochsDone);
        }
        long batches = ((long) rows + settings.batch() - 1) / settings.batch();
        if (steps < epochsDone * batches) {
            throw new IllegalArgumentException("steps: expected at least " + epochsDone * batches + " (" + epochsDone
                    + " epochs of " + batches + " batches), found " + steps);
        }
        EarlyStopping e = earlyStopping;
        if (settings.patience() == 0 && (e.bestEpoch() >= 0 || e.epochsSinceBest() > 0 || stopped)) {
            throw new IllegalArgumentException("early stopping: expected none (patience 0), found best epoch " + e.bestEpoch()
                    + ", " + e.epochsSinceBest() + " epochs since it" + (stopped ? ", stopped" : ""));
        }
        if (e.bestEpoch() >= epochsDone || e.epochsSinceBest() > epochsDone) {
            throw new IllegalArgumentException("early stopping: expected a best epoch below " + epochsDone + " and at most "
                    + epochsDone + " epochs since it (the epochs done), found " + e.bestEpoch() + " and "
                    + e.epochsSinceBest());
        }
        if (stopped && e.epochsSinceBest() < settings.patience()) {
            throw new IllegalArgumentException("stopped: expected at least " + settings.patience() + " epochs without"
                    + " improvement (the patience) before stopping, found " + e.epochsSinceBest());
        }
        if (e.bestParameters != null) {
            checked("best parameters", e.bestParameters, count);
        }
        this.rows = rows;
        this.epochsDone = epochsDone;
        this.stopped = stopped;
        this.steps = steps;
    }

    private static float[] checked(String what, float[] values, long count) {
        Objects.requireNonNull(values, what);
        if (values.length != count) {
            throw new IllegalArgumentException(what + ": expected " + count + " floats (the parameter count), found "
                    + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(what + ": expected finite values, found " + values[i] + " at index " + i);
            }
        }
        return values.clone();
    }

    public Mlp spec() {
        return spec;
    }

    /** A copy of the parameters, in {@link Model#parametersToArray()} order. */
    public float[] parameters() {
        return parameters.clone();
    }

    public Settings settings() {
        return settings;
    }

    /** Training rows of the run; a resume must train on as many. */
    public int rows() {
        return rows;
    }

    /** Epochs completed; a resume starts with epoch {@code epochsDone()} (0-based). */
    public int epochsDone() {
        return epochsDone;
    }

    /** Whether early stopping has ended the run, so a resume trains no further epoch. */
    public boolean stopped() {
        return stopped;
    }

    /** Whether a resume has no epoch left to train: the planned epochs are done or early stopping ended the run. */
    public boolean finished() {
        return stopped || epochsDone == settings.epochs();
    }

    /** Optimizer steps taken over the run (Adam's {@code t}). */
    public long steps() {
        return steps;
    }

    /** Copies of the optimizer's state arrays, in parameter order; see {@link Optimizer#stateSlabs()}. */
    public List<float[]> optimizerState() {
        List<float[]> out = new ArrayList<>(optimizerState.size());
        for (float[] a : optimizerState) {
            out.add(a.clone());
        }
        return out;
    }

    public EarlyStopping earlyStopping() {
        return earlyStopping;
    }

    /** A new model of {@link #spec()} holding {@link #parameters()}, on this JVM's best kernels; the caller closes it. */
    public Model newModel() {
        return spec.withParameters(parameters, KernelProvider.best());
    }

    @Override
    public String toString() {
        return "training state of " + spec + " after epoch " + epochsDone + " of " + settings.epochs() + " (" + steps
                + " steps" + (stopped ? ", stopped early" : "") + ")";
    }
}
