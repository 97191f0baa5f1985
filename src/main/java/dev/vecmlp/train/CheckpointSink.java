package dev.vecmlp.train;

import java.io.IOException;

/**
 * Receives a {@link TrainingState} after every epoch of {@link Trainer#fit} or
 * {@link Trainer#resume}, once the epoch's early-stopping bookkeeping is done; set it with
 * {@link Trainer.Builder#checkpoints}. It runs on the training thread between epochs.
 *
 * <pre>{@code
 * Trainer.builder(model, optimizer)
 *         .checkpoints(state -> CheckpointFile.write(Path.of("run.ckpt.safetensors"), state, scaling, Map.of()))
 *         .build();
 * }</pre>
 */
@FunctionalInterface
public interface CheckpointSink {
    /**
     * Keeps {@code state}, for example in a file.
     *
     * @throws IOException if it cannot; the run stops with an {@link java.io.UncheckedIOException}
     *                     around it
     */
    void save(TrainingState state) throws IOException;
}
