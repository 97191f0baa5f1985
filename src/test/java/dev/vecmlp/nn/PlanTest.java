package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.nn.Plan.Kind;
import dev.vecmlp.nn.Plan.Step;

/** The plan's steps: their order, and that running them one at a time is forwardBackward. */
class PlanTest {

    private static Mlp network(int depth, Loss loss, double l2) {
        Activation[] hidden = {Activation.TANH, Activation.RELU, Activation.LOGISTIC, Activation.SOFTPLUS};
        Mlp.Builder b = Mlp.input(19);
        for (int l = 0; l < depth - 1; l++) {
            b.dense(17 + 8 * l, hidden[l % hidden.length]);
        }
        return b.dense(4, Activation.LINEAR).loss(loss).l2(l2).build();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void stepsAreInTopologicalOrder(int depth) {
        try (Model model = network(depth, Loss.SQUARED_ERROR, 0).init(1L)) {
            Plan plan = model.plan();
            List<Step> forward = new ArrayList<>();
            for (int l = 0; l < depth; l++) {
                forward.add(new Step(Kind.DENSE, l));
            }
            forward.add(new Step(Kind.LOSS, depth - 1));
            assertEquals(forward, plan.forwardSteps());

            List<Step> backward = new ArrayList<>();
            for (int l = depth - 1; l >= 0; l--) {
                backward.add(new Step(Kind.WEIGHT_GRADIENT, l));
                backward.add(new Step(Kind.BIAS_GRADIENT, l));
                if (l > 0) {
                    backward.add(new Step(Kind.INPUT_GRADIENT, l));
                }
            }
            assertEquals(backward, plan.backwardSteps());
            // The input of layer 0 is the data, which has no gradient to compute.
            assertFalse(plan.backwardSteps().contains(new Step(Kind.INPUT_GRADIENT, 0)));
            assertThrows(UnsupportedOperationException.class, () -> plan.forwardSteps().clear());
            assertThrows(UnsupportedOperationException.class, () -> plan.backwardSteps().clear());
        }
    }

    @Test
    void twoLayerPlanSpelledOut() {
        try (Model model = network(2, Loss.SOFTMAX_CROSS_ENTROPY, 0).init(1L)) {
            assertEquals("[dense 0, dense 1, loss 1]", model.plan().forwardSteps().toString());
            assertEquals("[weight gradient 1, bias gradient 1, input gradient 1, weight gradient 0, bias gradient 0]",
                    model.plan().backwardSteps().toString());
        }
    }

    static Stream<Arguments> stepCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Kernels k : List.of(KernelProvider.scalar(), KernelProvider.simd())) {
            for (Loss loss : Loss.values()) {
                for (int batch : new int[] {1, 6}) {
                    cases.add(Arguments.of(k, loss, batch));
                }
            }
        }
        return cases.stream();
    }

    private static double[] read(Matrix m, int rows) {
        double[] out = new double[rows * m.cols()];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < m.cols(); c++) {
                out[r * m.cols() + c] = m.get(r, c);
            }
        }
        return out;
    }

    private static void poison(Matrix m) {
        m.fill(Float.NaN);
    }

    @ParameterizedTest(name = "{0} {1} batch {2}")
    @MethodSource("stepCases")
    void executingTheStepsOneByOneIsForwardBackward(Kernels kernels, Loss lossKind, int batch) {
        Mlp spec = network(3, lossKind, 0.0625);
        SplittableRandom rng = new SplittableRandom(77);
        float[] x = new float[batch * spec.inputs()];
        float[] t = new float[batch * spec.outputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * rng.nextDouble() - 1);
        }
        for (int i = 0; i < batch; i++) {
            t[i * spec.outputs() + rng.nextInt(spec.outputs())] = 1f;
        }
        try (Model model = spec.init(5L, kernels);
             Workspace ws = model.workspace(batch)) {
            for (int l = 0; l < spec.depth(); l++) {
                for (int j = 0; j < spec.layer(l).outputs(); j++) {
                    model.setBias(l, j, (float) (rng.nextDouble() - 0.5));
                }
            }
            ws.setInputs(x, batch);
            ws.setTargets(t, batch);
            double expectedLoss = model.forwardBackward(ws, batch);
            float[] expectedGradients = model.gradientsToArray();
            List<double[]> expectedState = new ArrayList<>();
            for (int l = 0; l < spec.depth(); l++) {
                expectedState.add(read(ws.preActivation(l), batch));
                expectedState.add(read(ws.activation(l), batch));
                expectedState.add(read(ws.errorSignal(l), batch));
            }

            // NaN everywhere the steps must write, so that a step that is skipped or writes the
            // wrong place shows up.
            for (int l = 0; l < spec.depth(); l++) {
                poison(model.weightGradient(l));
                poison(model.biasGradient(l));
                poison(ws.preActivation(l));
                poison(ws.activation(l));
                poison(ws.errorSignal(l));
            }
            Plan plan = model.plan();
            double loss = Double.NaN;
            for (Step step : plan.forwardSteps()) {
                double r = plan.execute(step, ws, batch);
                if (step.kind() == Kind.LOSS) {
                    loss = r;
                } else {
                    assertEquals(0.0, r, step + " returns 0");
                }
            }
            for (Step step : plan.backwardSteps()) {
                assertEquals(0.0, plan.execute(step, ws, batch), step + " returns 0");
            }

            // The same kernels in the same order: bitwise the same results.
            assertEquals(expectedLoss, loss, 0.0, "loss of the loss step");
            assertArrayEquals(expectedGradients, model.gradientsToArray(), "gradients after the backward steps");
            for (int l = 0; l < spec.depth(); l++) {
                assertArrayEquals(expectedState.get(3 * l), read(ws.preActivation(l), batch), "Z" + l);
                assertArrayEquals(expectedState.get(3 * l + 1), read(ws.activation(l), batch), "H" + l);
                assertArrayEquals(expectedState.get(3 * l + 2), read(ws.errorSignal(l), batch), "Z̄" + l);
            }
        }
    }
}
