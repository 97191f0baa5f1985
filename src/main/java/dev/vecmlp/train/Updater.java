package dev.vecmlp.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.Model;

/**
 * An optimizer's update applied to a model from a gradient computed elsewhere: by other
 * processes (Spark tasks, each with its share of a batch) and summed by the caller. It keeps the
 * optimizer's state (velocity, Adam's moments) and the update count. A {@link Trainer} updates
 * through one too, a range of the parameters per thread, so a gradient that is bit for bit a
 * trainer's gives the trainer's weights bit for bit.
 *
 * <pre>{@code
 * try (Updater u = new Updater(model, Optimizer.adam(1e-3))) {
 *     model.fromArray(summedGradient, model.gradients());
 *     u.step(1e-3f);                     // update 1, from model.gradients()
 * }
 * }</pre>
 */
public final class Updater implements AutoCloseable {
    private final Model model;
    private final Optimizer optimizer;
    private final Slab[] state;
    private long steps;

    /** An updater with fresh state (zero velocity, zero moments) for {@code model}, which stays its caller's. */
    public Updater(Model model, Optimizer optimizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.state = new Slab[optimizer.stateSlabs()];
        try {
            for (int i = 0; i < state.length; i++) {
                state[i] = model.newParameterSlab("optimizer state " + i);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** Updates applied so far. */
    public long steps() {
        return steps;
    }

    /**
     * Applies update number {@link #steps()} + 1 at learning rate {@code rate} (0 or more) to the model's
     * parameters from the gradient in {@link Model#gradients()} (of the mean loss over the batch,
     * the L2 term's included), checking first that every value of it is finite.
     *
     * @throws TrainingDivergedException if the gradient holds a NaN or an infinity; nothing changes
     */
    public void step(float rate) {
        // 0 is a rate: a cosine schedule with floor 0 ends there, and the trainer takes that step.
        if (!(rate >= 0) || !Float.isFinite(rate)) {
            throw new IllegalArgumentException("rate: expected a finite learning rate of 0 or more, found " + rate);
        }
        long n = model.layout().totalFloats();
        if (!model.kernels().allFinite(n, model.gradients().segment(), 0)) {
            throw Divergence.inGivenGradient(model, model.gradients(), steps);
        }
        apply(rate, steps + 1, 0, n);
        steps++;
    }

    /**
     * Applies update number {@code update} at {@code rate} to the parameters {@code from} to
     * {@code to} (exclusive) from the model's gradient, unchecked: a share of a step that the
     * caller has checked, on the thread the share belongs to. Allocates nothing.
     */
    void apply(float rate, long update, long from, long to) {
        optimizer.apply(model.kernels(), rate, update, from, to, model.parameters().segment(), model.gradients().segment(),
                state.length > 0 ? state[0].segment() : null, state.length > 1 ? state[1].segment() : null);
    }

    /**
     * What an updater carries from one update to the next, as values: the updates applied and
     * the optimizer's slabs (none for SGD, the velocity for momentum, Adam's two moments), each
     * in the order of {@link Model#parametersToArray()}. For a process that takes steps where the
     * updater of the previous ones may not be: a Spark task on another executor, or a retried one.
     */
    public record State(long steps, List<float[]> slabs) implements Serializable {
        public State {
            if (steps < 0) {
                throw new IllegalArgumentException("steps: expected 0 or more updates, found " + steps);
            }
            slabs = List.copyOf(slabs);
        }
    }

    /** A copy of this updater's state. */
    public State state() {
        return new State(steps, stateToArrays());
    }

    /**
     * Sets this updater's state to {@code saved} (from {@link #state()} of an updater of the same
     * optimizer and parameter layout): the next update is number {@code saved.steps() + 1}.
     */
    public void restore(State saved) {
        Objects.requireNonNull(saved, "state");
        if (saved.slabs().size() != state.length) {
            throw new IllegalArgumentException("state: expected " + state.length + " optimizer slabs for " + optimizer
                    + ", found " + saved.slabs().size());
        }
        stateFromArrays(saved.slabs());
        steps = saved.steps();
    }

    /** The optimizer state as arrays, one per slab, in the order of {@link Model#parametersToArray()}. */
    List<float[]> stateToArrays() {
        List<float[]> arrays = new ArrayList<>(state.length);
        for (Slab s : state) {
            arrays.add(model.toArray(s));
        }
        return arrays;
    }

    /** Sets the optimizer state from arrays made by {@link #stateToArrays()}. */
    void stateFromArrays(List<float[]> arrays) {
        for (int i = 0; i < state.length; i++) {
            model.fromArray(arrays.get(i), state[i]);
        }
    }

    /** Frees the optimizer state; the model stays open. */
    @Override
    public void close() {
        for (Slab s : state) {
            if (s != null) {
                s.close();
            }
        }
    }
}
