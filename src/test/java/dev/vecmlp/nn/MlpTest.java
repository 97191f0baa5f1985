package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The description of a network: what the builder accepts, what it rejects and how it says so. */
class MlpTest {

    /** Asserts that {@code call} throws {@code type} with a message containing every fragment. */
    static <T extends Throwable> void assertRejected(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                    () -> "message should contain '" + fragment + "', found: " + e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, -784, Integer.MIN_VALUE})
    void inputWidthBelowOneIsRejected(int width) {
        assertRejected(IllegalArgumentException.class, () -> Mlp.input(width),
                "input", "expected a width of 1 to " + Mlp.MAX_WIDTH, "found " + width);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, -10})
    void layerWidthBelowOneIsRejectedNamingTheLayerFromZero(int width) {
        Mlp.Builder b = Mlp.input(3).dense(4, Activation.RELU);
        assertRejected(IllegalArgumentException.class, () -> b.dense(width, Activation.RELU),
                "layer 1", "expected a width of 1 to " + Mlp.MAX_WIDTH, "found " + width);
        assertRejected(IllegalArgumentException.class, () -> Mlp.input(3).dense(width, Activation.LINEAR),
                "layer 0", "found " + width);
    }

    @Test
    void widthAboveTheMaximumIsRejected() {
        assertRejected(IllegalArgumentException.class, () -> Mlp.input(Mlp.MAX_WIDTH + 1),
                "input", "found " + (Mlp.MAX_WIDTH + 1));
        assertRejected(IllegalArgumentException.class, () -> Mlp.input(2).dense(Mlp.MAX_WIDTH + 1, Activation.TANH),
                "layer 0", "found " + (Mlp.MAX_WIDTH + 1));
    }

    @Test
    void missingActivationIsRejected() {
        assertRejected(IllegalArgumentException.class, () -> Mlp.input(2).dense(3, null),
                "layer 0", "expected an activation", "found null");
    }

    @Test
    void missingLossIsRejected() {
        assertRejected(IllegalStateException.class, () -> Mlp.input(2).dense(3, Activation.TANH).build(),
                "expected a loss", "found none");
    }

    @Test
    void networkWithoutLayersIsRejected() {
        assertRejected(IllegalStateException.class, () -> Mlp.input(2).loss(Loss.SQUARED_ERROR).build(),
                "expected at least one dense layer", "found none");
    }

    @Test
    void softmaxWithOneOutputIsRejectedNamingTheLastLayer() {
        assertRejected(IllegalStateException.class,
                () -> Mlp.input(4).dense(8, Activation.RELU).dense(1, Activation.LINEAR)
                        .loss(Loss.SOFTMAX_CROSS_ENTROPY).build(),
                "softmax cross-entropy", "at least 2 outputs", "found 1", "layer 1");
        assertEquals(2, Mlp.input(4).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build().outputs());
    }

    @ParameterizedTest
    @ValueSource(doubles = {-1e-9, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void l2MustBeFiniteAndNonNegative(double lambda) {
        Mlp.Builder b = Mlp.input(2).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR);
        assertRejected(IllegalArgumentException.class, () -> b.l2(lambda), "l2", "expected a finite λ >= 0",
                "found " + lambda);
        Mlp spec = b.build();
        assertRejected(IllegalArgumentException.class, () -> spec.withL2(lambda), "l2", "found " + lambda);
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e39, Double.MAX_VALUE})
    void l2BeyondTheFloatRangeIsRejected(double lambda) {
        // λ is kept as a float, where a finite double above Float.MAX_VALUE becomes an infinite
        // penalty: the loss and every weight gradient of such a network would be infinite.
        Mlp.Builder b = Mlp.input(2).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR);
        assertRejected(IllegalArgumentException.class, () -> b.l2(lambda), "l2", "found " + lambda);
        Mlp spec = b.build();
        assertRejected(IllegalArgumentException.class, () -> spec.withL2(lambda), "l2", "found " + lambda);
    }

    @Test
    void l2ThatVanishesInFloat32IsRejected() {
        // 1e-50 is positive but rounds to 0 as a float: the user would silently get no penalty.
        Mlp.Builder b = Mlp.input(2).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR);
        assertRejected(IllegalArgumentException.class, () -> b.l2(1e-50), "l2", "smallest float32", "found 1.0E-50");
        assertEquals(0f, b.l2(0).build().l2());
        assertEquals(Float.MIN_VALUE, b.l2(Float.MIN_VALUE).build().l2());
    }

    @Test
    void layersChainTheirWidthsAndCountParameters() {
        Mlp spec = Mlp.input(3).dense(4, Activation.TANH).dense(5, Activation.RELU).dense(2, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(0.5).build();
        assertEquals(List.of(new Layer(3, 4, Activation.TANH), new Layer(4, 5, Activation.RELU),
                new Layer(5, 2, Activation.LINEAR)), spec.layers());
        assertEquals(3, spec.inputs());
        assertEquals(2, spec.outputs());
        assertEquals(3, spec.depth());
        assertEquals(3 * 4 + 4 * 5 + 5 * 2, spec.forwardMultiplyAdds());
        assertEquals(3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2, spec.parameterCount());
        assertEquals(0.5f, spec.l2());
        assertEquals(Loss.SOFTMAX_CROSS_ENTROPY, spec.loss());
        assertThrows(UnsupportedOperationException.class, () -> spec.layers().add(new Layer(2, 2, Activation.LINEAR)));
    }

    @Test
    void withL2ChangesOnlyTheCoefficientAndEqualityFollowsContent() {
        Mlp spec = Mlp.input(3).dense(4, Activation.TANH).loss(Loss.SQUARED_ERROR).build();
        Mlp same = Mlp.input(3).dense(4, Activation.TANH).loss(Loss.SQUARED_ERROR).build();
        Mlp withL2 = spec.withL2(0.25);
        assertEquals(spec, same);
        assertEquals(spec.hashCode(), same.hashCode());
        assertEquals(0f, spec.l2());
        assertEquals(0.25f, withL2.l2());
        assertEquals(spec.layers(), withL2.layers());
        assertNotEquals(spec, withL2);
        assertNotEquals(spec, Mlp.input(3).dense(4, Activation.RELU).loss(Loss.SQUARED_ERROR).build());
    }

    @Test
    void theWidestLayerIsAcceptedAndOneMoreIsNot() {
        assertEquals(Mlp.MAX_WIDTH, Mlp.input(Mlp.MAX_WIDTH).dense(Mlp.MAX_WIDTH, Activation.LINEAR)
                .loss(Loss.SQUARED_ERROR).build().outputs());
        assertRejected(IllegalArgumentException.class, () -> Mlp.input(2).dense(Mlp.MAX_WIDTH + 1, Activation.LINEAR),
                "layer 0: expected a width of 1 to " + Mlp.MAX_WIDTH, "found " + (Mlp.MAX_WIDTH + 1));
    }

    @Test
    void toStringNamesTheLayersTheLossAndAnyPenalty() {
        Mlp.Builder b = Mlp.input(3).dense(4, Activation.RELU).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY);
        assertEquals("3-4 relu-2 linear, softmax_cross_entropy", b.build().toString());
        assertEquals("3-4 relu-2 linear, softmax_cross_entropy, l2 0.5", b.l2(0.5).build().toString());
    }

    @Test
    void hashCodeFollowsEveryPart() {
        Mlp spec = Mlp.input(3).dense(4, Activation.RELU).loss(Loss.SQUARED_ERROR).build();
        List<Mlp> variants = List.of(spec, Mlp.input(2).dense(4, Activation.RELU).loss(Loss.SQUARED_ERROR).build(),
                Mlp.input(3).dense(5, Activation.RELU).loss(Loss.SQUARED_ERROR).build(),
                Mlp.input(3).dense(4, Activation.TANH).loss(Loss.SQUARED_ERROR).build(), spec.withL2(0.5));
        // Objects.hash of these fields: fixed values, all different here.
        assertEquals(variants.size(), variants.stream().mapToInt(Mlp::hashCode).distinct().count(), variants.toString());
    }

    @Test
    void builderInitIsBuildThenInit() {
        Mlp.Builder b = Mlp.input(3).dense(4, Activation.TANH).loss(Loss.SQUARED_ERROR);
        try (Model viaBuilder = b.init(9L); Model viaSpec = b.build().init(9L)) {
            assertEquals(viaSpec.spec(), viaBuilder.spec());
            assertArrayEquals(viaSpec.parametersToArray(), viaBuilder.parametersToArray());
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void anActivationComputesAsItsKernelFunction(Activation a) {
        for (float z : new float[] {-2.5f, -0.25f, 0.75f, 3f}) {
            float h = a.pointwise().apply(z);
            assertEquals(h, a.apply(z), a + "(" + z + ")");
            assertEquals(a.pointwise().derivative(z, h), a.derivative(z, h), a + "'(" + z + ")");
        }
    }

    @Test
    void withParametersMakesAModelHoldingThemAndNamesABadValue() {
        Mlp spec = Mlp.input(3).dense(4, Activation.TANH).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        float[] values = new float[(int) spec.parameterCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = 0.25f * i - 3;
        }
        try (Model m = spec.withParameters(values, dev.vecmlp.kernel.KernelProvider.scalar())) {
            assertArrayEquals(values, m.parametersToArray());
        }
        values[12 + 4 + 5] = Float.NaN;   // layer 1 (4 inputs) starts after 12 + 4 values: its sixth is [1][1]
        assertRejected(IllegalArgumentException.class, () -> spec.withParameters(values, dev.vecmlp.kernel.KernelProvider.scalar()),
                "layer 1 weight [1][1]", "expected a finite value", "found NaN");
        values[21] = 1f;
        values[12 + 1] = Float.POSITIVE_INFINITY;   // layer 0's bias [1]
        assertRejected(IllegalArgumentException.class, () -> spec.withParameters(values, dev.vecmlp.kernel.KernelProvider.scalar()),
                "layer 0 bias [1]", "found Infinity");
        assertRejected(IllegalArgumentException.class, () -> spec.withParameters(new float[3], dev.vecmlp.kernel.KernelProvider.scalar()),
                "expected " + spec.parameterCount() + " floats", "found 3");
    }
}
