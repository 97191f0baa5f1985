package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The rule that says when the JIT has settled: rounds in a row that allocate nothing on the thread. */
class WarmUpTest {
    private static volatile Object sink;

    @Test
    void roundsThatAllocateNothingSettleOnceTheJitIsQuietToo() {
        int[] rounds = {0};
        long[] acc = {0};
        long start = System.nanoTime();
        assertTrue(WarmUp.untilSettled(() -> {
            rounds[0]++;
            acc[0] += rounds[0];
        }, 10_000), "settled within the limit");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(rounds[0] >= WarmUp.CLEAN_ROUNDS, "rounds until settled: " + rounds[0]);
        assertTrue(millis >= WarmUp.CLEAN_QUIET_MILLIS, "settled after " + millis + " ms, before the JIT could have been quiet");
    }

    @Test
    void roundsThatAllocateNeverSettleAndTheLimitEndsThem() {
        long start = System.nanoTime();
        assertFalse(WarmUp.untilSettled(() -> sink = new byte[1024], 150), "a round that allocates every time never settles");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 150 && millis < 5_000, "stopped by the limit: " + millis + " ms");
    }

    @Test
    void anAllocatingRoundStartsTheCountAgain() {
        WarmUp.Watch watch = new WarmUp.Watch();
        long deadline = System.nanoTime() + 10_000_000_000L;
        boolean settled = false;
        int rounds = 0;
        while (!settled && System.nanoTime() < deadline) {
            watch.begin();
            long until = System.nanoTime() + 20_000_000L;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();   // a clean round of 20 ms (Thread.sleep allocates)
            }
            settled = watch.settled();
            rounds++;
        }
        assertTrue(settled, "clean rounds settle once the JIT has been quiet");
        assertTrue(rounds >= WarmUp.CLEAN_ROUNDS, "after at least " + WarmUp.CLEAN_ROUNDS + " rounds, found " + rounds);
        watch.begin();
        sink = new long[64];
        assertFalse(watch.settled(), "a round that allocates is not settled");
        List<Boolean> answers = new ArrayList<>();
        for (int i = 0; i < WarmUp.CLEAN_ROUNDS - 1; i++) {
            watch.begin();
            answers.add(watch.settled());
        }
        assertEquals(java.util.Collections.nCopies(WarmUp.CLEAN_ROUNDS - 1, false), answers,
                "fewer clean rounds than " + WarmUp.CLEAN_ROUNDS + " since the allocating one");
    }

    @Test
    void aWatchWithoutQuietSettlesOnTheCleanRoundsAlone() {
        WarmUp.Watch watch = new WarmUp.Watch(0);
        List<Boolean> answers = new ArrayList<>();
        for (int i = 0; i < WarmUp.CLEAN_ROUNDS; i++) {
            watch.begin();
            answers.add(watch.settled());
        }
        assertEquals(List.of(false, false, true), answers);
        assertThrows(IllegalArgumentException.class, () -> new WarmUp.Watch(-1));
    }

    @Test
    void withoutTheJitsCountersRoundsSettleWhenTheyStopGettingFaster() {
        WarmUp.Watch watch = new WarmUp.Watch(WarmUp.CLEAN_QUIET_MILLIS, false);
        long start = System.nanoTime();
        int rounds = 0;
        boolean settled = false;
        while (!settled && System.nanoTime() - start < 10_000_000_000L) {
            watch.begin();
            spin(5);
            settled = watch.settled();
            rounds++;
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(settled, "rounds of the same length settle");
        assertTrue(millis >= WarmUp.QUIET_MILLIS, "not before " + WarmUp.QUIET_MILLIS + " ms without a faster round: " + millis);
        assertTrue(rounds >= WarmUp.CLEAN_ROUNDS, "rounds: " + rounds);
        watch.begin();
        sink = new long[64];   // allocation is not seen without the counters; time is
        spin(5);
        assertTrue(watch.settled(), "a round no faster keeps it settled");
        watch.begin();
        assertFalse(watch.settled(), "a round far faster than the fastest (as after a compilation) is progress");
    }

    @Test
    void untilCompilerQuietRunsAtLeastTheMinimumAndEndsWhenTheJitIsQuiet() {
        int[] rounds = {0};
        long start = System.nanoTime();
        assertTrue(WarmUp.untilCompilerQuiet(() -> {
            rounds[0]++;
            sink = new byte[256];   // this rule allows rounds that allocate
        }, 50, 100, 10_000), "quiet within the limit");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 100, "at least the quiet time: " + millis + " ms");
        assertTrue(rounds[0] > 1, "rounds: " + rounds[0]);
        long limited = System.nanoTime();
        assertFalse(WarmUp.untilCompilerQuiet(() -> spin(1), 0, 60_000, 120), "the limit ends it");
        assertTrue((System.nanoTime() - limited) / 1_000_000 < 5_000);
        assertThrows(NullPointerException.class, () -> WarmUp.untilCompilerQuiet(null, 0, 0, 10));
    }

    @Test
    void aNullRoundIsRejected() {
        assertThrows(NullPointerException.class, () -> WarmUp.untilSettled(null, 10));
    }

    /** Spins for {@code millis} ms without allocating (Thread.sleep allocates). */
    private static void spin(long millis) {
        long until = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
