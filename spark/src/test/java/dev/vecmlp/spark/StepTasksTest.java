package dev.vecmlp.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * A partition's tasks without Spark: a round of parameter averaging continues from the state the
 * driver sends, wherever its task runs and however often it runs.
 */
class StepTasksTest {
    private static final int ROWS = 200;
    private static final TrainingBlock BLOCK = block();

    /** 200 rows of three Gaussian blobs in 12 dimensions, packed as a partition's task packs them. */
    private static TrainingBlock block() {
        SplittableRandom rng = new SplittableRandom(5);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            int y = rng.nextInt(3);
            double[] x = new double[12];
            for (int c = 0; c < 12; c++) {
                x[c] = rng.nextGaussian() + (c % 3 == y ? 1.5 : 0);
            }
            rows.add(RowFactory.create(Vectors.dense(x), (double) y));
        }
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        return TrainingBlock.pack(0, rows.iterator(), FeatureColumn.of(schema, "features"), "features", "label", true);
    }

    private static TrainShards.Plan plan(String fit, String optimizer) {
        Mlp spec = Mlp.input(12).dense(16, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        Scaling none = Scaling.ofKind(Scaling.Kind.NONE, 12);
        return new TrainShards.Plan(fit, NetSpec.of(spec), Scaling.Kind.NONE, none.offsets(), none.factors(), 3, 7L,
                new int[] {ROWS}, new int[] {32}, (ROWS + 31) / 32, optimizer, 0.1, 0.9, 1e-4);
    }

    private static Iterator<TrainingBlock> blocks() {
        return List.of(BLOCK).iterator();
    }

    private static StepTasks.Result round(TrainShards.Plan plan, float[] parameters, StepTasks.Result previous, long first) {
        float[] rates = new float[4];
        Arrays.fill(rates, 0.1f);
        Iterator<StepTasks.Result> it = StepTasks.localRound(plan, 0, blocks(), parameters, previous == null ? null : previous.state(),
                first, rates);
        return it.next();
    }

    @Test
    void aRoundContinuesFromTheDriversStateOnANewExecutorAndWhenRetried() {
        for (String optimizer : new String[] {"momentum", "adam"}) {
            TrainShards.Plan here = plan("here-" + optimizer, optimizer), moved = plan("moved-" + optimizer, optimizer);
            try (dev.vecmlp.nn.Model start = here.net().build().init(here.seed())) {
                float[] p0 = start.parametersToArray();
                StepTasks.Result a1 = round(here, p0, null, 0), a2 = round(here, a1.values(), a1, 4);

                // Another executor: the partition's shard (model, order, optimizer) is built afresh there.
                StepTasks.Result b1 = round(moved, p0, null, 0);
                TrainShards.release(moved.fitId());
                StepTasks.Result b2 = round(moved, b1.values(), b1, 4);
                assertArrayEquals(a2.values(), b2.values(), optimizer + ": the second round on a new executor");
                assertEquals(8, b2.state().steps());

                // A retried task, on the executor that already took the round's steps once.
                StepTasks.Result again = round(here, a1.values(), a1, 4);
                assertArrayEquals(a2.values(), again.values(), optimizer + ": the second round run twice");
                StepTasks.Result firstAgain = round(here, p0, null, 0);
                assertArrayEquals(a1.values(), firstAgain.values(), optimizer + ": the first round run twice");

                // Without the state the momentum starts again from zero: other weights.
                StepTasks.Result fresh = round(here, a1.values(), null, 4);
                assertFalse(Arrays.equals(a2.values(), fresh.values()), optimizer + ": the state matters");
            } finally {
                TrainShards.release(here.fitId());
                TrainShards.release(moved.fitId());
            }
        }
    }
}
