package dev.vecmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.SteadyState;
import dev.vecmlp.nn.Workspace;

class TrainerTest {
    private static final Mlp NET = Mlp.input(12)
            .dense(24, Activation.RELU)
            .dense(17, Activation.TANH)
            .dense(3, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY)
            .l2(1e-3)
            .build();

    /** Three Gaussian blobs in 12 dimensions: learnable, not trivially. */
    static Dataset blobs(int rows, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[rows * 12];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) {
            y[r] = rng.nextInt(3);
            for (int c = 0; c < 12; c++) {
                x[r * 12 + c] = (float) (rng.nextGaussian() + (c % 3 == y[r] ? 1.5 : 0));
            }
        }
        return Dataset.ofClassification("blobs", x, 12, y, 3);
    }

    private static float[] train(int threads, int shards, long seed, Optimizer o) {
        try (Dataset d = blobs(203, 1); Model m = NET.init(5);
             Trainer t = Trainer.builder(m, o).batch(16).epochs(3).seed(seed).threads(threads).shards(shards).build()) {
            t.fit(d, null);
            return m.parametersToArray();
        }
    }

    @Test
    void theSameSeedGivesTheSameBits() {
        Optimizer o = Optimizer.sgd(0.05).momentum(0.9).weightDecay(1e-4);
        assertArrayEquals(train(1, 2, 9, o), train(1, 2, 9, o));
        assertFalse(java.util.Arrays.equals(train(1, 2, 9, o), train(1, 2, 10, o)), "another seed shuffles differently");
    }

    @Test
    void oneThreadAndTwoThreadsGiveTheSameBits() {
        for (Optimizer o : List.of(Optimizer.sgd(0.05).momentum(0.9), Optimizer.adam(1e-3).weightDecay(1e-4))) {
            assertArrayEquals(train(1, 2, 3, o), train(2, 2, 3, o), o.toString());
            assertArrayEquals(train(1, 3, 3, o), train(2, 3, 3, o), o + ", 3 shards");
        }
    }

    @Test
    void shardGradientsAddUpToTheBatchGradient() {
        try (Dataset d = blobs(8, 2); Model m = NET.init(7); Workspace whole = m.workspace(8);
             Workspace a = m.workspace(5); Workspace b = m.workspace(5)) {
            int[] order = Evaluator.identity(8);
            d.copyBatch(order, 0, 8, whole.inputs(), whole.targets());
            double loss = m.forwardBackward(whole, 8);
            float[] expected = m.gradientsToArray();
            try (var shard = m.newParameterSlab("shard")) {
                d.copyBatch(order, 0, 5, a.inputs(), a.targets());
                d.copyBatch(order, 5, 3, b.inputs(), b.targets());
                double sum = m.forwardBackwardShard(a, 5, 8, true, m.gradients())
                        + m.forwardBackwardShard(b, 3, 8, false, shard);
                m.kernels().axpy(shard.floats(), 1f, shard.segment(), 0, m.gradients().segment(), 0);
                float[] got = m.gradientsToArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(expected[i], got[i], 1e-6f + 1e-5f * Math.abs(expected[i]), "parameter " + i);
                }
                assertEquals(loss - 0.5 * NET.l2() * m.sumOfSquaredWeights(), sum / 8, 1e-6, "loss without the L2 term");
            }
        }
    }

    @Test
    void trainingLowersTheLossAndReportsEveryEpoch() {
        List<EpochStats> seen = new ArrayList<>();
        int[] batches = new int[1];
        try (Dataset d = blobs(400, 3); Dataset v = blobs(100, 4); Model m = NET.init(1);
             Trainer t = Trainer.builder(m, Optimizer.sgd(0.1).momentum(0.9)).batch(32).epochs(6).seed(1)
                     .schedule(Schedule.step(2, 0.5))
                     .listener(new TrainingListener() {
                         @Override
                         public void batchEnd(int epoch, int batch, int total, double loss) {
                             assertEquals(13, total);
                             batches[0]++;
                         }

                         @Override
                         public void epochEnd(EpochStats stats) {
                             seen.add(stats);
                         }
                     }).build()) {
            Evaluation before = t.evaluate(v);
            TrainingHistory h = t.fit(d, v);
            assertEquals(6, seen.size());
            assertEquals(6 * 13, batches[0]);
            assertEquals(seen, h.epochs());
            assertTrue(h.last().trainLoss() < seen.get(0).trainLoss(), "training loss falls");
            assertTrue(h.last().validation().loss() < before.loss() / 2, "validation loss falls: " + before + " -> " + h.last());
            assertTrue(h.last().validation().accuracy() > 0.8, "validation accuracy " + h.last().validation());
            assertEquals(0.1f, seen.get(1).learningRate(), 1e-7);
            assertEquals(0.05f, seen.get(2).learningRate(), 1e-7);
            assertEquals(0.025f, seen.get(5).learningRate(), 1e-7);
            assertEquals(5, h.bestEpoch());
            assertFalse(h.stoppedEarly());
        }
    }

    @Test
    void learnsXorWithTwoLayers() {
        float[] x = {0, 0, 0, 1, 1, 0, 1, 1};
        int[] y = {0, 1, 1, 0};
        Mlp net = Mlp.input(2).dense(8, Activation.TANH).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).build();
        try (Dataset d = Dataset.ofClassification("xor", x, 2, y, 2); Model m = net.init(3);
             Trainer t = Trainer.builder(m, Optimizer.sgd(0.5).momentum(0.9)).batch(4).epochs(500).seed(3).build()) {
            t.fit(d, null);
            Evaluation e = t.evaluate(d);
            assertEquals(1.0, e.accuracy(), "all four XOR cases right; loss " + e.loss());
        }
    }

    @Test
    void learnsARegression() {
        SplittableRandom rng = new SplittableRandom(4);
        float[] x = new float[300 * 3], y = new float[300];
        for (int r = 0; r < 300; r++) {
            for (int c = 0; c < 3; c++) {
                x[r * 3 + c] = (float) rng.nextGaussian();
            }
            y[r] = (float) Math.sin(x[r * 3]) + 0.5f * x[r * 3 + 1] * x[r * 3 + 2];
        }
        Mlp net = Mlp.input(3).dense(32, Activation.TANH).dense(1, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        try (Dataset d = Dataset.ofRegression("regression", x, 3, y, 1); Model m = net.init(2);
             Trainer t = Trainer.builder(m, Optimizer.adam(0.01)).batch(30).epochs(100).seed(2).build()) {
            double before = t.evaluate(d).loss();
            t.fit(d, null);
            Evaluation after = t.evaluate(d);
            assertTrue(after.loss() < before / 10, before + " -> " + after.loss());
            assertTrue(Double.isNaN(after.accuracy()), "no accuracy for regression");
        }
    }

    @Test
    void earlyStoppingKeepsTheBestEpoch() {
        // Validation labels are the training labels rotated: the better the fit, the worse the validation loss.
        try (Dataset d = blobs(200, 5)) {
            float[] x = d.featureMatrix().toArray();
            int[] rotated = new int[200];
            for (int r = 0; r < 200; r++) {
                rotated[r] = (d.label(r) + 1) % 3;
            }
            List<float[]> snapshots = new ArrayList<>();
            try (Dataset v = Dataset.ofClassification("rotated", x, 12, rotated, 3); Model m = NET.init(6);
                 Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).batch(20).epochs(30).earlyStopping(2).seed(6)
                         .listener(new TrainingListener() {
                             @Override
                             public void epochEnd(EpochStats stats) {
                                 snapshots.add(null);
                             }
                         }).build()) {
                // Snapshots after each epoch, via a second listener that sees the model.
                TrainingHistory h = t.fit(d, v);
                assertTrue(h.stoppedEarly(), "stopped early: " + h.epochs().size() + " epochs");
                assertEquals(h.bestEpoch() + 3, h.epochs().size(), "stopped 2 epochs after the best");
                double bestLoss = h.epochs().get(h.bestEpoch()).validation().loss();
                for (EpochStats s : h.epochs()) {
                    assertTrue(s.validation().loss() >= bestLoss);
                }
                assertEquals(bestLoss, t.evaluate(v).loss(), 1e-12, "the model holds the best epoch's weights");
            }
        }
    }

    @Test
    void earlyStoppingWithANeverFiniteValidationLossKeepsTheTrainedWeights() {
        try (Dataset d = blobs(100, 12); Dataset v = blobs(20, 13); Model m = NET.init(12);
             Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).batch(20).epochs(10).earlyStopping(2).seed(12).build()) {
            v.featureMatrix().set(3, 0, Float.NaN);
            TrainingHistory h = t.fit(d, v);
            assertTrue(Double.isNaN(h.epochs().get(0).validation().loss()));
            assertTrue(h.stoppedEarly());
            assertEquals(h.epochs().size() - 1, h.bestEpoch(), "no epoch was better: the last one is kept");
            float[] w = m.parametersToArray();
            double sumAbs = 0;
            for (float x : w) {
                assertTrue(Float.isFinite(x));
                sumAbs += Math.abs(x);
            }
            assertTrue(sumAbs > 1, "the trained weights, not an empty snapshot: " + sumAbs);
        }
    }

    @Test
    void aDivergingRunStopsWithTheWeightsFromBeforeTheStep() {
        List<float[]> after = new ArrayList<>();
        Mlp relu = Mlp.input(12).dense(24, Activation.RELU).dense(17, Activation.RELU).dense(3, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        try (Dataset d = blobs(64, 7); Model m = relu.init(8)) {
            float[] initial = m.parametersToArray();
            try (Trainer t = Trainer.builder(m, Optimizer.sgd(1e30)).batch(16).epochs(5).seed(8)
                    .listener(new TrainingListener() {
                        @Override
                        public void batchEnd(int epoch, int batch, int batches, double loss) {
                            after.add(m.parametersToArray());
                        }
                    }).build()) {
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(d, null));
                assertEquals(after.size(), e.step(), "the step that failed is the one after the last that finished");
                assertArrayEquals(after.isEmpty() ? initial : after.get(after.size() - 1), m.parametersToArray(),
                        "weights from before the failing step");
                assertNotNull(e.tensor());
                assertTrue(e.getMessage().contains("step " + e.step()) && e.getMessage().contains("layer"), e.getMessage());
                assertTrue(e.layer() >= -1 && e.layer() < 3, e.getMessage());
            }
        }
    }

    @Test
    void aStateIsTakenOnlyAtTheEndOfAnEpoch() {
        List<IllegalStateException> midEpoch = new ArrayList<>();
        Trainer[] self = new Trainer[1];
        try (Dataset d = blobs(64, 14); Model m = NET.init(14);
             Trainer t = Trainer.builder(m, Optimizer.sgd(0.1).momentum(0.9)).batch(16).epochs(2).seed(14)
                     .listener(new TrainingListener() {
                         @Override
                         public void batchEnd(int epoch, int batch, int batches, double loss) {
                             if (batch == 1) {
                                 midEpoch.add(assertThrows(IllegalStateException.class, self[0]::state));
                             }
                         }
                     }).build()) {
            self[0] = t;
            IllegalStateException before = assertThrows(IllegalStateException.class, t::state);
            assertTrue(before.getMessage().contains("one that has not run fit"), before.getMessage());
            t.fit(d, null);
            assertEquals(2, midEpoch.size());
            assertTrue(midEpoch.get(1).getMessage().contains("inside epoch 1"), midEpoch.get(1).getMessage());
            TrainingState s = t.state();
            assertEquals(2, s.epochsDone());
            assertEquals(8, s.steps());
            assertEquals(64, s.rows());
            assertArrayEquals(m.parametersToArray(), s.parameters());
            t.trainBatch(d, Evaluator.identity(64), 0, 16);
            IllegalStateException after = assertThrows(IllegalStateException.class, t::state);
            assertTrue(after.getMessage().contains("trainBatch ran since"), after.getMessage());
        }
    }

    @Test
    void resumingAStateInMemoryContinuesTheSameRun() {
        Optimizer o = Optimizer.adam(1e-2);
        try (Dataset d = blobs(101, 15); Model straight = NET.init(15); Model halves = NET.init(15)) {
            try (Trainer t = Trainer.builder(straight, o).batch(16).epochs(4).seed(3).schedule(Schedule.cosine(0)).build()) {
                t.fit(d, null);
            }
            List<TrainingState> states = new ArrayList<>();
            try (Trainer t = Trainer.builder(halves, o).batch(16).epochs(4).seed(3).schedule(Schedule.cosine(0))
                    .checkpoints(states::add).build()) {
                t.fit(d, null);
            }
            TrainingState second = states.get(1);
            try (Model m = second.newModel(); Trainer t = Trainer.builder(m, second).build()) {
                TrainingHistory h = t.resume(second, d, null);
                assertEquals(2, h.epochs().getFirst().epoch());
                assertEquals(4, h.epochs().getFirst().epochs());
                assertArrayEquals(straight.parametersToArray(), m.parametersToArray());
            }
        }
    }

    @Test
    void aNaNInTheDataIsTracedToTheInput() {
        try (Dataset d = blobs(32, 9); Model m = NET.init(9)) {
            d.featureMatrix().set(5, 3, Float.NaN);
            float[] initial = m.parametersToArray();
            int[] order = Evaluator.identity(32);
            try (Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).batch(32).epochs(1).threads(2).build()) {
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.trainBatch(d, order, 0, 32));
                assertEquals("input", e.tensor(), e.getMessage());
                assertEquals(-1, e.layer());
                assertTrue(e.getMessage().contains("row 5, column 3"), e.getMessage());
                assertArrayEquals(initial, m.parametersToArray());
            }
        }
    }

    /**
     * A batch of 2,500 rows in one shard runs in chunks of 1,024 (ChunkedGradient.rowsFor for
     * these narrow layers): the epoch's accuracy counts every chunk's rows, and a NaN in the last
     * chunk is traced to its row of the batch.
     */
    @Test
    void aLargeShardRunsInChunksCountingEveryRowAndTracingANaNToItsRow() {
        try (Dataset d = blobs(2500, 9); Model m = NET.init(9)) {
            double before;
            try (Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).batch(2500).shards(1).epochs(1).seed(3).threads(2).build()) {
                before = t.evaluate(d).accuracy();
                TrainingHistory h = t.fit(d, null);
                // One step an epoch: the rows were classified with the weights from before it.
                assertEquals(before, h.epochs().getFirst().trainAccuracy(), 1e-12, "all 2,500 rows counted");
            }
            d.featureMatrix().set(2100, 3, Float.NaN);
            float[] initial = m.parametersToArray();
            int[] order = Evaluator.identity(2500);
            try (Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).batch(2500).shards(1).epochs(1).threads(2).build()) {
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.trainBatch(d, order, 0, 2500));
                assertEquals("input", e.tensor(), e.getMessage());
                assertTrue(e.getMessage().contains("the input batch (the data set holds a NaN or infinity) at row 2100, column 3"),
                        e.getMessage());
                assertArrayEquals(initial, m.parametersToArray());
            }
        }
    }

    @Test
    void anOverflowingGradientIsTracedBeforeTheUpdate() {
        // Squared error on outputs near the float limit: the loss overflows to infinity first.
        Mlp net = Mlp.input(2).dense(2, Activation.LINEAR).dense(1, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        try (Dataset d = Dataset.ofRegression("big", new float[] {3e19f, 3e19f}, 2, new float[] {0f}, 1);
             Model m = net.init(1); Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).batch(1).epochs(1).build()) {
            float[] initial = m.parametersToArray();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(d, null));
            assertEquals(0, e.step());
            assertArrayEquals(initial, m.parametersToArray());
            assertTrue(e.getMessage().contains("step 0"), e.getMessage());
        }
    }

    @Test
    void mismatchedDataIsRejectedWithTheReason() {
        try (Dataset wide = Dataset.ofClassification("wide", new float[13], 13, new int[] {0}, 3);
             Dataset binary = Dataset.ofClassification("binary", new float[12], 12, new int[] {1}, 2);
             Model m = NET.init(1); Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.fit(wide, null));
            assertTrue(e.getMessage().contains("12") && e.getMessage().contains("13"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.fit(binary, null));
            assertTrue(e.getMessage().contains("2 classes") && e.getMessage().contains("3"), e.getMessage());
        }
        assertThrows(NullPointerException.class, () -> Trainer.builder(null, Optimizer.sgd(1)));
    }

    @Test
    void anUnlabeledSetIsRejectedForTrainingAndEvaluationSayingItHasNoLabels() {
        try (Dataset features = Dataset.unlabeled("features", 4, 12); Dataset labeled = blobs(8, 1);
             Model m = NET.init(1); Trainer t = Trainer.builder(m, Optimizer.sgd(0.1)).build()) {
            for (Executable call : List.<Executable>of(() -> t.fit(features, null), () -> t.fit(labeled, features),
                    () -> t.evaluate(features))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
                assertTrue(e.getMessage().startsWith("features is an unlabeled set") && e.getMessage().contains("found none"),
                        e.getMessage());
            }
        }
    }

    @Test
    void aStepAllocatesNothingOnceCompiled() {
        for (int nThreads : new int[] {1, 2}) {
            for (Optimizer o : List.of(Optimizer.sgd(0.01).momentum(0.9).nesterov(), Optimizer.adam(1e-4))) {
                try (Dataset d = blobs(64, 11); Model m = NET.init(11);
                     Trainer t = Trainer.builder(m, o).batch(64).threads(nThreads).build()) {
                    int[] order = Evaluator.identity(64);
                    // A step of this small network is a few microseconds, so its kernels reach C2
                    // only after thousands of steps (until then the Vector API boxes).
                    long bytes = SteadyState.bytes(() -> {
                        for (int i = 0; i < 200; i++) {
                            t.trainBatch(d, order, 0, i % 2 == 0 ? 64 : 37);
                        }
                    });
                    assertEquals(0, bytes, o + ", " + nThreads + " thread(s): bytes per 200 steps");
                }
            }
        }
    }
}
