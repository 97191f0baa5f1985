package dev.vecmlp.nn;

import static dev.vecmlp.nn.MlpTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;

/** A workspace's checks: closed, inference-only, batch and layer bounds. */
class WorkspaceTest {
    private static final Mlp SPEC = Mlp.input(5).dense(4, Activation.TANH).dense(3, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();

    @Test
    void everyAccessorOfAClosedWorkspaceIsRefused() {
        try (Model model = SPEC.init(1L)) {
            Workspace ws = model.workspace(2);
            ws.close();
            String[] message = {"workspace for " + SPEC, "closed"};
            assertRejected(IllegalStateException.class, ws::inputs, message);
            assertRejected(IllegalStateException.class, ws::targets, message);
            assertRejected(IllegalStateException.class, () -> ws.preActivation(0), message);
            assertRejected(IllegalStateException.class, () -> ws.activation(1), message);
            assertRejected(IllegalStateException.class, ws::outputs, message);
            assertRejected(IllegalStateException.class, () -> ws.errorSignal(0), message);
            // Closing twice is allowed, and the model's count of open workspaces went down once.
            ws.close();
        }
    }

    @Test
    void anInferenceWorkspaceHasNoTargetsOrErrorSignals() {
        try (Model model = SPEC.init(1L);
             Workspace training = model.workspace(2);
             Workspace inference = new Workspace(SPEC, KernelProvider.best(), 2, false, null)) {
            assertTrue(training.isTraining());
            assertFalse(inference.isTraining());
            assertEquals(5, inference.inputs().cols());
            assertRejected(IllegalStateException.class, inference::targets, "made for inference", "no targets");
            assertRejected(IllegalStateException.class, () -> inference.errorSignal(0), "no error signals");
            assertRejected(IllegalArgumentException.class, () -> model.forward(inference, 1),
                    "expected a training workspace");
        }
    }

    @Test
    void batchesAboveTheMaximumAndLayersPastTheLastAreRefused() {
        try (Model model = SPEC.init(1L); Workspace ws = model.workspace(2)) {
            String batch = "batch: expected 1 to 2 rows (the workspace's maximum), found 3";
            assertRejected(IllegalArgumentException.class, () -> ws.setInputs(new float[3 * 5], 3), batch);
            assertRejected(IllegalArgumentException.class, () -> ws.setTargets(new float[3 * 3], 3), batch);
            assertRejected(IllegalArgumentException.class, () -> ws.setLabels(new int[3], 3), batch);
            String layer = "layer: expected 0 to 1, found ";
            assertRejected(IndexOutOfBoundsException.class, () -> ws.preActivation(2), layer + 2);
            assertRejected(IndexOutOfBoundsException.class, () -> ws.activation(-1), layer + -1);
            assertEquals(3, ws.activation(1).cols(), "the last layer is accepted");
        }
    }
}
