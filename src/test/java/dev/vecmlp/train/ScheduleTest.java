package dev.vecmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScheduleTest {
    @Test
    void constantIsOne() {
        assertEquals(1.0, Schedule.constant().factor(123, 10, 1000));
    }

    @Test
    void stepDecaysEveryPeriod() {
        Schedule s = Schedule.step(2, 0.5);
        // 10 steps per epoch: epochs 0-1 factor 1, 2-3 factor 0.5, 4-5 factor 0.25.
        assertEquals(1.0, s.factor(0, 10, 100));
        assertEquals(1.0, s.factor(19, 10, 100));
        assertEquals(0.5, s.factor(20, 10, 100));
        assertEquals(0.5, s.factor(39, 10, 100));
        assertEquals(0.25, s.factor(40, 10, 100));
    }

    @Test
    void cosineRunsFromOneToTheFloor() {
        Schedule s = Schedule.cosine(0.1);
        assertEquals(1.0, s.factor(0, 10, 101), 1e-12);
        assertEquals(0.55, s.factor(50, 10, 101), 1e-12, "halfway: floor + (1 - floor) / 2");
        assertEquals(0.1, s.factor(100, 10, 101), 1e-12);
        double last = 2;
        for (int i = 0; i < 101; i++) {
            double f = s.factor(i, 10, 101);
            assertTrue(f <= last, "monotone at step " + i);
            last = f;
        }
    }

    @Test
    void parsesTheCommandLineForm() {
        assertEquals(Schedule.constant(), Schedule.parse("constant"));
        assertEquals(Schedule.step(5, 0.5), Schedule.parse("step:5:0.5"));
        assertEquals(Schedule.cosine(0), Schedule.parse("cosine"));
        assertEquals(Schedule.cosine(0.01), Schedule.parse("COSINE:0.01"));
        for (String bad : new String[] {"", "linear", "step", "step:5", "step:x:0.5", "step:0:0.5", "step:5:1.5", "cosine:2",
                "constant:1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schedule.parse(bad), bad);
            assertTrue(e.getMessage().contains("schedule"), e.getMessage());
        }
    }
}
