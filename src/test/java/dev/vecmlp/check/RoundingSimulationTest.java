package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/** The Monte Carlo rounding model: its perturbations, its derivatives, its gradient and its bound. */
class RoundingSimulationTest {
    private static final double U = 0x1p-24;

    private static ReferenceNetwork net(Mlp spec, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] p = new double[(int) spec.parameterCount()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (rng.nextGaussian() * 0.7);
        }
        return ReferenceNetwork.of(spec, p);
    }

    private static final Mlp SMALL = Mlp.input(2).dense(2, Activation.TANH).dense(2, Activation.LINEAR)
            .loss(Loss.SQUARED_ERROR).build();

    @Test
    void systematicFloorIsTwoFunctionErrorsPerLayerAndTheLoss() {
        assertEquals(2 * 4 * U * 3, RoundingSimulation.systematicFloor(SMALL), 0);
        Mlp one = Mlp.input(3).dense(1, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        assertEquals(16 * U, RoundingSimulation.systematicFloor(one), 0);
    }

    /** One uniform draw per rounding, x·(1 + u·(2d − 1)): within ±u, both ways, and not the identity. */
    @Test
    void flPerturbsByUpToOneUnitRoundoff() {
        assertPerturbation(false, 1, 0.75);
    }

    @Test
    void fnPerturbsByUpToFourUnitRoundoffs() {
        assertPerturbation(true, 4, -3.5);
    }

    private static void assertPerturbation(boolean function, double units, double x) {
        RoundingSimulation sim = new RoundingSimulation(net(SMALL, 1), 42L);
        SplittableRandom same = new SplittableRandom(42L);
        double lowest = 0, highest = 0;
        for (int i = 0; i < 2000; i++) {
            double v = function ? sim.fn(x) : sim.fl(x);
            assertEquals(x * (1 + units * U * (2 * same.nextDouble() - 1)), v, 0);
            double rel = (v - x) / x;
            assertTrue(Math.abs(rel) <= units * U, "relative error " + rel);
            lowest = Math.min(lowest, rel);
            highest = Math.max(highest, rel);
        }
        assertTrue(highest > 0.95 * units * U && lowest < -0.95 * units * U, lowest + " .. " + highest);
    }

    /** φ' as the engine computes it, within a few u of the closed form, with the kink of ReLU at 0. */
    @Test
    void phiPrimeIsTheDerivative() {
        RoundingSimulation sim = new RoundingSimulation(net(SMALL, 1), 3L);
        for (double z : new double[] {-2.5, -0.4, 0.3, 1.7}) {
            double s = 1 / (1 + Math.exp(-z)), th = Math.tanh(z);
            assertEquals(1, sim.phiPrime(Activation.LINEAR, z, z), 0);
            assertEquals(z > 0 ? 1 : 0, sim.phiPrime(Activation.RELU, z, Math.max(z, 0)), 0);
            assertEquals(0, sim.phiPrime(Activation.HARD_THRESHOLD, z, z > 0 ? 1 : 0), 0);
            assertRelative(s, sim.phiPrime(Activation.SOFTPLUS, z, Math.log1p(Math.exp(z))), 4 * U);
            assertRelative(s * (1 - s), sim.phiPrime(Activation.LOGISTIC, z, s), 3 * U);
            assertRelative(1 - th * th, sim.phiPrime(Activation.TANH, z, th), 3 * U / (1 - th * th));
            // Against a central difference of φ too, so the closed forms above are not the only witness.
            double e = 1e-6;
            assertEquals((Math.tanh(z + e) - Math.tanh(z - e)) / (2 * e), sim.phiPrime(Activation.TANH, z, th), 3 * U + 1e-9);
            assertEquals((Math.log1p(Math.exp(z + e)) - Math.log1p(Math.exp(z - e))) / (2 * e),
                    sim.phiPrime(Activation.SOFTPLUS, z, Math.log1p(Math.exp(z))), 4 * U * s + 1e-9);
        }
        assertEquals(0, sim.phiPrime(Activation.RELU, 0, 0), 0);
        assertEquals(1, sim.phiPrime(Activation.RELU, 0x1p-60, 0x1p-60), 0);
    }

    private static void assertRelative(double expected, double found, double rel) {
        assertEquals(expected, found, rel * Math.abs(expected), "expected " + expected + ", found " + found);
    }

    /**
     * A simulated run stays near the reference gradient, within the worst-case bound, and is not
     * the reference itself: for every activation, both losses, L2, several rows, non-square layers.
     */
    @Test
    void simulatedGradientIsTheReferenceGradientPerturbed() {
        for (Activation f : Activation.values()) {
            assertNearReference(Mlp.input(3).dense(4, f).dense(2, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).build(), f.ordinal());
            assertNearReference(Mlp.input(2).dense(3, f).dense(4, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY)
                    .l2(0.125).build(), 10 + f.ordinal());
        }
        assertNearReference(Mlp.input(3).dense(2, Activation.SOFTPLUS).loss(Loss.SQUARED_ERROR).l2(0.5).build(), 30);
    }

    private static void assertNearReference(Mlp spec, long seed) {
        ReferenceNetwork net = net(spec, seed);
        Batch batch = Batch.random(spec, 3, seed);
        double[] reference = net.gradient(batch).parameters();
        double[] bound = EngineErrorBound.compute(net, batch);
        double[] g = new RoundingSimulation(net, seed).gradient(batch);
        int moved = 0, nonzero = 0;
        for (int i = 0; i < g.length; i++) {
            assertTrue(Math.abs(g[i] - reference[i]) <= GradientCheck.ENGINE_SAFETY * bound[i],
                    spec + " " + net.coordinateName(i) + ": " + g[i] + " against " + reference[i] + " bound " + bound[i]);
            if (reference[i] != 0) {
                nonzero++;
                moved += g[i] != reference[i] ? 1 : 0;
            } else {
                // Only a hard threshold's zero derivative gives an exact 0, and the simulation keeps it.
                assertEquals(0, g[i], 0, spec + " " + net.coordinateName(i));
            }
        }
        assertTrue(nonzero > 0 && moved > nonzero / 2, spec + ": only " + moved + " of " + nonzero + " moved");
    }

    /** Logits of ±800 in the second row: the shift by that row's maximum keeps exp finite. */
    @Test
    void softmaxShiftsByTheRowMaximum() {
        Mlp spec = Mlp.input(1).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[] {800, -800, 0.25, -0.25});
        Batch batch = Batch.withLabels(new float[] {0, 1}, new int[] {0, 1}, 2);
        double[] reference = net.gradient(batch).parameters();
        double[] g = new RoundingSimulation(net, 9L).gradient(batch);
        for (int i = 0; i < g.length; i++) {
            assertEquals(reference[i], g[i], 1e-6, net.coordinateName(i));
        }
    }

    /** ratioBounds is 8 root-mean-square deviations of 16 runs' ratios from 1, plus the floor. */
    @Test
    void ratioBoundsFromSixteenRuns() {
        Mlp spec = Mlp.input(3).dense(4, Activation.TANH).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        ReferenceNetwork net = net(spec, 5);
        Batch batch = Batch.random(spec, 4, 5);
        double[] reference = net.gradient(batch).parameters();
        double[] bounds = RoundingSimulation.ratioBounds(net, batch, reference, 77L);
        RoundingSimulation sim = new RoundingSimulation(net, 77L);
        double[] sumSq = new double[net.tensorCount()];
        for (int run = 0; run < 16; run++) {
            double[] g = sim.gradient(batch);
            for (int t = 0; t < sumSq.length; t++) {
                double dot = 0, sq = 0;
                for (int i = net.tensorOffset(t); i < net.tensorOffset(t) + net.tensorSize(t); i++) {
                    dot += g[i] * reference[i];
                    sq += reference[i] * reference[i];
                }
                sumSq[t] += (dot / sq - 1) * (dot / sq - 1);
            }
        }
        double floor = RoundingSimulation.systematicFloor(spec);
        for (int t = 0; t < sumSq.length; t++) {
            assertEquals(8 * Math.sqrt(sumSq[t] / 16) + floor, bounds[t], 1e-15 * bounds[t], net.tensorName(t));
            assertTrue(bounds[t] > floor && bounds[t] < 1e-5, net.tensorName(t) + ": " + bounds[t]);
        }
    }

    /** A deeper net has a larger floor and a larger spread on its first layer's ratio. */
    @Test
    void ratioBoundsGrowWithDepth() {
        Mlp shallow = Mlp.input(4).dense(6, Activation.TANH).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        Mlp deep = Mlp.input(4).dense(6, Activation.TANH).dense(6, Activation.TANH).dense(6, Activation.TANH)
                .dense(6, Activation.TANH).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        assertTrue(bound0(deep) > bound0(shallow));
    }

    private static double bound0(Mlp spec) {
        ReferenceNetwork net = net(spec, 8);
        Batch batch = Batch.random(spec, 4, 8);
        return RoundingSimulation.ratioBounds(net, batch, net.gradient(batch).parameters(), 8L)[0];
    }

    @Test
    void ratioIsTheLeastSquaresFactorOfOneTensor() {
        ReferenceNetwork net = net(SMALL, 1);
        double[] expected = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        double[] found = expected.clone();
        found[4] = 2 * 5;    // b1 = (5, 6) found as (10, 6): (50 + 36) / (25 + 36)
        assertEquals(86.0 / 61, RoundingSimulation.ratio(net, 1, found, expected), 1e-15);
        assertEquals(1, RoundingSimulation.ratio(net, 0, found, expected), 0);
    }
}
