package dev.vecmlp.nn;

import static dev.vecmlp.nn.MlpTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;

/** A model's parameters, its checks, its lifecycle and its predictor. */
class ModelTest {
    /** Widths around the 16-float padding, so that every block has padding of some size. */
    private static final Mlp SPEC = Mlp.input(17).dense(33, Activation.TANH).dense(5, Activation.RELU)
            .dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(0.125).build();

    static Stream<Kernels> kernels() {
        return Stream.of(KernelProvider.scalar(), KernelProvider.simd());
    }

    private static float[] uniform(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return a;
    }

    /** A forward-backward pass over random data with labels; returns the loss. */
    private static double trainStep(Model model, int batch, long dataSeed) {
        SplittableRandom rng = new SplittableRandom(dataSeed);
        Mlp spec = model.spec();
        int[] labels = new int[batch];
        Arrays.setAll(labels, i -> rng.nextInt(spec.outputs()));
        try (Workspace ws = model.workspace(batch)) {
            ws.setInputs(uniform(rng, batch * spec.inputs()), batch);
            ws.setLabels(labels, batch);
            return model.forwardBackward(ws, batch);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Rejected values leave the model as it was.

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void nonFiniteWeightOrBiasIsRejectedAndNothingChanges(float bad) {
        try (Model model = SPEC.init(1L)) {
            float[] before = model.parametersToArray();
            assertRejected(IllegalArgumentException.class, () -> model.setWeight(1, 4, 2, bad),
                    "layer 1 weight [4][2]", "expected a finite value", "found " + bad);
            assertRejected(IllegalArgumentException.class, () -> model.setBias(2, 1, bad),
                    "layer 2 bias [1]", "expected a finite value", "found " + bad);
            assertArrayEquals(before, model.parametersToArray());
        }
    }

    @Test
    void weightAndBiasIndicesAreCheckedFromZero() {
        try (Model model = SPEC.init(1L)) {
            assertRejected(IndexOutOfBoundsException.class, () -> model.setWeight(3, 0, 0, 1f),
                    "layer", "expected 0 to 2", "found 3");
            assertRejected(IndexOutOfBoundsException.class, () -> model.setWeight(-1, 0, 0, 1f), "found -1");
            assertRejected(IndexOutOfBoundsException.class, () -> model.setWeight(0, 33, 0, 1f),
                    "layer 0 row", "expected 0 to 32", "found 33");
            assertRejected(IndexOutOfBoundsException.class, () -> model.setWeight(0, 0, 17, 1f),
                    "layer 0 column", "expected 0 to 16", "found 17");
            assertRejected(IndexOutOfBoundsException.class, () -> model.setBias(1, 5, 1f),
                    "layer 1 unit", "expected 0 to 4", "found 5");
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void setParametersChecksTheWholeArrayBeforeWriting(float bad) {
        try (Model model = SPEC.init(1L)) {
            float[] before = model.parametersToArray();
            float[] values = new float[before.length];
            Arrays.fill(values, 0.5f);
            // The very last value, the last bias: a check that wrote as it went would have
            // overwritten everything else by then.
            values[values.length - 1] = bad;
            assertRejected(IllegalArgumentException.class, () -> model.setParameters(values),
                    "layer 2 bias [2]", "expected a finite value", "found " + bad);
            assertArrayEquals(before, model.parametersToArray(), "parameters after a rejected setParameters");

            // W1[0][0] comes right after W0 (33 x 17) and b0 (33) in PyTorch order.
            Arrays.fill(values, 0.5f);
            values[33 * 17 + 33] = bad;
            assertRejected(IllegalArgumentException.class, () -> model.setParameters(values),
                    "layer 1 weight [0][0]", "found " + bad);
            assertArrayEquals(before, model.parametersToArray(), "parameters after a rejected setParameters");
        }
    }

    @Test
    void setParametersRejectsAWrongLength() {
        try (Model model = SPEC.init(1L)) {
            float[] before = model.parametersToArray();
            long n = SPEC.parameterCount();
            assertRejected(IllegalArgumentException.class, () -> model.setParameters(new float[(int) n - 1]),
                    "parameters", "expected " + n, "found " + (n - 1));
            assertRejected(IllegalArgumentException.class, () -> model.setParameters(new float[(int) n + 1]),
                    "expected " + n, "found " + (n + 1));
            assertArrayEquals(before, model.parametersToArray());
        }
    }

    // ----------------------------------------------------------------------------------------
    // Inputs, targets, labels and batches.

    @Test
    void workspaceRejectsWrongLengthsBatchesAndLabels() {
        try (Model model = SPEC.init(1L);
             Workspace ws = model.workspace(4)) {
            assertRejected(IllegalArgumentException.class, () -> ws.setInputs(new float[2 * 17 - 1], 2),
                    "inputs", "expected 34 floats (2 rows x 17)", "found 33");
            assertRejected(IllegalArgumentException.class, () -> ws.setTargets(new float[2 * 3 + 1], 2),
                    "targets", "expected 6 floats (2 rows x 3)", "found 7");
            assertRejected(IllegalArgumentException.class, () -> ws.setInputs(new float[5 * 17], 5),
                    "batch", "expected 1 to 4", "found 5");
            assertRejected(IllegalArgumentException.class, () -> ws.setInputs(new float[0], 0),
                    "batch", "found 0");
            assertRejected(IllegalArgumentException.class, () -> ws.setLabels(new int[] {0, 3}, 2),
                    "labels", "expected a class in [0, 3) at row 1", "found 3");
            assertRejected(IllegalArgumentException.class, () -> ws.setLabels(new int[] {-1}, 1),
                    "labels", "at row 0", "found -1");
            assertRejected(IllegalArgumentException.class, () -> ws.setLabels(new int[] {0, 1, 2}, 2),
                    "labels", "expected 2 labels", "found 3");
        }
    }

    @Test
    void passesRejectBatchesOutsideTheWorkspace() {
        try (Model model = SPEC.init(1L);
             Workspace ws = model.workspace(4)) {
            assertRejected(IllegalArgumentException.class, () -> model.forwardBackward(ws, 5),
                    "batch", "expected 1 to 4", "found 5");
            assertRejected(IllegalArgumentException.class, () -> model.forward(ws, 5), "found 5");
            assertRejected(IllegalArgumentException.class, () -> model.forward(ws, 0), "found 0");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void workspaceAndPredictorNeedAMaximumBatchOfAtLeastOne(int maxBatch) {
        try (Model model = SPEC.init(1L)) {
            assertRejected(IllegalArgumentException.class, () -> model.workspace(maxBatch),
                    "workspace", "expected a maximum batch >= 1", "found " + maxBatch);
            assertRejected(IllegalArgumentException.class, () -> model.predictor(maxBatch),
                    "expected a maximum batch >= 1", "found " + maxBatch);
        }
    }

    @Test
    void workspaceOfAnotherNetworkIsRejected() {
        Mlp other = Mlp.input(17).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        try (Model model = SPEC.init(1L);
             Model otherModel = other.init(1L);
             Workspace ws = otherModel.workspace(2)) {
            assertRejected(IllegalArgumentException.class, () -> model.forwardBackward(ws, 1),
                    "workspace", "expected one made for " + SPEC, "found one for " + other);
        }
    }

    @Test
    void predictorRejectsWrongLengthsAndBatches() {
        try (Model model = SPEC.init(1L);
             Predictor p = model.predictor(2);
             Arena arena = Arena.ofConfined()) {
            assertRejected(IllegalArgumentException.class, () -> p.predict(new float[16], new float[3]),
                    "input", "expected a positive multiple of 17", "found 16");
            assertRejected(IllegalArgumentException.class, () -> p.predict(new float[0], new float[0]),
                    "input", "found 0");
            assertRejected(IllegalArgumentException.class, () -> p.predict(new float[17], new float[4]),
                    "output", "expected 3 floats (1 rows x 3)", "found 4");
            assertRejected(IllegalArgumentException.class, () -> p.predict(new float[3 * 17], new float[9]),
                    "batch", "expected 1 to 2", "found 3");
            assertRejected(IllegalArgumentException.class, () -> p.classify(new float[18]),
                    "input", "expected 17 floats", "found 18");
            MemorySegment in = arena.allocate(ValueLayout.JAVA_FLOAT, 2 * 17);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, 2 * 3);
            assertRejected(IllegalArgumentException.class, () -> p.predict(in.asSlice(0, 4L * 33), out, 2),
                    "input", "expected at least 34 floats", "found a segment of 132 bytes");
            assertRejected(IllegalArgumentException.class, () -> p.predict(in, out.asSlice(0, 4L * 5), 2),
                    "output", "expected at least 6 floats");
            assertRejected(IllegalArgumentException.class, () -> p.predict(in, out, 3), "batch", "found 3");
        }
    }

    // ----------------------------------------------------------------------------------------
    // Lifecycle.

    @Test
    void closedModelThrowsIllegalStateExceptionEverywhere() {
        Model model = SPEC.init(1L);
        // A workspace of the same network from another model: one of this model's own would keep it open.
        try (Model other = SPEC.init(2L); Workspace ws = other.workspace(2)) {
            ws.setInputs(new float[2 * 17], 2);
            ws.setLabels(new int[] {0, 1}, 2);
            model.close();
            assertRejected(IllegalStateException.class, () -> model.forwardBackward(ws, 2), "model " + SPEC, "closed");
            assertThrows(IllegalStateException.class, () -> model.forward(ws, 2));
            assertThrows(IllegalStateException.class, () -> model.lossSum(ws, 2));
            assertThrows(IllegalStateException.class, () -> model.weights(0));
            assertThrows(IllegalStateException.class, () -> model.bias(0));
            assertThrows(IllegalStateException.class, () -> model.weightGradient(0));
            assertThrows(IllegalStateException.class, () -> model.setWeight(0, 0, 0, 1f));
            assertThrows(IllegalStateException.class, () -> model.setBias(0, 0, 1f));
            assertThrows(IllegalStateException.class, model::parametersToArray);
            assertThrows(IllegalStateException.class, model::gradientsToArray);
            assertThrows(IllegalStateException.class, () -> model.setParameters(new float[(int) SPEC.parameterCount()]));
            assertThrows(IllegalStateException.class, model::sumOfSquaredWeights);
            assertThrows(IllegalStateException.class, () -> model.newParameterSlab("state"));
            assertRejected(IllegalStateException.class, () -> model.workspace(1), "model " + SPEC, "closed");
            assertRejected(IllegalStateException.class, () -> model.predictor(1), "model " + SPEC, "closed");
            model.close();
            assertTrue(model.toString().contains("closed"), model.toString());
        }
    }

    @Test
    void closeIsRefusedWhilePredictorsOrWorkspacesOfTheModelAreOpen() {
        float[] x = uniform(new SplittableRandom(5), 17);
        Model model = SPEC.init(1L);
        Predictor p1 = model.predictor(1);
        Predictor p2 = model.predictor(1, Predictor.NonFiniteInput.REJECT);
        Workspace ws = model.workspace(1);
        float[] before = new float[3];
        p2.predict(x, before);
        assertRejected(IllegalStateException.class, model::close,
                "model " + SPEC, "2 predictors and 1 workspace still open; close them first");

        float[] after = new float[3];
        p2.predict(x, after);
        assertArrayEquals(before, after, "a prediction after the refused close");
        p1.close();
        p1.close();
        assertRejected(IllegalStateException.class, model::close, "1 predictor and 1 workspace still open");
        ws.close();
        ws.close();
        assertRejected(IllegalStateException.class, model::close, ": 1 predictor still open");
        assertRejected(IllegalArgumentException.class, () -> model.predictor(0), "expected a maximum batch >= 1");
        p2.close();
        model.close();
        assertTrue(model.toString().contains("closed"), model.toString());
        assertRejected(IllegalStateException.class, () -> p2.predict(x, after), "predictor for " + SPEC, "closed");
        assertRejected(IllegalStateException.class, () -> ws.setInputs(x, 1), "workspace for " + SPEC, "closed");
    }

    @Test
    void closedPredictorAndWorkspaceThrowWhileTheModelStaysUsable() {
        float[] x = uniform(new SplittableRandom(3), 17);
        try (Model model = SPEC.init(1L)) {
            Predictor p = model.predictor(1);
            float[] before = new float[3];
            p.predict(x, before);
            p.close();
            assertThrows(IllegalStateException.class, () -> p.predict(new float[17], new float[3]));
            assertThrows(IllegalStateException.class, () -> p.classify(new float[17]));
            Workspace ws = model.workspace(1);
            ws.close();
            assertThrows(IllegalStateException.class, () -> ws.setInputs(new float[17], 1));
            assertThrows(IllegalStateException.class, () -> model.forwardBackward(ws, 1));

            try (Predictor q = model.predictor(1)) {
                float[] after = new float[3];
                q.predict(x, after);
                assertArrayEquals(before, after, "a new predictor on the model after closing the old one");
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Parameters: order, round trip, determinism, initialisation, padding.

    @Test
    void parametersAreInPyTorchOrder() {
        try (Model model = SPEC.init(1L)) {
            // Give every parameter its own index as value, through the per-element setters, in
            // PyTorch's order: W0 row-major, b0, W1, b1, ...
            int at = 0;
            for (int l = 0; l < SPEC.depth(); l++) {
                Layer layer = SPEC.layer(l);
                for (int r = 0; r < layer.outputs(); r++) {
                    for (int c = 0; c < layer.inputs(); c++) {
                        model.setWeight(l, r, c, at++);
                    }
                }
                for (int u = 0; u < layer.outputs(); u++) {
                    model.setBias(l, u, at++);
                }
            }
            float[] expected = new float[at];
            for (int i = 0; i < at; i++) {
                expected[i] = i;
            }
            assertArrayEquals(expected, model.parametersToArray());
            assertEquals(at, SPEC.parameterCount());
        }
    }

    @Test
    void parametersRoundTripThroughAnArray() {
        try (Model a = SPEC.init(1L);
             Model b = SPEC.init(2L)) {
            SplittableRandom rng = new SplittableRandom(5);
            float[] values = uniform(rng, (int) SPEC.parameterCount());
            a.setParameters(values);
            assertArrayEquals(values, a.parametersToArray());
            b.setParameters(a.parametersToArray());
            assertArrayEquals(values, b.parametersToArray());
            assertEquals(values[33 * 17 + 33 + 2 * 33 + 7], a.weights(1).get(2, 7), "W1[2][7]");
            assertEquals(values[33 * 17 + 4], a.bias(0).get(0, 4), "b0[4]");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void sameSeedGivesBitwiseIdenticalParametersAndGradients(Kernels kernels) {
        try (Model a = SPEC.init(42L, kernels);
             Model b = SPEC.init(42L, kernels);
             Model c = SPEC.init(43L, kernels)) {
            assertArrayEquals(a.parametersToArray(), b.parametersToArray());
            assertFalse(Arrays.equals(a.parametersToArray(), c.parametersToArray()), "seeds 42 and 43 gave the same parameters");

            for (int batch : new int[] {1, 6}) {
                double lossA = trainStep(a, batch, 9L), lossB = trainStep(b, batch, 9L), lossC = trainStep(c, batch, 9L);
                assertEquals(Double.doubleToLongBits(lossA), Double.doubleToLongBits(lossB), "loss, batch " + batch);
                assertArrayEquals(a.gradientsToArray(), b.gradientsToArray(), "gradients, batch " + batch);
                assertTrue(lossA != lossC, "seeds 42 and 43 gave the same loss");
                assertFalse(Arrays.equals(a.gradientsToArray(), c.gradientsToArray()), "seeds 42 and 43 gave the same gradients");

                // The gradient slab is overwritten, not accumulated: the same pass again gives
                // the same gradients.
                float[] first = a.gradientsToArray();
                assertEquals(Double.doubleToLongBits(lossA), Double.doubleToLongBits(trainStep(a, batch, 9L)));
                assertArrayEquals(first, a.gradientsToArray(), "gradients of a repeated pass, batch " + batch);
            }
        }
    }

    @Test
    void forwardAloneLeavesTheGradientsAlone() {
        try (Model model = SPEC.init(6L)) {
            trainStep(model, 3, 1L);
            float[] gradients = model.gradientsToArray();
            try (Workspace ws = model.workspace(2)) {
                ws.setInputs(uniform(new SplittableRandom(2), 2 * SPEC.inputs()), 2);
                ws.setLabels(new int[] {2, 0}, 2);
                double loss = model.forward(ws, 2);
                assertArrayEquals(gradients, model.gradientsToArray(), "gradients after Model.forward");
                assertEquals(Double.doubleToLongBits(loss), Double.doubleToLongBits(model.forwardBackward(ws, 2)),
                        "forward and forwardBackward give the same loss");
            }
        }
    }

    @Test
    void initialisationIsTheSameOnEitherKernels() {
        try (Model a = SPEC.init(7L, KernelProvider.scalar());
             Model b = SPEC.init(7L, KernelProvider.simd())) {
            assertArrayEquals(a.parametersToArray(), b.parametersToArray());
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void initialisationHasTheHeOrGlorotVariance(Activation activation) {
        int in = 1000, out = 500;
        boolean he = activation == Activation.RELU || activation == Activation.SOFTPLUS;
        double variance = he ? 2.0 / in : 2.0 / (in + out);
        try (Model model = Mlp.input(in).dense(out, activation).loss(Loss.SQUARED_ERROR).build().init(2024L)) {
            float[] w = model.weights(0).toArray();
            double sum = 0, sumSq = 0;
            for (float v : w) {
                sum += v;
                sumSq += (double) v * v;
            }
            int n = w.length;
            double mean = sum / n, var = sumSq / n - mean * mean;
            // Five standard errors of the mean of n draws of variance `variance`.
            double meanTol = 5 * Math.sqrt(variance / n);
            assertTrue(Math.abs(mean) <= meanTol, () -> activation + " init mean: expected 0 ± " + meanTol + ", found " + mean);
            assertTrue(Math.abs(var - variance) <= 0.2 * variance,
                    () -> activation + " init variance: expected " + variance + " ± 20%, found " + var);
            if (!he) {
                // Glorot's uniform draw lies in ±sqrt(6 / (fan_in + fan_out)).
                float limit = (float) Math.sqrt(6.0 / (in + out));
                for (int i = 0; i < n; i++) {
                    int at = i;
                    assertTrue(Math.abs(w[i]) <= limit,
                            () -> activation + " Glorot init w[" + at + "]: expected |w| <= " + limit + ", found " + w[at]);
                }
            }
            assertArrayEquals(new float[out], model.bias(0).toArray(), "biases start at 0");
        }
    }

    @Test
    void layoutTilesTheSlabInAlignedBlocks() {
        try (Model model = SPEC.init(1L)) {
            ParameterLayout pl = model.layout();
            long at = 0;
            for (int l = 0; l < SPEC.depth(); l++) {
                Layer layer = SPEC.layer(l);
                assertEquals(at, pl.weightOffset(l), "weight offset of layer " + l);
                assertEquals(Matrix.paddedStride(layer.inputs()), pl.weightStride(l), "weight stride of layer " + l);
                at += (long) layer.outputs() * pl.weightStride(l);
                assertEquals(at, pl.biasOffset(l), "bias offset of layer " + l);
                at += Matrix.paddedStride(layer.outputs());
                assertEquals(0, pl.weightOffset(l) % Matrix.PAD, "layer " + l + " weights start on a 64-byte boundary");
                assertEquals(0, pl.biasOffset(l) % Matrix.PAD, "layer " + l + " bias starts on a 64-byte boundary");
            }
            assertEquals(at, pl.totalFloats());
            assertEquals(at, model.parameters().floats());
            assertEquals(at, model.gradients().floats());
        }
    }

    /** Every padding float of a slab with the model's layout, as "index: value" for the non-zero ones. */
    private static String nonZeroPadding(Model model, Slab slab) {
        ParameterLayout pl = model.layout();
        Mlp spec = model.spec();
        StringBuilder bad = new StringBuilder();
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            for (int r = 0; r < layer.outputs(); r++) {
                for (int c = layer.inputs(); c < pl.weightStride(l); c++) {
                    long i = pl.weightOffset(l) + (long) r * pl.weightStride(l) + c;
                    if (slab.get(i) != 0f) {
                        bad.append(" layer ").append(l).append(" weight row ").append(r).append(" pad col ").append(c)
                                .append(": ").append(slab.get(i)).append(';');
                    }
                }
            }
            for (int u = layer.outputs(); u < Matrix.paddedStride(layer.outputs()); u++) {
                long i = pl.biasOffset(l) + u;
                if (slab.get(i) != 0f) {
                    bad.append(" layer ").append(l).append(" bias pad ").append(u).append(": ").append(slab.get(i)).append(';');
                }
            }
        }
        return bad.toString();
    }

    static Stream<Arguments> kernelsAndBatches() {
        return kernels().flatMap(k -> Stream.of(1, 2, 7, 16).map(b -> Arguments.of(k, b)));
    }

    @ParameterizedTest(name = "{0} batch {1}")
    @MethodSource("kernelsAndBatches")
    void paddingStaysZeroInParametersAndGradients(Kernels kernels, int batch) {
        try (Model model = SPEC.init(3L, kernels)) {
            assertEquals("", nonZeroPadding(model, model.parameters()), "parameter padding after init");
            SplittableRandom rng = new SplittableRandom(8);
            model.setParameters(uniform(rng, (int) SPEC.parameterCount()));
            assertEquals("", nonZeroPadding(model, model.parameters()), "parameter padding after setParameters");
            for (int step = 0; step < 2; step++) {
                trainStep(model, batch, step);
                assertEquals("", nonZeroPadding(model, model.parameters()), "parameter padding after forwardBackward");
                assertEquals("", nonZeroPadding(model, model.gradients()), "gradient padding after forwardBackward");
            }
            // The L2 term sums whole padded blocks, which is Σ‖W‖² only while the padding is zero;
            // a float sum of N terms errs by at most N·2^-24 of the total.
            double sq = 0;
            float[] p = model.parametersToArray();
            int at = 0;
            for (Layer layer : SPEC.layers()) {
                for (int i = 0; i < layer.weightCount(); i++, at++) {
                    sq += (double) p[at] * p[at];
                }
                at += layer.outputs();
            }
            assertEquals(sq, model.sumOfSquaredWeights(), model.layout().totalFloats() * 0x1p-24 * sq, "Σ‖W‖²");
        }
    }

    // ----------------------------------------------------------------------------------------
    // Prediction.

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void predictPathsAgreeWithEachOtherAndWithTheWorkspace(Kernels kernels) {
        int batch = 5, in = SPEC.inputs(), out = SPEC.outputs();
        SplittableRandom rng = new SplittableRandom(12);
        float[] x = uniform(rng, batch * in);
        try (Model model = SPEC.init(4L, kernels);
             Predictor p = model.predictor(8);
             Workspace ws = model.workspace(batch);
             Arena arena = Arena.ofConfined()) {
            float[] viaArray = new float[batch * out];
            p.predict(x, viaArray);

            MemorySegment inSeg = arena.allocate(ValueLayout.JAVA_FLOAT, x.length);
            MemorySegment.copy(x, 0, inSeg, ValueLayout.JAVA_FLOAT, 0, x.length);
            MemorySegment outSeg = arena.allocate(ValueLayout.JAVA_FLOAT, viaArray.length);
            p.predict(inSeg, outSeg, batch);
            float[] viaNative = outSeg.toArray(ValueLayout.JAVA_FLOAT);

            float[] viaHeap = new float[viaArray.length];
            p.predict(MemorySegment.ofArray(x), MemorySegment.ofArray(viaHeap), batch);

            ws.setInputs(x, batch);
            ws.setLabels(new int[batch], batch);
            model.forward(ws, batch);
            float[] viaWorkspace = new float[viaArray.length];
            ws.outputs().copyRowsTo(viaWorkspace, 0, batch);

            // The same kernels on the same batch do the same operations in the same order, so
            // the results are bitwise equal, not merely close.
            assertArrayEquals(viaArray, viaNative, "predict(MemorySegment) against predict(float[])");
            assertArrayEquals(viaArray, viaHeap, "predict on heap segments against predict(float[])");
            assertArrayEquals(viaArray, viaWorkspace, "Model.forward outputs against predict(float[])");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void classifyReturnsTheIndexOfTheLargestOutput(Kernels kernels) {
        int in = SPEC.inputs(), out = SPEC.outputs();
        SplittableRandom rng = new SplittableRandom(13);
        try (Model model = SPEC.init(5L, kernels);
             Predictor p = model.predictor(1)) {
            for (int trial = 0; trial < 50; trial++) {
                float[] x = uniform(rng, in);
                float[] y = new float[out];
                p.predict(x, y);
                int argmax = 0;
                for (int j = 1; j < out; j++) {
                    if (y[j] > y[argmax]) {
                        argmax = j;
                    }
                }
                assertEquals(argmax, p.classify(x), "classify against argmax of " + Arrays.toString(y));
            }

            // Outputs fixed by the last layer's biases alone: 0.1, 0.9, 0.3.
            float[] params = new float[(int) SPEC.parameterCount()];
            params[params.length - 2] = 0.9f;
            params[params.length - 3] = 0.1f;
            params[params.length - 1] = 0.3f;
            model.setParameters(params);
            assertEquals(1, p.classify(uniform(rng, in)));
        }
    }

    // ----------------------------------------------------------------------------------------
    // Closed models and workspaces, and the shards of a data-parallel step

    @Test
    void aClosedModelRefusesItsSlabsAndFreesBoth() {
        Model model = SPEC.init(1L);
        Slab parameters = model.parameters(), gradients = model.gradients();
        assertFalse(model.toString().contains("closed"), model.toString());
        model.close();
        assertTrue(parameters.isClosed(), "parameters freed");
        assertTrue(gradients.isClosed(), "gradients freed");
        assertRejected(IllegalStateException.class, model::parameters, "model " + SPEC, "closed");
        assertRejected(IllegalStateException.class, model::gradients, "model " + SPEC, "closed");
    }

    @Test
    void aPassOverAClosedOrForeignWorkspaceIsRefused() {
        Mlp other = Mlp.input(17).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        try (Model model = SPEC.init(1L); Model otherModel = other.init(1L); Workspace foreign = otherModel.workspace(2)) {
            Workspace ws = model.workspace(2);
            ws.close();
            assertRejected(IllegalStateException.class, () -> model.forward(ws, 1), "workspace for " + SPEC, "closed");
            assertRejected(IllegalStateException.class, () -> model.lossSum(ws, 1), "workspace for " + SPEC, "closed");
            assertRejected(IllegalArgumentException.class, () -> model.lossSum(foreign, 1),
                    "workspace: expected one made for " + SPEC);
        }
    }

    /**
     * Two shards of a 5-row batch add up to the batch's gradient, with λW in the shard that asks
     * for it and only there; their loss sums add up to the batch's.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void shardsAddUpToTheBatch(Kernels kernels) {
        int batch = 5, first = 2;
        SplittableRandom rng = new SplittableRandom(8);
        float[] x = uniform(rng, batch * SPEC.inputs());
        int[] labels = {0, 2, 1, 1, 0};
        try (Model model = SPEC.init(4L, kernels);
             Workspace whole = model.workspace(batch);
             Workspace ws0 = model.workspace(first);
             Workspace ws1 = model.workspace(batch - first);
             Slab shard1 = model.newParameterSlab("shard 1");
             Slab withoutPenalty = model.newParameterSlab("shard 0 without penalty")) {
            whole.setInputs(x, batch);
            whole.setLabels(labels, batch);
            double mean = model.forwardBackward(whole, batch);
            float[] expected = model.gradientsToArray();
            double lossSum = model.lossSum(whole, batch);
            assertEquals(mean, lossSum / batch + 0.5 * SPEC.l2() * model.sumOfSquaredWeights(), 1e-6 * Math.abs(mean));

            ws0.setInputs(Arrays.copyOf(x, first * SPEC.inputs()), first);
            ws0.setLabels(Arrays.copyOf(labels, first), first);
            ws1.setInputs(Arrays.copyOfRange(x, first * SPEC.inputs(), x.length), batch - first);
            ws1.setLabels(Arrays.copyOfRange(labels, first, batch), batch - first);
            double sum = model.forwardBackwardShard(ws0, first, batch, true, model.gradients())
                    + model.forwardBackwardShard(ws1, batch - first, batch, false, shard1);
            model.forwardBackwardShard(ws0, first, batch, false, withoutPenalty);
            assertEquals(lossSum, sum, 1e-6 * lossSum, "the shards' loss sums");

            float[] g0 = model.gradientsToArray(), g1 = toArray(model, shard1), bare = toArray(model, withoutPenalty);
            float[] w = model.parametersToArray();
            int at = 0;
            for (int l = 0; l < SPEC.depth(); l++) {
                Layer layer = SPEC.layer(l);
                int weights = layer.outputs() * layer.inputs();
                for (int i = at; i < at + weights + layer.outputs(); i++) {
                    boolean weight = i < at + weights;
                    assertEquals(expected[i], g0[i] + g1[i], 1e-6, "shard sum, parameter " + i);
                    assertEquals(weight ? SPEC.l2() * w[i] : 0f, g0[i] - bare[i], 1e-6, "the penalty term, parameter " + i);
                }
                at += weights + layer.outputs();
            }
        }
    }

    /** A slab of the parameter layout, in the order of {@link Model#parametersToArray()}. */
    private static float[] toArray(Model model, Slab slab) {
        float[] out = new float[(int) model.spec().parameterCount()];
        int at = 0;
        for (int l = 0; l < model.spec().depth(); l++) {
            Layer layer = model.spec().layer(l);
            slab.matrix(model.layout().weightOffset(l), layer.outputs(), layer.inputs(), model.layout().weightStride(l))
                    .copyTo(out, at);
            at += layer.outputs() * layer.inputs();
            slab.matrix(model.layout().biasOffset(l), 1, layer.outputs()).copyTo(out, at);
            at += layer.outputs();
        }
        return out;
    }

    @Test
    void shardArgumentsAreChecked() {
        try (Model model = SPEC.init(1L);
             Workspace ws = model.workspace(3);
             Slab small = Slab.allocate("small", model.layout().totalFloats() - 1);
             Slab exact = model.newParameterSlab("exact")) {
            ws.setInputs(new float[3 * SPEC.inputs()], 3);
            ws.setLabels(new int[3], 3);
            assertRejected(IllegalArgumentException.class, () -> model.forwardBackwardShard(ws, 3, 3, true, small),
                    "gradients: expected a slab of at least " + model.layout().totalFloats(), "found " + small.floats());
            assertRejected(IllegalArgumentException.class, () -> model.forwardBackwardShard(ws, 3, 2, true, exact),
                    "batchTotal: expected at least the shard's 3 rows, found 2");
            // A shard may be the whole batch, into a slab of exactly the layout's size.
            assertTrue(model.forwardBackwardShard(ws, 3, 3, true, exact) > 0);
            Slab closed = model.newParameterSlab("closed");
            closed.close();
            assertRejected(IllegalStateException.class, () -> model.forwardBackwardShard(ws, 3, 3, true, closed),
                    "slab 'closed(" + SPEC + ")' is closed");
        }
    }
}
