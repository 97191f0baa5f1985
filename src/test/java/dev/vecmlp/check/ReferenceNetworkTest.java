package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/** The float64 reference against examples worked by hand from the lecture's equations. */
class ReferenceNetworkTest {

    /**
     * One logistic unit with squared error and L2, x = (1, 2), t = 1, w = (0.5, −0.25), b = 0.1,
     * λ = 0.1: z = 0.1, y = σ(0.1), E = ½(y − 1)² + λ/2·‖w‖², ∂E/∂w = (y − t)·y(1 − y)·x + λw and
     * ∂E/∂b = (y − t)·y(1 − y) (the bias is not penalised).
     */
    @Test
    void logisticLeastSquaresWithL2() {
        Mlp spec = Mlp.input(2).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).l2(0.1).build();
        float lambda = spec.l2();    // λ as the engine holds it, in float32
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[] {0.5, -0.25, 0.1});
        Batch batch = new Batch(1, new float[] {1, 2}, new float[] {1});
        double y = 0.52497918747894;                         // σ(0.1)
        double delta = (y - 1) * y * (1 - y);                // −0.11845880923571206
        ReferenceNetwork.Gradient g = net.gradient(batch);
        assertEquals(0.5 * (y - 1) * (y - 1) + lambda / 2 * 0.3125, g.loss(), 1e-14);
        assertEquals(0.1284473861640840, net.loss(batch), 1e-8);   // with λ = 0.1 exactly
        assertArrayEquals(new double[] {delta + lambda * 0.5, 2 * delta - lambda * 0.25}, g.tensor(0), 1e-14);
        assertArrayEquals(new double[] {delta}, g.tensor(1), 1e-14);
        assertEquals(-0.11845880923571206, delta, 1e-14);
    }

    /**
     * 2-2-2, tanh then linear, softmax cross-entropy, x = (1, −1), class 1, worked unit by unit:
     * Z̄2 = p − t, W̄2 = Z̄2 ⊗ h, H̄1 = W2ᵀ Z̄2, Z̄1 = H̄1 ∘ (1 − h²), W̄1 = Z̄1 ⊗ x.
     */
    @Test
    void twoLayerNetworkBackpropByHand() {
        Mlp spec = Mlp.input(2).dense(2, Activation.TANH).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        double[] p = {0.1, -0.2, 0.3, 0.4, 0.05, -0.05, 0.5, -0.6, 0.7, 0.8, 0.01, -0.02};
        ReferenceNetwork net = ReferenceNetwork.of(spec, p);
        ReferenceNetwork.Gradient g = net.gradient(Batch.withLabels(new float[] {1, -1}, new int[] {1}, 2));
        assertEquals(0.7823868246772454, g.loss(), 1e-14);
        assertArrayEquals(new double[] {-0.09625652310829427, 0.09625652310829427, -0.7429200995477049, 0.7429200995477049},
                g.tensor(0), 1e-14);
        assertArrayEquals(new double[] {-0.09625652310829427, -0.7429200995477049}, g.tensor(1), 1e-14);
        assertArrayEquals(new double[] {0.18254657406423122, -0.08079794525787411, -0.18254657406423122, 0.08079794525787411},
                g.tensor(2), 1e-14);
        double p0 = 0.18254657406423122 / Math.tanh(0.35);   // Z̄2 = p − t = (p0, p1 − 1) = (p0, −p0)
        assertArrayEquals(new double[] {p0, -p0}, g.tensor(3), 1e-14);
    }

    /** Soft targets: per row s = Σt, loss s·logsumexp(h) − Σ t·h, error (s·softmax − t)/B. */
    @Test
    void softTargetsFollowTheEngineDefinition() {
        Mlp spec = Mlp.input(1).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[] {1, -1, 0, 0});
        Batch b = new Batch(1, new float[] {0.5f}, new float[] {0.5f, 1.0f});
        double lse = Math.log(Math.exp(0.5) + Math.exp(-0.5));
        ReferenceNetwork.Gradient g = net.gradient(b);
        assertEquals(1.5 * lse - (0.25 - 0.5), g.loss(), 1e-14);
        double p0 = Math.exp(0.5 - lse), p1 = Math.exp(-0.5 - lse);
        assertArrayEquals(new double[] {1.5 * p0 - 0.5, 1.5 * p1 - 1.0}, g.tensor(1), 1e-14);
    }

    /** The reference's loss is the engine's (mean over the batch, L2 on weights only) up to float32 rounding. */
    @Test
    void lossMatchesTheEngine() {
        Mlp spec = Mlp.input(6).dense(5, Activation.SOFTPLUS).dense(3, Activation.TANH).loss(Loss.SQUARED_ERROR).l2(0.01).build();
        Batch batch = Batch.random(spec, 4, 3L);
        try (Model model = spec.init(9L, KernelProvider.scalar()); Workspace ws = model.workspace(4)) {
            for (int u = 0; u < 3; u++) {
                model.setBias(1, u, 0.25f * (u + 1));   // a bias the penalty must leave out
            }
            ws.setInputs(batch.inputs(), 4);
            ws.setTargets(batch.targets(), 4);
            double engine = model.forward(ws, 4);
            assertEquals(engine, ReferenceNetwork.of(model).loss(batch), 1e-6 * Math.abs(engine));
        }
    }

    @Test
    void tensorsAreNamedAndLaidOutLikeTheLecture() {
        Mlp spec = Mlp.input(3).dense(4, Activation.RELU).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[(int) spec.parameterCount()]);
        assertEquals(4, net.tensorCount());
        assertEquals("W0 b0 W1 b1", net.tensorName(0) + " " + net.tensorName(1) + " " + net.tensorName(2) + " " + net.tensorName(3));
        assertEquals(16, net.tensorOffset(2));
        assertEquals(2, net.tensorRows(2));
        assertEquals(4, net.tensorColumns(2));
        assertEquals(1, net.tensorColumns(1));
        assertEquals("W1[1][3]", net.coordinateName(16 + 7));
        assertEquals("b0[2]", net.coordinateName(14));
        assertEquals(3, net.tensorOf(25));
    }

    @Test
    void badInputsAreNamed() {
        Mlp spec = Mlp.input(3).dense(2, Activation.TANH).loss(Loss.SQUARED_ERROR).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceNetwork.of(spec, new double[7]));
        assertTrue(e.getMessage().contains("expected 8") && e.getMessage().contains("found 7"), e.getMessage());
        double[] p = new double[8];
        p[4] = Double.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> ReferenceNetwork.of(spec, p));
        assertTrue(e.getMessage().contains("W0[1][1]") && e.getMessage().contains("NaN"), e.getMessage());
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[8]);
        e = assertThrows(IllegalArgumentException.class, () -> net.loss(new Batch(2, new float[4], new float[4])));
        assertTrue(e.getMessage().contains("batch inputs: expected 2 x 3 = 6") && e.getMessage().contains("found 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.loss(new Batch(1, new float[3], new float[1])));
        assertTrue(e.getMessage().contains("batch targets: expected 1 x 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Batch(2, new float[] {0, 0, 0, 0, Float.NaN, 0}, new float[4]));
        assertTrue(e.getMessage().contains("row 1, column 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Batch.withLabels(new float[3], new int[] {2}, 2));
        assertTrue(e.getMessage().contains("[0, 2) at row 0, found 2"), e.getMessage());
    }
}
