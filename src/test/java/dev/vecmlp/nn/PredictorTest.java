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
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;

/** The predictor's handling of NaN and infinite inputs, its warm-up, its checks and its use by one thread at a time. */
class PredictorTest {
    /** 17 inputs: a padded row holds one full 16-float vector and a tail of one. */
    private static final Mlp SPEC = Mlp.input(17).dense(33, Activation.TANH).dense(5, Activation.RELU)
            .dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
    private static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    /** {@code n} floats uniform in [-1, 1). */
    static float[] uniform(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return a;
    }

    /**
     * {@link Predictor#uniformRows}: a row predicted in a batch padded to that many rows, or in
     * batches of 37 whose short last one is padded, has the bits it has in one batch of 200 (the
     * batching of ./vecmlp predict against a Spark partition's). The kernels' own test shows the
     * order changing below that size at 512 bits.
     */
    @Test
    void paddedToItsUniformRowsABatchGivesEveryRowTheBitsOfAnyOther() {
        int rows = 200, in = SPEC.inputs(), out = SPEC.outputs();
        float[] x = uniform(new SplittableRandom(5), rows * in);
        try (Model m = SPEC.init(9); Predictor p = m.predictor(rows)) {
            int u = p.uniformRows();
            assertEquals(m.kernels().uniformRowsNT(), u);
            float[] whole = new float[rows * out];
            p.predict(x, whole);
            float[] padIn = new float[rows * in], padOut = new float[rows * out];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(x, r * in, padIn, 0, in);
                p.predict(MemorySegment.ofArray(padIn), MemorySegment.ofArray(padOut), u);
                assertArrayEquals(Arrays.copyOfRange(whole, r * out, (r + 1) * out), Arrays.copyOf(padOut, out),
                        "row " + r + " first of a batch of " + u);
            }
            for (int from = 0; from < rows; from += 37) {
                int n = Math.min(37, rows - from);
                Arrays.fill(padIn, 0f);
                System.arraycopy(x, from * in, padIn, 0, n * in);
                p.predict(MemorySegment.ofArray(padIn), MemorySegment.ofArray(padOut), Math.max(n, u));
                assertArrayEquals(Arrays.copyOfRange(whole, from * out, (from + n) * out), Arrays.copyOf(padOut, n * out),
                        "rows " + from + " to " + (from + n - 1) + " in a batch of their own");
            }
        }
    }

    /** Every kernel set, every kind of non-finite value, at the first, a middle and the last place of a batch of 4. */
    static Stream<Arguments> badInputs() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), KernelProvider.simd()}) {
            for (float bad : BAD) {
                for (int[] at : new int[][] {{0, 0}, {1, 15}, {3, 16}}) {
                    cases.add(Arguments.of(k, bad, at[0], at[1]));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0}, {1} at row {2}, column {3}")
    @MethodSource("badInputs")
    void byDefaultANonFiniteInputIsComputedAndReported(Kernels kernels, float bad, int row, int col) {
        int batch = 4, in = SPEC.inputs(), out = SPEC.outputs();
        float[] x = uniform(new SplittableRandom(21), batch * in);
        try (Model model = SPEC.init(3L, kernels);
             Predictor p = model.predictor(batch)) {
            assertEquals(Predictor.NonFiniteInput.REPORT, p.nonFiniteInput());
            float[] clean = new float[batch * out];
            p.predict(x, clean);
            assertFalse(p.lastCallHadNonFiniteInput(), "a finite batch");
            assertEquals(-1, p.lastNonFiniteRow());
            assertEquals(-1, p.lastNonFiniteColumn());

            // A second one at the end of the batch: the first in row order is the one reported.
            x[(batch - 1) * in + in - 1] = Float.NaN;
            x[row * in + col] = bad;
            float[] y = new float[batch * out];
            p.predict(x, y);
            assertTrue(p.lastCallHadNonFiniteInput(), "the report of the call");
            assertEquals(row, p.lastNonFiniteRow(), "row");
            assertEquals(col, p.lastNonFiniteColumn(), "column");
            assertEquals(1, p.nonFiniteInputCalls(), "calls with a non-finite input");
            // Rows are independent: the others give the same bits as before.
            for (int r = 0; r < batch - 1; r++) {
                if (r != row) {
                    assertArrayEquals(Arrays.copyOfRange(clean, r * out, (r + 1) * out),
                            Arrays.copyOfRange(y, r * out, (r + 1) * out), "row " + r);
                }
            }

            float[] one = Arrays.copyOfRange(x, row * in, (row + 1) * in);
            p.classify(one);
            assertEquals(0, p.lastNonFiniteRow(), "classify: one row");
            assertEquals(col, p.lastNonFiniteColumn(), "classify: column");
            assertEquals(2, p.nonFiniteInputCalls());

            p.predict(uniform(new SplittableRandom(2), in), new float[out]);
            assertFalse(p.lastCallHadNonFiniteInput(), "a finite call clears the report");
            assertEquals(-1, p.lastNonFiniteColumn());
            assertEquals(2, p.nonFiniteInputCalls(), "the count stays");
        }
    }

    @ParameterizedTest(name = "{0}, {1} at row {2}, column {3}")
    @MethodSource("badInputs")
    void aRejectingPredictorNamesTheRowAndColumnAndLeavesTheOutputsAlone(Kernels kernels, float bad, int row, int col) {
        int batch = 4, in = SPEC.inputs(), out = SPEC.outputs();
        float[] x = uniform(new SplittableRandom(22), batch * in);
        try (Model model = SPEC.init(3L, kernels);
             Predictor strict = model.predictor(batch, Predictor.NonFiniteInput.REJECT);
             Predictor lenient = model.predictor(batch);
             Arena arena = Arena.ofConfined()) {
            float[] expected = new float[batch * out];
            lenient.predict(x, expected);
            float[] y = new float[batch * out];
            strict.predict(x, y);
            assertArrayEquals(expected, y, "a finite batch passes the strict predictor unchanged");

            x[row * in + col] = bad;
            float[] untouched = new float[batch * out];
            Arrays.fill(untouched, 42f);
            float[] y2 = untouched.clone();
            assertRejected(IllegalArgumentException.class, () -> strict.predict(x, y2),
                    "input", "expected finite floats", "found " + bad, "at row " + row + ", column " + col);
            assertArrayEquals(untouched, y2, "outputs after a rejected call");

            MemorySegment inSeg = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment outSeg = arena.allocateFrom(ValueLayout.JAVA_FLOAT, untouched);
            assertRejected(IllegalArgumentException.class, () -> strict.predict(inSeg, outSeg, batch),
                    "at row " + row + ", column " + col);
            assertArrayEquals(untouched, outSeg.toArray(ValueLayout.JAVA_FLOAT), "segment outputs after a rejected call");

            float[] one = Arrays.copyOfRange(x, row * in, (row + 1) * in);
            assertRejected(IllegalArgumentException.class, () -> strict.classify(one), "at row 0, column " + col);
            assertEquals(3, strict.nonFiniteInputCalls(), "rejected calls are counted too");
            assertEquals(0, strict.lastNonFiniteRow(), "classify's one row");

            x[row * in + col] = 0.5f;
            lenient.predict(x, expected);
            strict.predict(x, y);
            assertArrayEquals(expected, y, "the strict predictor still works after rejecting");
            assertFalse(strict.lastCallHadNonFiniteInput());
        }
    }

    @Test
    void warmUpLeavesParametersResultsAndReportsAsTheyWereAndThenNothingAllocates() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int maxBatch = 9, in = SPEC.inputs(), out = SPEC.outputs();
        float[] x = uniform(new SplittableRandom(23), maxBatch * in);
        try (Model model = SPEC.init(4L, KernelProvider.simd());
             Predictor p = model.predictor(maxBatch)) {
            float[] params = model.parametersToArray();
            float[] before = new float[maxBatch * out];
            p.predict(x, before);
            float[] bad = x.clone();
            bad[2 * in + 7] = Float.NaN;
            p.predict(bad, new float[maxBatch * out]);

            assertTrue(p.warmUp(), "the JIT settled within " + Predictor.WARM_UP_LIMIT_MILLIS + " ms");

            assertEquals(2, p.lastNonFiniteRow(), "the report of the last call before the warm-up");
            assertEquals(7, p.lastNonFiniteColumn());
            assertEquals(1, p.nonFiniteInputCalls());
            assertArrayEquals(params, model.parametersToArray(), "parameters after the warm-up");
            float[] after = new float[maxBatch * out];
            float[] one = Arrays.copyOf(x, in), oneOut = new float[out];
            long tid = Thread.currentThread().threadId();
            long allocated = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200; i++) {
                p.predict(x, after);
                p.predict(one, oneOut);
            }
            assertEquals(0, threads.getThreadAllocatedBytes(tid) - allocated, "bytes allocated by the first calls after warmUp()");
            assertArrayEquals(before, after, "the same input gives the same bits after the warm-up");
        }
    }

    @Test
    void aPredictorUsedByTwoThreadsAtOnceRefusesTheSecondAndNeverMixesTheirBatches() throws InterruptedException {
        Mlp wide = Mlp.input(64).dense(64, Activation.RELU).dense(64, Activation.RELU).dense(10, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        int batch = 16, in = wide.inputs(), out = wide.outputs();
        float[] a = uniform(new SplittableRandom(24), batch * in);
        float[] b = uniform(new SplittableRandom(25), batch * in);
        try (Model model = wide.init(5L);
             Predictor p = model.predictor(batch)) {
            float[] expectedA = new float[batch * out], expectedB = new float[batch * out];
            p.predict(a, expectedA);
            p.predict(b, expectedB);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong wrong = new AtomicLong(), refused = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                float[] y = new float[batch * out];
                try {
                    while (!stop.get()) {
                        try {
                            p.predict(b, y);
                            if (!Arrays.equals(expectedB, y)) {
                                wrong.incrementAndGet();
                            }
                        } catch (IllegalStateException e) {
                            assertTrue(e.getMessage().contains("in use by another thread"), e.getMessage());
                            refused.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            float[] y = new float[batch * out];
            long deadline = System.nanoTime() + 60_000_000_000L;
            int calls = 0;
            // Each refusal is a call that overlapped one on the other thread; both threads' calls
            // that got through are checked against their own batch.
            while ((calls < 50 || refused.get() < 5) && System.nanoTime() < deadline) {
                try {
                    p.predict(a, y);
                    calls++;
                    if (!Arrays.equals(expectedA, y)) {
                        wrong.incrementAndGet();
                    }
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().contains("in use by another thread"), e.getMessage());
                    refused.incrementAndGet();
                }
            }
            stop.set(true);
            other.join();
            assertEquals(null, failure.get(), "the other thread's failure");
            assertEquals(0, wrong.get(), "outputs that differ from the batch's own answer");
            assertTrue(calls >= 50, "calls that got through on this thread: " + calls);
            assertTrue(refused.get() >= 5, "overlapping calls refused: " + refused.get());
        }
    }

    @Test
    void everyEntryPointNamesWhatIsMissingOrWrong() {
        try (Model model = SPEC.init(1L);
             Predictor p = model.predictor(2);
             Workspace ws = model.workspace(2)) {
            assertRejected(NullPointerException.class, () -> p.predict(null, new float[3]), "input");
            assertRejected(NullPointerException.class, () -> p.predict(new float[17], null), "output");
            assertRejected(NullPointerException.class, () -> p.predict(null, MemorySegment.ofArray(new float[3]), 1), "input");
            assertRejected(NullPointerException.class, () -> p.predict(MemorySegment.ofArray(new float[17]), null, 1), "output");
            assertRejected(NullPointerException.class, () -> p.classify(null), "input");
            assertRejected(NullPointerException.class, () -> model.predictor(1, (Predictor.NonFiniteInput) null), "nonFinite");
            assertRejected(NullPointerException.class, () -> model.predictor(1, (WorkerPool) null), "pool");
            assertRejected(NullPointerException.class, () -> model.newParameterSlab(null), "name");
            assertRejected(NullPointerException.class, () -> ws.setInputs(null, 1), "inputs");
            assertRejected(NullPointerException.class, () -> ws.setTargets(null, 1), "targets");
            assertRejected(NullPointerException.class, () -> ws.setLabels(null, 1), "labels");
            assertRejected(NullPointerException.class, () -> model.forward(null, 1), "workspace");

            MemorySegment readOnly = MemorySegment.ofArray(new float[3]).asReadOnly();
            assertRejected(IllegalArgumentException.class, () -> p.predict(MemorySegment.ofArray(new float[17]), readOnly, 1),
                    "output", "expected a writable segment", "found a read-only one");
            MemorySegment gone;
            try (Arena arena = Arena.ofConfined()) {
                gone = arena.allocate(ValueLayout.JAVA_FLOAT, 17);
            }
            assertRejected(IllegalStateException.class, () -> p.predict(gone, MemorySegment.ofArray(new float[3]), 1),
                    "input", "expected a segment of an open arena", "closed");
            float[] ok = new float[3];
            p.predict(new float[17], ok);
            assertFalse(p.lastCallHadNonFiniteInput(), "the predictor still works after the rejected calls");
        }
    }

    @Test
    void aClosedPredictorRefusesToWarmUp() {
        try (Model model = SPEC.init(1L)) {
            Predictor p = model.predictor(1);
            p.close();
            assertRejected(IllegalStateException.class, p::warmUp, "predictor for " + SPEC, "closed");
        }
    }

    @Test
    void aSegmentPredictionOnAFreshPredictorMatchesTheArrayOne() {
        int batch = 3;
        float[] x = uniform(new SplittableRandom(12), batch * 17);
        try (Model model = SPEC.init(5L);
             Predictor arrays = model.predictor(batch);
             Predictor segments = model.predictor(batch);
             Arena arena = Arena.ofConfined()) {
            assertSame(model, segments.model());
            float[] expected = new float[batch * 3];
            arrays.predict(x, expected);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, batch * 3L);
            segments.predict(arena.allocateFrom(ValueLayout.JAVA_FLOAT, x), out, batch);
            assertArrayEquals(expected, out.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    /** A heap segment over bytes need not be float-aligned: only native addresses are checked. */
    @Test
    void aHeapSegmentAtAnOddByteOffsetIsAccepted() {
        float[] x = uniform(new SplittableRandom(13), 17);
        try (Model model = SPEC.init(5L); Predictor p = model.predictor(1)) {
            float[] expected = new float[3];
            p.predict(x, expected);
            MemorySegment in = MemorySegment.ofArray(new byte[17 * 4 + 1]).asSlice(1);
            MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 17);
            MemorySegment out = MemorySegment.ofArray(new byte[3 * 4 + 1]).asSlice(1);
            p.predict(in, out, 1);
            assertArrayEquals(expected, out.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
            assertRejected(IllegalArgumentException.class, () -> p.predict(in.asSlice(0, 16 * 4), out, 1),
                    "input: expected at least 17 floats (68 bytes), found a segment of 64 bytes");
        }
    }

    @Test
    void tiesGoToTheFirstClass() {
        try (Model model = SPEC.init(5L)) {
            model.setParameters(new float[(int) SPEC.parameterCount()]);
            try (Predictor p = model.predictor(1)) {
                assertEquals(0, p.classify(uniform(new SplittableRandom(14), 17)), "all outputs 0");
            }
        }
    }

    @Test
    void aClosedPredictorSaysSoOnEveryCall() {
        try (Model model = SPEC.init(5L)) {
            Predictor p = model.predictor(1);
            p.close();
            // Twice: a refusal must release the predictor, or the second call would find it busy.
            String closed = "predictor for " + SPEC + ": closed";
            for (int call = 0; call < 2; call++) {
                assertRejected(IllegalStateException.class, () -> p.predict(new float[17], new float[3]), closed);
                assertRejected(IllegalStateException.class, () -> p.classify(new float[17]), closed);
                assertRejected(IllegalStateException.class,
                        () -> p.predict(MemorySegment.ofArray(new float[17]), MemorySegment.ofArray(new float[3]), 1), closed);
            }
        }
    }
}
