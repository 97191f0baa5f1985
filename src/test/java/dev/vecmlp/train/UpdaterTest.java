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

    /**
     * Three updates in one updater, its state serialized and restored into an updater of another
     * model with the same parameters, then two more updates in each: the same bits and the same
     * update count, as a Spark task that continues another executor's steps must get.
     */
    @ParameterizedTest
    @MethodSource("optimizers")
    void aStateRestoredElsewhereContinuesTheUpdatesBitForBit(Optimizer o) throws Exception {
        SplittableRandom rng = new SplittableRandom(11);
        float[][] gradients = new float[5][(int) NET.parameterCount()];
        for (float[] g : gradients) {
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rng.nextGaussian();
            }
        }
        try (Model first = NET.init(6); Model second = NET.init(7); Updater a = new Updater(first, o);
             Updater b = new Updater(second, o)) {
            for (int k = 0; k < 3; k++) {
                first.fromArray(gradients[k], first.gradients());
                a.step(0.01f);
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
                out.writeObject(a.state());
            }
            Updater.State travelled;
            try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
                travelled = (Updater.State) in.readObject();
            }
            second.setParameters(first.parametersToArray());
            b.restore(travelled);
            assertEquals(3, b.steps());
            for (int k = 3; k < 5; k++) {
                first.fromArray(gradients[k], first.gradients());
                a.step(0.01f);
                second.fromArray(gradients[k], second.gradients());
                b.step(0.01f);
            }
            assertArrayEquals(first.parametersToArray(), second.parametersToArray());
            assertEquals(a.steps(), b.steps());
            assertEquals(o.stateSlabs(), travelled.slabs().size());
        }
    }

    @Test
    void aStateOfAnotherOptimizerIsRefused() {
        try (Model m = NET.init(2); Updater adam = new Updater(m, Optimizer.adam(1e-3));
             Updater sgd = new Updater(m, Optimizer.sgd(0.1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.restore(sgd.state()));
            assertTrue(e.getMessage().startsWith("state: expected 2 optimizer slabs for "), e.getMessage());
            assertTrue(e.getMessage().endsWith(", found 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Updater.State(-1, java.util.List.of()));
            assertEquals("steps: expected 0 or more updates, found -1", e.getMessage());
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
