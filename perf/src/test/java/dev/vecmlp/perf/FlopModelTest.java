package dev.vecmlp.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.vecmlp.nn.Mlp;

class FlopModelTest {
    @Test
    void networkAHasTheLecturesCounts() {
        Mlp a = Networks.byName("A");
        assertEquals(784L * 512 + 512L * 512 + 512L * 10, FlopModel.forwardMacs(a));
        assertEquals(668_672L, FlopModel.forwardMacs(a));
        // Layer 0 has no input gradient: 668,672 + 512·512 + 512·10.
        assertEquals(935_936L, FlopModel.backwardMacs(a));
        assertEquals(1.3997, FlopModel.predictedRatio(a), 1e-4);
    }

    @Test
    void equalLayersGiveTwoLMinusOneOverL() {
        // d hidden layers w x w, then a w x 10 output layer: close to (2L − 1)/L with L = d, exactly by the counts.
        for (int d = 1; d <= 6; d++) {
            for (int w : new int[] {64, 1024}) {
                Mlp b = Networks.byName(Networks.b(w, d));
                double forward = d * (double) w * w + 10.0 * w;
                double backward = forward + (d - 1) * (double) w * w + 10.0 * w;
                assertEquals(backward / forward, FlopModel.predictedRatio(b), 1e-12, "B" + w + "x" + d);
            }
        }
        assertEquals(2.0 * 1 - 1, FlopModel.predictedRatio(Mlp.input(8).dense(8, dev.vecmlp.nn.Activation.LINEAR)
                .loss(dev.vecmlp.nn.Loss.SQUARED_ERROR).build()), 0.0, "one layer: backward is the weight gradient alone");
        Mlp square = Mlp.input(100).dense(100, dev.vecmlp.nn.Activation.TANH).dense(100, dev.vecmlp.nn.Activation.TANH)
                .dense(100, dev.vecmlp.nn.Activation.LINEAR).loss(dev.vecmlp.nn.Loss.SQUARED_ERROR).build();
        assertEquals(5.0 / 3, FlopModel.predictedRatio(square), 1e-12, "L = 3 equal layers");
    }

    @Test
    void gflopsCountTwoFlopsAMac() {
        // 1,000 MACs a row, 10 rows, in 1 µs: 20,000 FLOPs per µs = 20 GFLOP/s.
        assertEquals(20.0, FlopModel.gflops(1000, 10, 1.0), 1e-12);
    }

    @Test
    void bNetworksAreNamedByWidthAndDepth() {
        assertEquals(Networks.byName("B256"), Networks.byName("B256x4"), "B<w> is depth 4");
        Mlp b = Networks.byName("B128x6");
        assertEquals(7, b.depth(), "6 hidden layers and the output layer");
        assertEquals(128, b.inputs());
        assertEquals(10, b.outputs());
        for (String bad : new String[] {"B", "B0", "B64x0", "B64x", "Bx4", "D", "B64x65"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Networks.byName(bad), bad);
            assertTrue(e.getMessage().contains(bad) || e.getMessage().contains("65"), e.getMessage());
        }
    }
}
