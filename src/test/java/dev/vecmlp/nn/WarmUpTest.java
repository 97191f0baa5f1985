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
    void roundsThatAllocateNothingSettleAfterTheCleanRoundsInARow() {
        int[] rounds = {0};
        long[] acc = {0};
        assertTrue(WarmUp.untilSettled(() -> {
            rounds[0]++;
            acc[0] += rounds[0];
        }, 10_000));
        // The first round may still allocate (the lambda's first call links it); then three clean ones.
        assertTrue(rounds[0] >= WarmUp.CLEAN_ROUNDS && rounds[0] <= WarmUp.CLEAN_ROUNDS + 2,
                "rounds until settled: " + rounds[0]);
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
        List<Boolean> answers = new ArrayList<>();
        WarmUp.Watch watch = new WarmUp.Watch();
        // clean, clean, allocating, clean, clean, clean
        boolean[] allocates = {false, false, true, false, false, false};
        for (boolean a : allocates) {
            watch.begin();
            if (a) {
                sink = new long[64];
            }
            answers.add(watch.settled());
        }
        assertEquals(List.of(false, false, false, false, false, true), answers);
    }

    @Test
    void aNullRoundIsRejected() {
        assertThrows(NullPointerException.class, () -> WarmUp.untilSettled(null, 10));
    }
}
