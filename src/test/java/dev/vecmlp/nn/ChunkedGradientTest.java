package dev.vecmlp.nn;

import static dev.vecmlp.nn.MlpTest.assertRejected;
import static dev.vecmlp.nn.ShardedPassTest.SPEC;
import static dev.vecmlp.nn.ShardedPassTest.inputs;
import static dev.vecmlp.nn.ShardedPassTest.labels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.memory.Slab;

/**
 * A shard's gradient in chunks: each chunk's gradient added in row order, one chunk as the
 * model's own shard pass. The network, inputs and labels are ShardedPassTest's: a pass in chunks
 * is a shard's pass.
 */
class ChunkedGradientTest {
    /** Fills a chunk from rows {@code [from, from + rows)} of {@code x} and {@code y}, and records where each chunk began. */
    private static ChunkedGradient.Fill fill(float[] x, int[] y, List<Integer> starts) {
        return (from, rows, ws) -> {
            ws.inputs().copyRowsFrom(x, from * SPEC.inputs(), rows);
            ws.setLabelRows(y, from, rows);
            starts.add(from);
        };
    }

    /** The model's own shard pass over rows {@code [from, from + rows)} into {@code into}. */
    private static double shard(Model model, float[] x, int[] y, int from, int rows, int total, boolean penalty, Slab into) {
        try (Workspace ws = model.workspace(rows)) {
            ws.inputs().copyRowsFrom(x, from * SPEC.inputs(), rows);
            ws.setLabelRows(y, from, rows);
            return model.forwardBackwardShard(ws, rows, total, penalty, into);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.vecmlp.nn.ShardedPassTest#kernels")
    void chunksAreTheShardPassesOfTheirRowsAddedInRowOrder(Kernels kernels) {
        int rows = 53, total = 100, chunk = 16;
        float[] x = inputs(rows);
        int[] y = labels(rows);
        try (Model model = SPEC.init(3L, kernels);
             ChunkedGradient chunks = new ChunkedGradient(model, chunk);
             Slab g = model.newParameterSlab("chunked");
             Slab part = model.newParameterSlab("part")) {
            List<Integer> starts = new ArrayList<>();
            double sum = chunks.forwardBackward(rows, total, true, g, fill(x, y, starts));
            assertEquals(List.of(0, 16, 32, 48), starts, "the chunks' first rows");
            assertTrue(chunks.gradientsFinite());

            double expectedSum = 0;
            float[] expected = null;
            for (int from = 0; from < rows; from += chunk) {
                int n = Math.min(chunk, rows - from);
                expectedSum += shard(model, x, y, from, n, total, from == 0, part);
                float[] p = model.toArray(part);
                if (expected == null) {
                    expected = p;
                } else {
                    for (int i = 0; i < p.length; i++) {
                        expected[i] += p[i];
                    }
                }
            }
            assertArrayEquals(expected, model.toArray(g), "the chunks' gradients added in row order, the L2 term once");
            assertEquals(expectedSum, sum, 0.0, "the loss sum");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.vecmlp.nn.ShardedPassTest#kernels")
    void chunksAddUpToTheWholeShardsGradient(Kernels kernels) {
        int rows = 200, total = 200;
        float[] x = inputs(rows);
        int[] y = labels(rows);
        try (Model model = SPEC.init(3L, kernels);
             ChunkedGradient chunks = new ChunkedGradient(model, 48);
             Slab g = model.newParameterSlab("chunked");
             Slab whole = model.newParameterSlab("whole")) {
            double sum = chunks.forwardBackward(rows, total, true, g, fill(x, y, new ArrayList<>()));
            double wholeSum = shard(model, x, y, 0, rows, total, true, whole);
            float[] a = model.toArray(whole), b = model.toArray(g);
            float largest = 0;
            for (float v : a) {
                largest = Math.max(largest, Math.abs(v));
            }
            assertTrue(largest > 0, "a gradient to compare");
            for (int i = 0; i < a.length; i++) {
                // The chunks add the rows in another order: float32 rounding, no more.
                assertEquals(a[i], b[i], 1e-5f * largest, "gradient " + i);
            }
            assertEquals(wholeSum, sum, 1e-6 * Math.abs(wholeSum), "loss sum");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.vecmlp.nn.ShardedPassTest#kernels")
    void aShardOfOneChunkIsTheModelsShardPassBitForBit(Kernels kernels) {
        int rows = 30;
        float[] x = inputs(rows);
        int[] y = labels(rows);
        try (Model model = SPEC.init(3L, kernels);
             ChunkedGradient chunks = new ChunkedGradient(model, 32);
             Slab g = model.newParameterSlab("chunked");
             Slab one = model.newParameterSlab("one")) {
            double sum = chunks.forwardBackward(rows, 64, false, g, fill(x, y, new ArrayList<>()));
            assertEquals(shard(model, x, y, 0, rows, 64, false, one), sum, 0.0);
            assertArrayEquals(model.toArray(one), model.toArray(g));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.vecmlp.nn.ShardedPassTest#kernels")
    void aNonFiniteGradientIsReportedInAnyChunk(Kernels kernels) {
        int rows = 40;
        int[] y = labels(rows);
        try (Model model = SPEC.init(3L, kernels);
             ChunkedGradient chunks = new ChunkedGradient(model, 16);
             Slab g = model.newParameterSlab("chunked")) {
            for (int bad : new int[] {3, 20, 39}) {
                float[] x = inputs(rows);
                chunks.forwardBackward(rows, rows, true, g, fill(x, y, new ArrayList<>()));
                assertTrue(chunks.gradientsFinite(), "finite inputs, a finite gradient");
                x[bad * SPEC.inputs() + 1] = Float.NaN;
                List<Integer> starts = new ArrayList<>();
                chunks.forwardBackward(rows, rows, true, g, fill(x, y, starts));
                assertFalse(chunks.gradientsFinite(), "a NaN in row " + bad);
                assertEquals(bad / 16 * 16, chunks.heldFrom(), "it stopped at the chunk of row " + bad);
                assertEquals(Math.min(16, rows - bad / 16 * 16), chunks.heldRows());
                assertEquals(bad / 16 + 1, starts.size(), "no chunk after it");
                assertFalse(Float.isFinite(chunks.workspace().inputs().get(bad % 16, 1)), "the workspace holds it");
                chunks.forwardBackward(10, rows, true, g, fill(x, y, new ArrayList<>()));
                assertEquals(bad >= 10, chunks.gradientsFinite(), "rows 0-9 alone, one chunk, the NaN " + (bad >= 10 ? "not " : "")
                        + "among them");
            }
        }
    }

    @Test
    void theChunkHoldsAboutTwoMegabytesOfTheWidestLayer() {
        Mlp mnist = Mlp.input(784).dense(128, Activation.LOGISTIC).dense(10, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        // 2 MiB / (784 x 4 B) = 668 rows, down to a multiple of 16.
        assertEquals(656, ChunkedGradient.rowsFor(mnist, 60_000));
        assertEquals(100, ChunkedGradient.rowsFor(mnist, 100), "never more than the shard's rows");
        assertEquals(1024, ChunkedGradient.rowsFor(SPEC, 60_000), "narrow layers: at most 1,024 rows");
        Mlp wide = Mlp.input(8192).dense(16_384, Activation.RELU).dense(10, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        assertEquals(64, ChunkedGradient.rowsFor(wide, 60_000), "wide layers: at least 64 rows");
    }

    @Test
    void badArgumentsAreRejectedNamingWhatWasExpected() {
        try (Model model = SPEC.init(3L, KernelProvider.simd());
             ChunkedGradient chunks = new ChunkedGradient(model, 8);
             Slab g = model.newParameterSlab("g")) {
            ChunkedGradient.Fill none = (from, rows, ws) -> { };
            assertRejected(IllegalArgumentException.class, () -> chunks.forwardBackward(0, 8, true, g, none),
                    "rows", "at least 1", "found 0");
            assertRejected(IllegalArgumentException.class, () -> chunks.forwardBackward(9, 8, true, g, none),
                    "batchTotal", "at least the shard's 9 rows", "found 8");
            assertRejected(IllegalArgumentException.class, () -> new ChunkedGradient(model, 0),
                    "chunkRows", "at least 1", "found 0");
            assertRejected(IllegalArgumentException.class, () -> ChunkedGradient.rowsFor(SPEC, 0),
                    "maxRows", "at least 1", "found 0");
        }
    }
}
