package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * The unbugged engine, scalar and SIMD (at the vector width of the run: surefire runs this class
 * again at 256 and 128 bits), passes both verdicts for every activation as hidden and output
 * layer, both losses, depths 1 to 4 and widths 1 to 33, batches 1 to 9, with and without L2.
 */
class EngineGradientTest {
    private static final Activation[] ACTIVATIONS = Activation.values();

    static Stream<Arguments> networks() {
        List<Arguments> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(2026L);
        for (Activation a : ACTIVATIONS) {
            for (Loss loss : Loss.values()) {
                for (int depth = 1; depth <= 4; depth++) {
                    long seed = rng.nextLong();
                    out.add(Arguments.of(a, loss, depth, seed));
                }
            }
        }
        return out.stream();
    }

    /** Widths drawn from 1..33, the extremes first; the output activation is {@code a} on even depths, else linear. */
    static Mlp network(Activation a, Loss loss, int depth, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Mlp.Builder b = Mlp.input(1 + rng.nextInt(33));
        for (int l = 0; l < depth - 1; l++) {
            int width = l == 0 && depth == 4 ? 33 : l == 0 && depth == 3 ? 1 : 1 + rng.nextInt(33);
            b.dense(width, a);
        }
        int outputs = loss == Loss.SOFTMAX_CROSS_ENTROPY ? 2 + rng.nextInt(12) : 1 + rng.nextInt(17);
        double[] l2 = {0, 1e-3, 0.1};
        return b.dense(outputs, depth % 2 == 0 ? a : Activation.LINEAR).loss(loss).l2(l2[rng.nextInt(3)]).build();
    }

    @ParameterizedTest(name = "{0} {1} depth {2} seed {3}")
    @MethodSource("networks")
    void scalarAndSimdPass(Activation a, Loss loss, int depth, long seed) {
        Mlp spec = network(a, loss, depth, seed);
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        Batch batch = Batch.random(spec, 1 + rng.nextInt(9), rng.nextLong());
        GradientCheck.Options options = GradientCheck.Options.ALL.withMaxCoordinatesPerTensor(20).withSeed(seed);
        try (Model model = spec.init(seed, KernelProvider.scalar())) {
            GradientReport r = GradientCheck.checkReference(ReferenceNetwork.of(model), batch, options);
            assertTrue(r.passed(), () -> "seed " + seed + ":\n" + r.format());
        }
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), KernelProvider.simd()}) {
            try (Model model = spec.init(seed, k)) {
                GradientReport r = GradientCheck.checkEngine(model, batch, options);
                assertTrue(r.passed(), () -> "seed " + seed + ", " + k.name() + ":\n" + r.format());
            }
        }
    }
}
