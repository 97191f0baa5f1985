package dev.vecmlp.nn;

import static dev.vecmlp.nn.MlpTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;

/** A predictor with a {@link WorkerPool}: large batches split across the threads, the same bits as one thread. */
class SplitPredictorTest {
    /** Widths of 16 and more, so the forward kernel's repacking path (from 128 rows at 512 bits) is taken. */
    private static final Mlp SPEC = Mlp.input(40).dense(48, Activation.TANH).dense(20, Activation.RELU)
            .dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
    /** Around the split threshold, the 4-row tiles, and the repacking threshold of 128 rows. */
    private static final int[] BATCHES = {1, 2, 15, 16, 31, 32, 33, 34, 50, 64, 127, 128, 129, 130, 200, 255, 256, 257, 258,
        290, 300};

    static Kernels[] kernels() {
        return new Kernels[] {KernelProvider.scalar(), KernelProvider.simd()};
    }

    private static float[] gaussian(long seed, int n) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextGaussian();
        }
        return a;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void aSplitBatchGivesTheBitsOfOneThread(Kernels kernels) {
        int max = BATCHES[BATCHES.length - 1];
        for (int threads : new int[] {2, 3}) {
            try (Model model = SPEC.init(7L, kernels);
                 WorkerPool pool = new WorkerPool(threads, "split-test");
                 Predictor one = model.predictor(max);
                 Predictor split = model.predictor(max, pool);
                 Arena arena = Arena.ofConfined()) {
                assertSame(pool, split.pool());
                int splitBatches = 0;
                for (int batch : BATCHES) {
                    float[] x = gaussian(batch, batch * SPEC.inputs());
                    float[] expected = new float[batch * SPEC.outputs()];
                    one.predict(x, expected);
                    float[] y = new float[expected.length];
                    split.predict(x, y);
                    assertArrayEquals(expected, y, threads + " threads, batch " + batch + ", float[]");

                    MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                    MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, expected.length);
                    split.predict(in, out, batch);
                    assertArrayEquals(expected, out.toArray(ValueLayout.JAVA_FLOAT),
                            threads + " threads, batch " + batch + ", MemorySegment");
                    if (split.splits(batch)) {
                        splitBatches++;
                    }
                }
                assertFalse(split.splits(1), "batch 1 stays on the calling thread");
                assertFalse(split.splits(threads * Predictor.SPLIT_MIN_ROWS - 1), "parts below the threshold");
                assertTrue(split.splits(threads * Predictor.SPLIT_MIN_ROWS), "parts of the threshold");
                assertTrue(splitBatches >= 3, threads + " threads: split " + splitBatches + " of the batches");
                assertFalse(one.splits(256), "no pool, no split");
            }
        }
    }

    @Test
    void aBatchIsSplitOnlyWhereEveryPartComputesAsTheWholeBatch() {
        Kernels k = KernelProvider.simd();
        try (Model model = SPEC.init(7L, k);
             WorkerPool pool = new WorkerPool(2, "split-test");
             Predictor p = model.predictor(300, pool)) {
            for (int batch : BATCHES) {
                int cut = batch / 2 / Predictor.SPLIT_ALIGN_ROWS * Predictor.SPLIT_ALIGN_ROWS;
                boolean sameSide = true;
                for (Layer layer : SPEC.layers()) {
                    boolean whole = k.scratchFloatsNT(batch, layer.outputs(), layer.inputs()) > 0;
                    for (int part : new int[] {cut, batch - cut}) {
                        sameSide &= whole == k.scratchFloatsNT(part, layer.outputs(), layer.inputs()) > 0;
                    }
                }
                assertEquals(cut >= Predictor.SPLIT_MIN_ROWS && sameSide, p.splits(batch), "batch " + batch);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void aNonFiniteInputInTheWorkersPartIsReportedByItsRowInTheBatch(Kernels kernels) {
        int batch = 64, row = 50, col = 3;
        try (Model model = SPEC.init(7L, kernels);
             WorkerPool pool = new WorkerPool(2, "split-test");
             Predictor report = model.predictor(batch, pool);
             Predictor reject = model.predictor(batch, Predictor.NonFiniteInput.REJECT, pool)) {
            assertTrue(report.splits(batch));
            float[] x = gaussian(3, batch * SPEC.inputs());
            x[row * SPEC.inputs() + col] = Float.NaN;
            float[] y = new float[batch * SPEC.outputs()];
            report.predict(x, y);
            assertTrue(report.lastCallHadNonFiniteInput());
            assertEquals(row, report.lastNonFiniteRow());
            assertEquals(col, report.lastNonFiniteColumn());
            assertEquals(1, report.nonFiniteInputCalls());

            float[] untouched = new float[y.length];
            java.util.Arrays.fill(untouched, 42f);
            float[] z = untouched.clone();
            assertRejected(IllegalArgumentException.class, () -> reject.predict(x, z),
                    "expected finite floats", "NaN", "row " + row, "column " + col);
            assertArrayEquals(untouched, z, "a rejected batch leaves the outputs as they were");
            assertEquals(row, reject.lastNonFiniteRow());

            x[row * SPEC.inputs() + col] = 0.5f;
            report.predict(x, y);
            assertFalse(report.lastCallHadNonFiniteInput(), "a finite call clears the report");
        }
    }

    @Test
    void aBusyPoolLeavesTheBatchToTheCallingThread() throws InterruptedException {
        int batch = 64;
        try (Model model = SPEC.init(7L, KernelProvider.simd());
             WorkerPool pool = new WorkerPool(2, "split-test");
             Predictor one = model.predictor(batch);
             Predictor split = model.predictor(batch, pool)) {
            float[] x = gaussian(5, batch * SPEC.inputs());
            float[] expected = new float[batch * SPEC.outputs()];
            one.predict(x, expected);

            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = new Thread(() -> pool.run((part, parts) -> {
                if (part == 0) {
                    started.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, 2));
            holder.start();
            try {
                assertTrue(started.await(10, TimeUnit.SECONDS), "the other thread's job started");
                float[] y = new float[expected.length];
                split.predict(x, y);
                assertArrayEquals(expected, y, "computed on the calling thread while the pool was busy");
                assertFalse(pool.tryRun((part, parts) -> { }, 2, false), "tryRun on a busy pool");
                assertRejected(IllegalStateException.class, () -> pool.run((part, parts) -> { }, 2),
                        "worker pool split-test", "in use by another thread");
            } finally {
                release.countDown();
                holder.join(10_000);
            }
            float[] y = new float[expected.length];
            split.predict(x, y);
            assertArrayEquals(expected, y, "split again once the pool is free");
        }
    }

    @Test
    void closingThePredictorLeavesThePoolToItsMaker() {
        try (WorkerPool pool = new WorkerPool(2, "split-test")) {
            try (Model model = SPEC.init(7L, KernelProvider.simd())) {
                Predictor p = model.predictor(64, pool);
                p.close();
                p.close();
            }
            int[] ran = new int[2];
            pool.run((part, parts) -> ran[part]++, 2);
            assertArrayEquals(new int[] {1, 1}, ran, "the pool still runs jobs");
        }
        WorkerPool closed = new WorkerPool(2, "split-test");
        closed.close();
        assertRejected(IllegalStateException.class, () -> closed.run((part, parts) -> { }, 2),
                "worker pool split-test", "closed");
        assertRejected(IllegalArgumentException.class, () -> new WorkerPool(0, "none"),
                "worker pool none", "expected at least 1 thread, found 0");
    }
}
