package dev.vecmlp.train;

/**
 * Hears about a run as it goes. {@link #batchEnd} is called on the training thread after every
 * step, so it must be quick and should not allocate if the run is to stay allocation-free.
 */
public interface TrainingListener {
    /**
     * After step {@code batch} (0-based) of {@code batches} in epoch {@code epoch}.
     *
     * @param loss the batch's mean loss, without the L2 term
     */
    default void batchEnd(int epoch, int batch, int batches, double loss) {
    }

    /** After each epoch, with its figures. */
    default void epochEnd(EpochStats stats) {
    }
}
