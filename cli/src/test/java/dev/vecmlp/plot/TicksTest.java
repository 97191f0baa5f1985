package dev.vecmlp.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.vecmlp.plot.Ticks.Tick;

/** Nice tick values and their labels. */
class TicksTest {
    private static List<String> labels(List<Tick> ticks) {
        return ticks.stream().map(Tick::label).toList();
    }

    @Test
    void stepsAreOneTwoOrFiveTimesAPowerOfTenWithMatchingDecimals() {
        assertEquals(List.of("0.0", "0.5", "1.0", "1.5", "2.0", "2.5"), labels(Ticks.linear(-0.04, 2.69, 6)));
        assertEquals(List.of("0.84", "0.86", "0.88", "0.90", "0.92", "0.94", "0.96", "0.98"),
                labels(Ticks.linear(0.83, 0.995, 8)));
        assertEquals(List.of("0", "20000", "40000", "60000", "80000", "100000"), labels(Ticks.linear(-4000, 104000, 6)));
        assertEquals(List.of("-10", "-5", "0", "5"), labels(Ticks.linear(-12, 7, 4)));
    }

    @Test
    void labelsAreExactDecimalsAndValuesMatchThem() {
        List<Tick> ticks = Ticks.linear(0.1, 0.7, 6);
        assertEquals(List.of("0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"), labels(ticks));
        assertEquals(0.3, ticks.get(2).value());
    }

    @Test
    void veryLargeOrVerySmallValuesUseENotation() {
        assertEquals(List.of("0", "1e-5", "2e-5", "3e-5"), labels(Ticks.linear(0, 3.2e-5, 3)));
        assertEquals(List.of("2e6", "4e6", "6e6"), labels(Ticks.linear(1.5e6, 7e6, 3)));
        assertEquals(List.of("1.5e-5", "2e-5", "2.5e-5"), labels(Ticks.linear(1.45e-5, 2.55e-5, 2)));
    }

    @Test
    void log2TicksArePowersOfTwoThinnedToEveryKth() {
        List<Tick> ticks = Ticks.log2(5.8, 10.2, 1);
        assertEquals(List.of("64", "128", "256", "512", "1024"), labels(ticks));
        assertEquals(List.of(64.0, 128.0, 256.0, 512.0, 1024.0), ticks.stream().map(Tick::value).toList());
        assertEquals(List.of(6.0, 7.0, 8.0, 9.0, 10.0), ticks.stream().map(Tick::position).toList());
        assertEquals(List.of("1", "4", "16", "64"), labels(Ticks.log2(0, 7, 2)));
    }

    @Test
    void powersOfTwoOutsideThePlainRangeGetSuperscripts() {
        assertEquals("524288", Ticks.powerOfTwo(19));
        assertEquals("2²⁰", Ticks.powerOfTwo(20));
        assertEquals("0.125", Ticks.powerOfTwo(-3));
        assertEquals("2⁻¹⁰", Ticks.powerOfTwo(-10));
    }
}
