package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * One model shared by many threads, each with its own predictor: every answer is bitwise the
 * single-threaded one, and closing the model under them is refused rather than pulled from
 * under a call.
 *
 * <p>By default the shared-model test runs a small network (100,000 calls a thread take about a
 * second on 2 cores); {@code -Dvecmlp.fullConcurrency=true} runs network A (784-512-512-10) for
 * the figure in the README (18 s on 2 cores at 512-bit vectors).
 */
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final int CALLS = 100_000;
    /** Distinct inputs; a prime, so that threads starting at different offsets do not walk in step. */
    private static final int INPUTS = 97;

    private static final Mlp SMALL = Mlp.input(64).dense(64, Activation.RELU).dense(32, Activation.TANH)
            .dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
    private static final Mlp NETWORK_A = Mlp.input(784).dense(512, Activation.RELU).dense(512, Activation.RELU)
            .dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();

    private static float[][] inputs(Mlp spec, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] x = new float[INPUTS][spec.inputs()];
        for (float[] row : x) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    /** The answers of one predictor on one thread, before any other thread has run a kernel. */
    private static float[][] singleThreaded(Model model, float[][] x) {
        float[][] y = new float[x.length][model.spec().outputs()];
        try (Predictor p = model.predictor(1)) {
            for (int i = 0; i < x.length; i++) {
                p.predict(x[i], y[i]);
            }
        }
        return y;
    }

    private static boolean sameBits(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    @Test
    void eightThreadsOnOneModelGetTheSingleThreadedBitsOnEveryCall() throws InterruptedException {
        Mlp spec = Boolean.getBoolean("vecmlp.fullConcurrency") ? NETWORK_A : SMALL;
        float[][] x = inputs(spec, 31);
        try (Model model = spec.init(8L)) {
            float[][] expected = singleThreaded(model, x);
            AtomicLong right = new AtomicLong(), wrong = new AtomicLong();
            AtomicReference<String> firstWrong = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().name("predict-" + t).start(() -> {
                    try (Predictor p = model.predictor(1)) {
                        float[] y = new float[spec.outputs()];
                        long ok = 0;
                        start.await();
                        for (int i = 0; i < CALLS; i++) {
                            int k = (i + id * 13) % INPUTS;
                            p.predict(x[k], y);
                            if (sameBits(expected[k], y)) {
                                ok++;
                            } else if (wrong.getAndIncrement() == 0) {
                                firstWrong.set("thread " + id + ", call " + i + ", input " + k);
                            }
                        }
                        right.addAndGet(ok);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            long t0 = System.nanoTime();
            start.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(10));
                assertFalse(t.isAlive(), t.getName() + " finished within 10 minutes");
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("concurrency: %s, %d threads x %,d batch-1 predictions in %,d ms: %,d bitwise right, %,d wrong%n",
                    spec, THREADS, CALLS, millis, right.get(), wrong.get());
            assertEquals(null, failure.get(), "a thread's failure");
            assertEquals(0, wrong.get(), () -> "answers that differ from the single-threaded bits; first: " + firstWrong.get());
            assertEquals((long) THREADS * CALLS, right.get(), "answers checked");
        }
    }

    /**
     * Eight threads open predictors, predict and close them, over and over, while another thread
     * calls {@link Model#close()} again and again. Every call must either give the
     * single-threaded bits or throw {@link IllegalStateException}. The close must be refused while
     * predictors are open (it is tried at least once while all eight are); after 200 refusals and
     * 20,000 answers the threads are asked to stop opening predictors, the close then succeeds,
     * and every thread's next predictor and its old predictor's next call are refused.
     */
    @Test
    void closingTheModelUnderEightPredictingThreadsIsRefusedAndNoAnswerIsWrong() throws InterruptedException {
        int callsPerRound = 100;
        float[][] x = inputs(SMALL, 32);
        Model model = SMALL.init(9L);
        float[][] expected = singleThreaded(model, x);
        AtomicLong right = new AtomicLong(), wrong = new AtomicLong(), stateErrors = new AtomicLong();
        AtomicLong refusals = new AtomicLong();
        AtomicBoolean drain = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch allHoldAPredictor = new CountDownLatch(THREADS);
        CountDownLatch refusedOnce = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("predict-" + t).start(() -> {
                float[] y = new float[SMALL.outputs()];
                try {
                    Predictor last = null;
                    for (int round = 0; !drain.get(); round++) {
                        try (Predictor p = model.predictor(1)) {
                            last = p;
                            for (int i = 0; i < callsPerRound; i++) {
                                int k = (round * callsPerRound + i + id * 13) % INPUTS;
                                p.predict(x[k], y);
                                (sameBits(expected[k], y) ? right : wrong).incrementAndGet();
                                if (round == 0 && i == 0) {
                                    allHoldAPredictor.countDown();
                                    assertTrue(refusedOnce.await(2, TimeUnit.MINUTES), "the closer tried");
                                }
                            }
                        }
                    }
                    assertTrue(closed.await(2, TimeUnit.MINUTES), "the model closed once every predictor was");
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.predictor(1));
                    assertTrue(e.getMessage().contains("closed"), e.getMessage());
                    Predictor old = last;
                    e = assertThrows(IllegalStateException.class, () -> old.predict(x[0], y));
                    assertTrue(e.getMessage().contains("closed"), e.getMessage());
                    stateErrors.addAndGet(2);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        Pattern refusal = Pattern.compile("model .*: [1-8] predictors? still open; close them first");
        threads.add(Thread.ofPlatform().name("closer").start(() -> {
            try {
                assertTrue(allHoldAPredictor.await(2, TimeUnit.MINUTES), "every thread holds a predictor");
                while (true) {
                    try {
                        model.close();
                        closed.countDown();
                        return;
                    } catch (IllegalStateException e) {
                        assertTrue(refusal.matcher(e.getMessage()).matches(), e.getMessage());
                        refusedOnce.countDown();
                        if (refusals.incrementAndGet() >= 200 && right.get() >= 20_000) {
                            drain.set(true);
                        }
                        LockSupport.parkNanos(50_000);
                    }
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                refusedOnce.countDown();
                drain.set(true);
            }
        }));
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(5));
            assertFalse(t.isAlive(), t.getName() + " finished within 5 minutes");
        }
        System.out.printf("close under load: %,d answers right, %,d wrong, %,d IllegalStateExceptions, %,d refused closes%n",
                right.get(), wrong.get(), stateErrors.get(), refusals.get());
        assertEquals(null, failure.get(), "a thread's failure");
        assertEquals(0, wrong.get(), "answers that differ from the single-threaded bits");
        assertTrue(refusals.get() >= 200, "close() refused while threads held predictors: " + refusals.get());
        assertEquals(2L * THREADS, stateErrors.get(), "each thread refused a new predictor and a call on its closed one");
        assertTrue(model.toString().contains("closed"), model.toString());
    }
}
