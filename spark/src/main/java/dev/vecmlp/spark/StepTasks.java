package dev.vecmlp.spark;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

import dev.vecmlp.nn.ChunkedGradient;
import dev.vecmlp.nn.Model;
import dev.vecmlp.train.Updater;

/** What the tasks of a fit run in their partitions, one step or one round at a time. */
final class StepTasks {
    private StepTasks() {
    }

    /**
     * A partition's part of a step: its rows, the sum of their losses (without the L2 term), and
     * a gradient (synchronous steps) or its parameters and its optimizer's state after a round of
     * local steps (averaging); {@code values} and {@code state} are null when the partition had no
     * rows in it, and {@code state} is null for synchronous steps.
     */
    record Result(int partition, int rows, double lossSum, float[] values, Updater.State state) implements Serializable {
    }

    /**
     * The gradient of partition {@code p}'s rows of step {@code step} of epoch {@code epoch}, as
     * a share of a batch of {@code batchTotal} rows over all partitions, the L2 term's gradient
     * included when {@code penalty} (one partition per step).
     */
    static Iterator<Result> gradient(TrainShards.Plan plan, int p, Iterator<TrainingBlock> blocks, float[] parameters,
                                     int epoch, int step, int batchTotal, boolean penalty) {
        int rows = plan.rows(p, step);
        if (rows == 0) {
            return List.of(new Result(p, 0, 0, null, null)).iterator();
        }
        TrainShards.Shard s = TrainShards.get(plan, p, blocks);
        synchronized (s) {
            s.toEpoch(epoch);
            s.model.setParameters(parameters);
            double loss = s.chunks.forwardBackward(rows, batchTotal, penalty, s.gradient,
                    rowsOf(s, step * plan.partitionBatch()[p]));
            return List.of(new Result(p, rows, loss, s.model.toArray(s.gradient), null)).iterator();
        }
    }

    /** Fills a chunk with the rows of the shard's current order from position {@code first} of its step on. */
    private static ChunkedGradient.Fill rowsOf(TrainShards.Shard s, int first) {
        return (from, rows, ws) -> s.data.copyBatch(s.order, first + from, rows, ws.inputs(), ws.targets());
    }

    /**
     * A round of parameter averaging in partition {@code p}: from {@code parameters} and its
     * optimizer's state after its previous round ({@code state}, null before its first), its own
     * optimizer takes the global steps {@code first .. first + rates.length} on its rows alone,
     * at those steps' rates; returns its parameters and its optimizer's state after them. The
     * state travels through the driver, not in the executor, so a task that runs on another
     * executor, or again after a failure, continues from the same state.
     */
    static Iterator<Result> localRound(TrainShards.Plan plan, int p, Iterator<TrainingBlock> blocks, float[] parameters,
                                       Updater.State state, long first, float[] rates) {
        int perEpoch = plan.stepsPerEpoch();
        int rowsInRound = 0;
        for (int j = 0; j < rates.length; j++) {
            rowsInRound += plan.rows(p, (int) ((first + j) % perEpoch));
        }
        if (rowsInRound == 0) {
            return List.of(new Result(p, 0, 0, null, null)).iterator();
        }
        TrainShards.Shard s = TrainShards.get(plan, p, blocks);
        synchronized (s) {
            Model m = s.model;
            m.setParameters(parameters);
            Updater local = s.local(state);
            double loss = 0;
            for (int j = 0; j < rates.length; j++) {
                long g = first + j;
                int step = (int) (g % perEpoch), rows = plan.rows(p, step);
                if (rows == 0) {
                    continue;
                }
                s.toEpoch((int) (g / perEpoch));
                loss += s.chunks.forwardBackward(rows, rows, true, m.gradients(),
                        rowsOf(s, step * plan.partitionBatch()[p]));
                local.step(rates[j]);
            }
            return List.of(new Result(p, rowsInRound, loss, m.parametersToArray(), local.state())).iterator();
        }
    }
}
