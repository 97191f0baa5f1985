package dev.vecmlp.nn;

import static dev.vecmlp.nn.MlpTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;

/** A batch's forward and backward pass in shards on a pool: the shard count fixes the bits, not the threads. */
class ShardedPassTest {
    static final Mlp SPEC = Mlp.input(40).dense(48, Activation.TANH).dense(20, Activation.RELU)
            .dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-3).build();
    private static final int MAX = 256;

    static Kernels[] kernels() {
        return new Kernels[] {KernelProvider.scalar(), KernelProvider.simd()};
    }

    private record Result(double loss, double forwardLoss, float[] gradients) {
    }

    /** A batch of Gaussian inputs for {@link #SPEC}, the same for the same size. */
    static float[] inputs(int batch) {
        SplittableRandom rng = new SplittableRandom(batch);
        float[] x = new float[batch * SPEC.inputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    /** Uniform class labels for {@link #SPEC}, the same for the same size. */
    static int[] labels(int batch) {
        SplittableRandom rng = new SplittableRandom(-batch);
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = rng.nextInt(SPEC.outputs());
        }
        return t;
    }

    private static Result run(Kernels kernels, int threads, int shards, int batch) {
        try (Model model = SPEC.init(9L, kernels);
             WorkerPool pool = new WorkerPool(threads, "sharded-test");
             ShardedPass pass = new ShardedPass(model, pool, shards, MAX)) {
            pass.setInputs(inputs(batch), batch);
            pass.setLabels(labels(batch), batch);
            double forward = pass.forward(batch);
            double loss = pass.forwardBackward(batch);
            return new Result(loss, forward, model.gradientsToArray());
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void oneThreadAndTwoThreadsGiveTheSameBits(Kernels kernels) {
        for (int shards : new int[] {2, 3}) {
            for (int batch : new int[] {1, 2, 7, 64, 129, 256}) {
                Result one = run(kernels, 1, shards, batch);
                Result two = run(kernels, 2, shards, batch);
                String what = shards + " shards, batch " + batch;
                assertArrayEquals(one.gradients(), two.gradients(), what + ": gradients");
                assertEquals(one.loss(), two.loss(), 0.0, what + ": loss");
                assertEquals(one.loss(), one.forwardLoss(), 0.0, what + ": forward alone gives the same loss");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void oneShardIsTheModelsOwnPassBitForBit(Kernels kernels) {
        int batch = 130;
        Result sharded = run(kernels, 2, 1, batch);
        try (Model model = SPEC.init(9L, kernels); Workspace ws = model.workspace(batch)) {
            ws.setInputs(inputs(batch), batch);
            ws.setLabels(labels(batch), batch);
            double loss = model.forwardBackward(ws, batch);
            assertEquals(loss, sharded.loss(), 0.0, "loss");
            assertArrayEquals(model.gradientsToArray(), sharded.gradients(), "gradients");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void twoShardsAddUpToTheWholeBatchsGradient(Kernels kernels) {
        int batch = 256;
        Result sharded = run(kernels, 2, 2, batch);
        try (Model model = SPEC.init(9L, kernels); Workspace ws = model.workspace(batch)) {
            ws.setInputs(inputs(batch), batch);
            ws.setLabels(labels(batch), batch);
            double loss = model.forwardBackward(ws, batch);
            float[] whole = model.gradientsToArray();
            float largest = 0;
            for (float g : whole) {
                largest = Math.max(largest, Math.abs(g));
            }
            for (int i = 0; i < whole.length; i++) {
                // The shards add the rows in another order: float32 rounding, no more.
                assertEquals(whole[i], sharded.gradients()[i], 1e-5f * largest, "gradient " + i);
            }
            assertEquals(loss, sharded.loss(), 1e-6 * Math.abs(loss), "loss");
            assertTrue(largest > 0, "a gradient to compare");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void aFeedFillsEachShardWithItsRowsOnTheThreadThatRunsIt(Kernels kernels) {
        int batch = 7;
        float[] x = inputs(batch);
        int[] y = labels(batch);
        Result preset = run(kernels, 2, 3, batch);
        try (Model model = SPEC.init(9L, kernels);
             WorkerPool pool = new WorkerPool(2, "sharded-test");
             ShardedPass pass = new ShardedPass(model, pool, 3, MAX)) {
            int in = SPEC.inputs();
            int[] filled = new int[3], doneRows = new int[3];
            ShardedPass.Feed feed = new ShardedPass.Feed() {
                @Override
                public void fill(int shard, int from, int rows, Workspace ws) {
                    ws.inputs().copyRowsFrom(x, from * in, rows);
                    ws.setLabelRows(y, from, rows);
                    filled[shard] = from;
                }

                @Override
                public void done(int shard, int from, int rows, Workspace ws) {
                    doneRows[shard] = rows;
                }
            };
            double sum = pass.forwardBackward(batch, feed, false);
            // Shard s of 7 rows in 3 holds rows [7s/3, 7(s+1)/3): 0-1, 2-3, 4-6.
            assertArrayEquals(new int[] {0, 2, 4}, filled, "first rows of the shards");
            assertArrayEquals(new int[] {2, 2, 3}, doneRows, "rows of the shards");
            assertEquals(3, pass.activeShards());
            assertEquals(3, pass.shardRows(2));
            assertTrue(pass.gradientsFinite(), "a finite gradient");
            assertArrayEquals(preset.gradients(), model.gradientsToArray(), "the same bits as setInputs and setLabels");
            assertEquals(preset.loss(), sum / batch + 0.5 * SPEC.l2() * model.sumOfSquaredWeights(), 1e-12);
            assertEquals(sum, pass.forwardBackward(batch, feed, true), 0.0, "the caller alone: the same sum");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void aNonFiniteGradientIsReportedAfterTheSum(Kernels kernels) {
        int batch = 8;
        float[] x = inputs(batch);
        x[5 * SPEC.inputs() + 3] = Float.NaN;   // row 5: in the second shard
        try (Model model = SPEC.init(9L, kernels);
             WorkerPool pool = new WorkerPool(2, "sharded-test");
             ShardedPass pass = new ShardedPass(model, pool, 2, MAX)) {
            pass.setInputs(inputs(batch), batch);
            pass.setLabels(labels(batch), batch);
            pass.forwardBackward(batch);
            assertTrue(pass.gradientsFinite(), "finite inputs, a finite gradient");
            pass.setInputs(x, batch);
            pass.forwardBackward(batch);
            assertTrue(!pass.gradientsFinite(), "a NaN input in shard 1 makes the summed gradient non-finite");
        }
    }

    /** Runs a chunked pass (shards of 100 rows in chunks of 48) over 200 rows through a feed; returns the gradient. */
    private static float[] chunked(Kernels kernels, int threads, float[] x, int[] y, java.util.List<String> calls, double[] loss) {
        int in = SPEC.inputs();
        try (Model model = SPEC.init(9L, kernels);
             WorkerPool pool = new WorkerPool(threads, "sharded-test");
             ShardedPass pass = new ShardedPass(model, pool, 2, 200, 48)) {
            assertEquals(48, pass.shard(0).maxBatch(), "a shard's workspace holds a chunk");
            ShardedPass.Feed feed = new ShardedPass.Feed() {
                @Override
                public void fill(int shard, int from, int rows, Workspace ws) {
                    ws.inputs().copyRowsFrom(x, from * in, rows);
                    ws.setLabelRows(y, from, rows);
                    synchronized (calls) {
                        calls.add("fill " + shard + " " + from + " " + rows);
                    }
                }

                @Override
                public void done(int shard, int from, int rows, Workspace ws) {
                    synchronized (calls) {
                        calls.add("done " + shard + " " + from + " " + rows);
                    }
                }
            };
            loss[0] = pass.forwardBackward(200, feed, false);
            assertTrue(pass.gradientsFinite());
            assertEquals(96, pass.heldFrom(0), "the last chunk of shard 0: its rows 96-99");
            assertEquals(4, pass.heldRows(1));
            return model.gradientsToArray();
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void largeShardsRunInChunksWithTheSameBitsOnOneAndTwoThreads(Kernels kernels) {
        float[] x = inputs(200);
        int[] y = labels(200);
        java.util.List<String> one = new java.util.ArrayList<>(), two = new java.util.ArrayList<>();
        double[] loss1 = new double[1], loss2 = new double[1];
        float[] g1 = chunked(kernels, 1, x, y, one, loss1), g2 = chunked(kernels, 2, x, y, two, loss2);
        assertArrayEquals(g1, g2, "1 and 2 threads");
        assertEquals(loss1[0], loss2[0], 0.0);
        // Shard s holds rows [100s, 100s + 100): chunks of 48, 48 and 4, each filled, then done, in turn.
        assertEquals(java.util.List.of("fill 0 0 48", "done 0 0 48", "fill 0 48 48", "done 0 48 48", "fill 0 96 4", "done 0 96 4",
                "fill 1 100 48", "done 1 100 48", "fill 1 148 48", "done 1 148 48", "fill 1 196 4", "done 1 196 4"), one);

        // Each shard's chunks as ChunkedGradient computes them, then the shards added in order.
        try (Model model = SPEC.init(9L, kernels); ChunkedGradient c = new ChunkedGradient(model, 48);
             dev.vecmlp.memory.Slab g = model.newParameterSlab("g0"); dev.vecmlp.memory.Slab h = model.newParameterSlab("g1")) {
            int in = SPEC.inputs();
            double sum = 0;
            for (int s = 0; s < 2; s++) {
                int lo = 100 * s;
                sum += c.forwardBackward(100, 200, s == 0, s == 0 ? g : h, (from, rows, ws) -> {
                    ws.inputs().copyRowsFrom(x, (lo + from) * in, rows);
                    ws.setLabelRows(y, lo + from, rows);
                });
            }
            float[] a = model.toArray(g), b = model.toArray(h);
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
            assertArrayEquals(a, g1, "the shards' chunked gradients, added in shard order");
            assertEquals(sum, loss1[0], 0.0);
        }
    }

    @Test
    void aChunkedPassTakesItsLargeShardsFromAFeedOnlyAndSaysWhereItStopped() {
        try (Model model = SPEC.init(9L, KernelProvider.simd());
             WorkerPool pool = new WorkerPool(1, "sharded-test");
             ShardedPass pass = new ShardedPass(model, pool, 2, 200, 48)) {
            assertRejected(IllegalArgumentException.class, () -> pass.setInputs(inputs(200), 200), "setInputs: a batch of 200 rows",
                    "shards of up to 100 rows", "(48 rows", "expected at most 96 rows, or the rows through a Feed");
            assertRejected(IllegalArgumentException.class, () -> pass.forward(120), "forward: a batch of 120 rows");
            pass.setInputs(inputs(96), 96);
            pass.setLabels(labels(96), 96);
            assertTrue(Double.isFinite(pass.forwardBackward(96)), "shards of 48 rows fit: preset rows work");

            float[] x = inputs(200);
            x[150 * SPEC.inputs() + 2] = Float.NaN;   // shard 1's row 50: its second chunk, rows 48-95
            int[] y = labels(200);
            int in = SPEC.inputs();
            ShardedPass.Feed feed = (shard, from, rows, ws) -> {
                ws.inputs().copyRowsFrom(x, from * in, rows);
                ws.setLabelRows(y, from, rows);
            };
            pass.forwardBackward(200, feed, false);
            assertTrue(!pass.gradientsFinite());
            assertEquals(48, pass.heldFrom(1), "shard 1 stopped at the chunk with the NaN");
            assertEquals(48, pass.heldRows(1));
            assertTrue(!Float.isFinite(pass.shard(1).inputs().get(150 - 100 - 48, 2)), "which the workspace holds");
        }
    }

    @Test
    void badArgumentsAreRejectedNamingWhatWasExpected() {
        try (Model model = SPEC.init(9L, KernelProvider.simd());
             WorkerPool pool = new WorkerPool(1, "sharded-test");
             ShardedPass pass = new ShardedPass(model, pool, 2, 8)) {
            assertRejected(IllegalArgumentException.class, () -> pass.forwardBackward(9), "batch", "expected 1 to 8", "found 9");
            assertRejected(IllegalArgumentException.class, () -> pass.setInputs(new float[3], 2),
                    "inputs", "expected 80 floats", "found 3");
            int[] bad = {0, 10};
            assertRejected(IllegalArgumentException.class, () -> pass.setLabels(bad, 2),
                    "labels", "[0, 10)", "row 1", "found 10");
            assertRejected(IllegalArgumentException.class, () -> new ShardedPass(model, pool, 0, 8),
                    "shards", "at least 1", "found 0");
        }
    }
}
