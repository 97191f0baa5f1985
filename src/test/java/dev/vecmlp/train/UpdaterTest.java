package dev.vecmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/** {@link Updater}: the trainer's update from a gradient computed elsewhere, and the arrays it travels as. */
class UpdaterTest {
    private static final Mlp NET = Mlp.input(12).dense(24, Activation.RELU).dense(17, Activation.TANH).dense(3, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-3).build();

    static Stream<Optimizer> optimizers() {
        return Stream.of(Optimizer.sgd(0.05), Optimizer.sgd(0.05).momentum(0.9).weightDecay(1e-4),
                Optimizer.sgd(0.05).momentum(0.9).nesterov(), Optimizer.adam(1e-3));
    }

    /**
     * Each batch's gradient computed by hand (one shard), sent through an array as it would
     * travel between processes, and applied by an Updater: the trainer's weights, bit for bit.
     */
    @ParameterizedTest
    @MethodSource("optimizers")
    void aGradientFromElsewhereGivesTheTrainersWeights(Optimizer o) {
        int batch = 16;
        try (Dataset d = TrainerTest.blobs(100, 1); Model byTrainer = NET.init(5); Model byHand = NET.init(5);
             Trainer t = Trainer.builder(byTrainer, o).batch(batch).shards(1).threads(1).build();
             Updater u = new Updater(byHand, o); Workspace ws = byHand.workspace(batch);
             Slab g = byHand.newParameterSlab("a shard's gradient")) {
            int[] order = new int[d.size()];
            Arrays.setAll(order, i -> i);
            for (int from = 0; from < d.size(); from += batch) {
                int rows = Math.min(batch, d.size() - from);
                t.trainBatch(d, order, from, rows);

                d.copyBatch(order, from, rows, ws.inputs(), ws.targets());
                byHand.forwardBackwardShard(ws, rows, rows, true, g);
                float[] travelled = byHand.toArray(g);
                byHand.fromArray(travelled, byHand.gradients());
                u.step(o.learningRate());
            }
            assertEquals(7, u.steps());
            assertArrayEquals(byTrainer.parametersToArray(), byHand.parametersToArray());
        }
    }

    @Test
    void aNonFiniteGradientIsRefusedNamingWhereAndChangesNothing() {
        try (Model m = NET.init(2); Updater u = new Updater(m, Optimizer.adam(1e-3))) {
            float[] g = new float[(int) NET.parameterCount()];
            Arrays.fill(g, 0.5f);
            m.fromArray(g, m.gradients());
            u.step(1e-3f);
            float[] before = m.parametersToArray();
            int layer1Bias = 24 * 12 + 24 + 17 * 24 + 4; // layer 1's bias, unit 4
            g[layer1Bias] = Float.NaN;
            m.fromArray(g, m.gradients());
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> u.step(1e-3f));
            assertTrue(e.getMessage().startsWith("update 2: expected a finite gradient, found a NaN or infinity in layer 1's bias"
                    + " gradient db at row 0, column 4 (NaN)"), e.getMessage());
            assertEquals(1, e.layer());
            assertEquals("db", e.tensor());
            assertArrayEquals(before, m.parametersToArray());
            assertEquals(1, u.steps());
        }
    }

    @Test
    void arraysRoundTripThroughAnySlabOfTheLayoutWithZeroPadding() {
        try (Model m = NET.init(3); Slab s = m.newParameterSlab("state")) {
            SplittableRandom rng = new SplittableRandom(4);
            float[] v = new float[(int) NET.parameterCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rng.nextGaussian();
            }
            s.segment().fill((byte) 0x7f); // garbage in the padding, to be cleared
            m.fromArray(v, s);
            assertArrayEquals(v, m.toArray(s));
            float sum = 0;
            for (long i = 0; i < s.floats(); i++) {
                sum += Math.abs(s.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i));
            }
            double expected = 0;
            for (float x : v) {
                expected += Math.abs(x);
            }
            assertEquals(expected, sum, 1e-2, "no padding value survives: only the parameters are non-zero");
            assertFalse(Arrays.equals(v, m.parametersToArray()), "the model's own parameters are untouched");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.fromArray(new float[3], s));
            assertTrue(e.getMessage().startsWith("values: expected " + NET.parameterCount() + " floats"), e.getMessage());
        }
    }

    @Test
    void theCommandLinesOptimizerNames() {
        assertEquals(Optimizer.sgd(0.05).momentum(0.9), Optimizer.named("--optimizer", "Momentum", null, 0.9, 0));
        assertEquals(Optimizer.adam(1e-3).weightDecay(1e-4), Optimizer.named("--optimizer", "adam", null, 0.9, 1e-4));
        assertEquals(Optimizer.sgd(0.2).momentum(0.5).nesterov(), Optimizer.named("x", "nesterov", 0.2, 0.5, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.named("optimizer", "rmsprop", null, 0.9, 0));
        assertEquals("optimizer: expected sgd, momentum, nesterov or adam, found 'rmsprop'", e.getMessage());
    }
}
