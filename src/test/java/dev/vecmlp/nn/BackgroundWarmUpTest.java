package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;

/**
 * A predictor from its first call in the opt-in mode: on the kernels' scalar twin until its
 * network is handed over, then on the kernels, with the same bits ({@link KernelWarmth}). The
 * build runs this class in a JVM of its own with {@code -Dvecmlp.backgroundWarmUp=true}; in the
 * other test JVMs the mode is off, as by default, and the class is skipped.
 */
class BackgroundWarmUpTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** With the mode off (the default, and the other test JVMs), there is nothing here to test. */
    @BeforeAll
    static void theModeIsOn() {
        assumeTrue(KernelWarmth.enabled(), "-D" + KernelWarmth.PROPERTY + "=true is not set in this JVM");
    }

    /**
     * Until its network is warm, a predictor computes on the kernels' scalar twin
     * ({@link Predictor#warm()} false); its results must not change by a bit when it switches to
     * the kernels. Every activation, widths around the 16 lanes, and batches on each path of the
     * forward product: dot tiles (1, 3, 15), swapped (16, 17, 40) and packed (130), through each
     * entry point. A network of its own, so no other test has warmed it.
     */
    @Test
    void aColdPredictorGivesTheBitsOfAWarmOne() {
        Mlp spec = Mlp.input(37).dense(70, Activation.TANH).dense(17, Activation.SOFTPLUS).dense(33, Activation.LOGISTIC)
                .dense(20, Activation.RELU).dense(16, Activation.HARD_THRESHOLD).dense(5, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        int[] batches = {1, 3, 15, 16, 17, 40, 130};
        int in = spec.inputs(), out = spec.outputs();
        float[] x = PredictorTest.uniform(new SplittableRandom(31), 130 * in);
        try (Model model = spec.init(6L, KernelProvider.simd());
             Predictor p = model.predictor(130);
             Arena arena = Arena.ofConfined()) {
            assertFalse(p.warm(), "a predictor of a network nothing has warmed starts on the twin");
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment ys = arena.allocate(4L * 130 * out, 4);
            float[][] cold = new float[batches.length][], coldSegment = new float[batches.length][];
            for (int i = 0; i < batches.length; i++) {
                cold[i] = new float[batches[i] * out];
                p.predict(Arrays.copyOf(x, batches[i] * in), cold[i]);
                p.predict(xs, ys, batches[i]);
                coldSegment[i] = ys.asSlice(0, 4L * batches[i] * out).toArray(ValueLayout.JAVA_FLOAT);
            }
            int coldClass = p.classify(Arrays.copyOf(x, in));

            // The calls on the twin queued the background warm-up; this one takes over from it.
            assertTrue(p.warmUp(), "the JIT settled within " + Predictor.WARM_UP_LIMIT_MILLIS + " ms");
            assertTrue(p.warm(), "after warmUp() the predictor runs the kernels");
            float[] row = Arrays.copyOf(x, in), one = new float[out];
            long tid = Thread.currentThread().threadId();
            long allocated = THREADS.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200; i++) {
                p.predict(row, one);
            }
            assertEquals(0, THREADS.getThreadAllocatedBytes(tid) - allocated, "bytes allocated by the 200 calls after warmUp()");
            for (int i = 0; i < batches.length; i++) {
                float[] warm = new float[batches[i] * out];
                p.predict(Arrays.copyOf(x, batches[i] * in), warm);
                assertBitsEqual(cold[i], warm, "batch " + batches[i] + ", twin then kernels");
                p.predict(xs, ys, batches[i]);
                assertBitsEqual(coldSegment[i], ys.asSlice(0, 4L * batches[i] * out).toArray(ValueLayout.JAVA_FLOAT),
                        "batch " + batches[i] + " through a segment, twin then kernels");
            }
            assertEquals(coldClass, p.classify(Arrays.copyOf(x, in)));
        }
    }

    /** Without warmUp(), the background warm-up gets the network compiled and the predictor switches, with the same bits. */
    @Test
    void theBackgroundWarmUpMovesAColdPredictorToTheKernels() throws InterruptedException {
        Mlp spec = Mlp.input(23).dense(41, Activation.RELU).dense(7, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        float[] x = PredictorTest.uniform(new SplittableRandom(8), 3 * spec.inputs());
        try (Model model = spec.init(2L, KernelProvider.simd()); Predictor p = model.predictor(3)) {
            assertFalse(p.warm());
            float[] cold = new float[3 * spec.outputs()];
            p.predict(x, cold);
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!p.warm()) {
                assertTrue(System.nanoTime() < deadline, "the background warm-up ended within 120 s");
                Thread.sleep(10);
            }
            float[] warm = new float[cold.length];
            p.predict(x, warm);
            assertBitsEqual(cold, warm, "the same input before and after the switch");
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    what + ", output " + i + ": " + expected[i] + " then " + actual[i]);
        }
    }

    @Test
    void thePropertyTakesTrueOrFalseAndNamesAnythingElse() {
        assertTrue(KernelWarmth.enabled(" TRUE "));
        assertFalse(KernelWarmth.enabled("false"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelWarmth.enabled("off"));
        assertEquals("vecmlp.backgroundWarmUp: expected true or false, found 'off'", e.getMessage());
    }
}
