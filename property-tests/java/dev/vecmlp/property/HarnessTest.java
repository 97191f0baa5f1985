package dev.vecmlp.property;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/** The harness itself: seeds reproduce, failures carry their seed, shrinking finds the smallest network. */
class HarnessTest {

    /** Fails when any layer wider than 4 uses TANH: the smallest failing network is one TANH layer of 5. */
    static void noWideTanh(NetCase c, Coverage coverage) {
        for (Layer layer : c.spec().layers()) {
            assertTrue(layer.activation() != Activation.TANH || layer.outputs() <= 4,
                    () -> "a TANH layer of " + layer.outputs() + " units");
        }
    }

    private static Property<NetCase> wideTanh() {
        return Property.forAll("no wide tanh", NetGen.defaults(), HarnessTest::noWideTanh)
                .reproduceWith("HarnessTest.noWideTanh(c, Coverage.ignored());").tries(50).ignoringSystemProperties();
    }

    @Test
    void aFailingPropertyShrinksToTheSmallestNetwork() {
        Property.Result r = wideTanh().run();
        AssertionError failure = r.failure();
        assertNotNull(failure, "the property must fail within 50 tries");
        String message = failure.getMessage();
        assertTrue(message.contains("shrunk in "), message);
        assertTrue(message.contains("to: 1-5 tanh, squared_error, batch 1"), message);
        assertTrue(message.contains("reproduce: ./build -q test-compile surefire:test"
                + " -Dtest='HarnessTest#aFailingPropertyShrinksToTheSmallestNetwork' -Dvecmlp.prop.seed=0x"), message);
        assertTrue(message.contains("HarnessTest.noWideTanh(c, Coverage.ignored());"), message);
    }

    /** The code the report above printed, pasted verbatim: it compiles and fails as reported. */
    @Test
    void thePrintedCaseCompilesAndFails() {
        var c = new NetCase(
                Mlp.input(1)
                        .dense(5, Activation.TANH)
                        .loss(Loss.SQUARED_ERROR)
                        .build(),
                1,
                new float[] {
                        0.0f, // W0
                        0.0f,
                        0.0f,
                        0.0f,
                        0.0f,
                        0.0f, 0.0f, 0.0f, 0.0f, 0.0f // b0
                },
                new float[] {
                        0.0f
                },
                new float[] {
                        0.0f, 0.0f, 0.0f, 0.0f, 0.0f
                });
        AssertionError e = assertThrows(AssertionError.class, () -> HarnessTest.noWideTanh(c, Coverage.ignored()));
        assertTrue(e.getMessage().startsWith("a TANH layer of 5 units"), e.getMessage());
        // The report of the run that found it prints this very case.
        String report = wideTanh().seed(0x565bad8f3901ade3L).run().failure().getMessage();
        assertTrue(report.contains("var c = " + c.toJava().replace("\n", "\n        ") + ";"), report);
    }

    @Test
    void theMessageHasTheSeedThatReproducesTheFailure() {
        Property<NetCase> p = wideTanh();
        Property.Result r = p.run();
        long failingSeed = Property.trySeed(p.baseSeed(), r.tries() - 1);
        String seed = Property.hex(failingSeed);
        assertTrue(r.failure().getMessage().contains("seed " + seed), r.failure().getMessage());
        assertTrue(r.failure().getMessage().contains("-Dvecmlp.prop.seed=" + seed), r.failure().getMessage());
        // As the base seed, the failing seed is try 0, and its case is the one that failed.
        Property.Result again = p.seed(failingSeed).run();
        assertEquals(1, again.tries());
        assertEquals(p.value(p.baseSeed(), r.tries() - 1), p.value(failingSeed, 0));
        assertEquals(r.failure().getMessage().lines().filter(l -> l.startsWith("shrunk")).findFirst(),
                again.failure().getMessage().lines().filter(l -> l.startsWith("shrunk")).findFirst());
    }

    @Test
    void theSameSeedGivesTheSameCases() {
        Property<NetCase> p = wideTanh();
        for (int i = 0; i < 20; i++) {
            NetCase a = p.value(1234L, i), b = p.value(1234L, i);
            assertEquals(a, b);
            assertArrayEquals(a.parameters(), b.parameters());
        }
        assertTrue(!p.value(1234L, 1).equals(p.value(1235L, 1)), "another base seed gives other cases");
    }

    @Test
    void aPassingPropertyReportsNoFailure() {
        Property.Result r = Property.forAll("batch within limits", NetGen.defaults().maxBatch(5),
                (c, cov) -> assertTrue(c.batch() <= 5)).tries(30).ignoringSystemProperties().run();
        assertNull(r.failure());
        assertEquals(30, r.tries());
    }

    @Test
    void deadUnitsOverTheLimitFailTheRun() {
        // Every unit of a ReLU layer with all-zero weights and biases is dead on every row.
        Property.Result r = Property.forAll("all dead", NetGen.defaults().activations(Activation.RELU),
                (c, cov) -> {
                    NetCase dead = c.withParameters(new float[c.parameters().length]);
                    cov.deadUnits(dead.deadUnits(dead.run(KernelProvider.scalar())));
                })
                .tries(5).ignoringSystemProperties().run();
        assertNotNull(r.failure());
        assertTrue(r.failure().getMessage().contains("dead ReLU units hid 100.0%"), r.failure().getMessage());
    }

    @Test
    void aCaseRunsTheNetworkItDescribes() {
        NetCase c = new NetCase(Mlp.input(2).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build(), 1,
                new float[] {1f, 0f, 0f, 1f, 0f, 0f}, new float[] {3f, 4f}, new float[] {0f, 0f});
        NetCase.Pass p = c.run(KernelProvider.scalar());
        assertEquals(12.5, p.loss());
        assertArrayEquals(new float[] {3f, 4f}, p.outputs());
        // dL/dW = (y − t) xᵀ, dL/db = y − t.
        assertArrayEquals(new float[] {9f, 12f, 12f, 16f, 3f, 4f}, p.gradients());
        assertEquals(4, c.weightIndex(0, 1, 1) + 1);
        assertEquals(5, c.biasIndex(0, 1));
    }

    @Test
    void shrinkingStaysWithinTheGeneratorsLimits() {
        NetGen linear = NetGen.defaults().activations(Activation.LINEAR).minDepth(2).withL2();
        NetGen softmax = NetGen.defaults().losses(Loss.SOFTMAX_CROSS_ENTROPY).outputs(Activation.LINEAR);
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 30; i++) {
            for (NetGen g : new NetGen[] {linear, softmax}) {
                NetCase c = g.next(r);
                assertTrue(g.allows(c), () -> g + " generated " + c);
                for (NetCase s : g.shrinks(c)) {
                    assertTrue(g.allows(s), () -> "shrinking " + c + " within " + g + " gave " + s);
                    assertTrue(s.spec().outputs() >= (s.spec().loss() == Loss.SOFTMAX_CROSS_ENTROPY ? 2 : 1));
                }
            }
        }
    }

    @Test
    void everyLaneEdgeComesUp() {
        Gen<Integer> w = Gen.laneWidth(1, 33);
        SplittableRandom r = new SplittableRandom(3);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 300; i++) {
            int v = w.next(r);
            assertTrue(v >= 1 && v <= 33, () -> "width " + v);
            seen.add(v);
        }
        for (int e : Gen.LANE_EDGES) {
            assertTrue(seen.contains(e), () -> "lane edge " + e + " never drawn in 300 widths");
        }
    }

    @Test
    void generatorsAreFunctionsOfTheirSeed() {
        Gen<Integer> die = Gen.ints(1, 6);
        Gen<String> word = Gen.oneOf("a", "b", "c");
        Gen<String> both = die.flatMap(n -> word.map(w -> w.repeat(n)));
        SplittableRandom r1 = new SplittableRandom(99), r2 = new SplittableRandom(99);
        java.util.Set<Integer> faces = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            String a = both.next(r1), b = both.next(r2);
            assertEquals(a, b);
            assertTrue(a.length() >= 1 && a.length() <= 6 && a.chars().allMatch(ch -> ch == a.charAt(0)), a);
            faces.add(a.length());
        }
        assertEquals(6, faces.size(), "every face of the die comes up in 200 throws");
        assertEquals("x", Gen.constant("x").next(r1));
        assertThrows(IllegalArgumentException.class, () -> Gen.ints(2, 1));
        assertThrows(IllegalArgumentException.class, () -> Gen.oneOf());
    }

    /** The sizes a shrinker offers: from the least up, so the smallest failing size comes first. */
    @Test
    void smallerSizesComeSmallestFirst() {
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 32, 65, 98, 129}, Gen.smallerFirst(130, 1));
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Gen.smallerFirst(11, 1));
        assertArrayEquals(new int[] {2, 3, 4}, Gen.smallerFirst(5, 2));
        assertArrayEquals(new int[0], Gen.smallerFirst(1, 1));
    }

    @Test
    void badTriesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> wideTanh().tries(0));
        assertThrows(IllegalArgumentException.class, () -> Property.parseSeed("0xzz"));
        assertEquals(255L, Property.parseSeed("0xff"));
    }
}
