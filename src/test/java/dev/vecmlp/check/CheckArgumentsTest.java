package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * Where the check package names a coordinate: batch and tensor validation messages, every public
 * entry point's argument checks, and the row, column, layer and sample of the coordinates the
 * reports point at, on non-square tensors.
 */
class CheckArgumentsTest {
    /** W0 is 3 x 5, b0 3, W1 2 x 3, b1 2: 26 parameters. */
    private static final Mlp SPEC = Mlp.input(5).dense(3, Activation.TANH).dense(2, Activation.LINEAR)
            .loss(Loss.SQUARED_ERROR).build();

    private static ReferenceNetwork net() {
        try (Model m = SPEC.init(5L, KernelProvider.scalar())) {
            return ReferenceNetwork.of(m);
        }
    }

    private static String message(Class<? extends RuntimeException> type, Executable call) {
        return assertThrows(type, call).getMessage();
    }

    @Test
    void batchMessagesNameRowAndColumn() {
        assertEquals("batch target at row 1, column 1: expected a finite value, found Infinity",
                message(IllegalArgumentException.class,
                        () -> new Batch(2, new float[4], new float[] {0, 0, 0, Float.POSITIVE_INFINITY})));
        assertEquals("batch input at row 1, column 1: expected a finite value, found NaN",
                message(IllegalArgumentException.class,
                        () -> new Batch(2, new float[] {0, 0, 0, 0, Float.NaN, 0}, new float[2])));
        String m = message(IllegalArgumentException.class, () -> net().loss(new Batch(2, new float[10], new float[6])));
        assertTrue(m.startsWith("batch targets: expected 2 x 2 = 4 floats for 5-3 tanh-2 linear"), m);
        assertTrue(m.endsWith("found 6"), m);
    }

    @Test
    void randomSquaredErrorBatchHasGaussianTargets() {
        Batch b = Batch.random(SPEC, 50, 3L);
        double sq = 0;
        for (float t : b.targets()) {
            sq += t * t;
        }
        assertEquals(100, b.targets().length);
        assertEquals(1, sq / 100, 0.4);
    }

    @Test
    void tensorIndicesAreChecked() {
        ReferenceNetwork net = net();
        String expected = "tensor: expected 0 to 3 for " + SPEC + ", found ";
        for (int t : new int[] {-1, 4}) {
            assertEquals(expected + t, message(IndexOutOfBoundsException.class, () -> net.tensorName(t)));
            assertEquals(expected + t, message(IndexOutOfBoundsException.class, () -> net.tensorOffset(t)));
            assertEquals(expected + t, message(IndexOutOfBoundsException.class, () -> net.tensorSize(t)));
            assertEquals(expected + t, message(IndexOutOfBoundsException.class, () -> net.tensorRows(t)));
            assertEquals(expected + t, message(IndexOutOfBoundsException.class, () -> net.tensorColumns(t)));
        }
        assertEquals("b1", net.tensorName(3));
        assertEquals(24, net.tensorOffset(3));
        assertEquals(2, net.tensorSize(3));
        assertEquals(2, net.tensorRows(3));
        assertEquals(1, net.tensorColumns(3));
        assertEquals(3, net.tensorColumns(2));
        assertEquals(0, net.tensorOf(0));
        assertEquals(0, net.tensorOf(14));
        assertEquals(1, net.tensorOf(15));
        assertEquals(3, net.tensorOf(25));
        for (int i : new int[] {-1, 26}) {
            assertEquals("parameter index: expected 0 to 25, found " + i,
                    message(IndexOutOfBoundsException.class, () -> net.tensorOf(i)));
        }
        assertEquals("ReferenceNetwork[" + SPEC + "]", net.toString());
        assertTrue(message(IllegalArgumentException.class, () -> net.trace(new Batch(1, new float[4], new float[2])))
                .startsWith("batch inputs: expected 1 x 5 = 5"));
    }

    /** The shift by each row's own maximum: logits near 1000 in row 1 only. */
    @Test
    void logSumExpShiftsEachRowByItsMaximum() {
        double[] y = {0, 0.5, 1000, 1001};
        assertEquals(1001 + Math.log1p(Math.exp(-1)), ReferenceNetwork.logSumExp(y, 1, 2), 1e-12);
        assertEquals(0.5 + Math.log1p(Math.exp(-0.5)), ReferenceNetwork.logSumExp(y, 0, 2), 1e-15);
    }

    /** Every public entry point checks the batch and the tensor names before anything else. */
    @Test
    void entryPointsCheckBatchAndNamesFirst() {
        ReferenceNetwork net = net();
        Batch bad = new Batch(1, new float[4], new float[2]);
        Batch good = Batch.random(SPEC, 2, 1L);
        GradientCheck.Options w8 = GradientCheck.Options.ALL.withTensors("W8");
        String batchMessage = "batch inputs: expected 1 x 5 = 5 floats for " + SPEC + ", found 4";
        String nameMessage = "tensor: expected one of W0, b0, W1, b1 for " + SPEC + ", found 'W8'";
        // A wrong-length gradient too: the batch is named, not the gradient.
        assertEquals(batchMessage, message(IllegalArgumentException.class,
                () -> GradientCheck.check(net, bad, new float[3], "e", GradientCheck.Options.ALL)));
        assertEquals(batchMessage, message(IllegalArgumentException.class,
                () -> GradientCheck.checkGradient(net, bad, new double[3], GradientCheck.Options.ALL)));
        assertEquals(batchMessage, message(IllegalArgumentException.class,
                () -> GradientCheck.checkReference(net, bad, GradientCheck.Options.ALL)));
        assertEquals(nameMessage, message(IllegalArgumentException.class,
                () -> GradientCheck.check(net, good, new float[26], "e", w8)));
        assertEquals(nameMessage, message(IllegalArgumentException.class,
                () -> GradientCheck.checkGradient(net, good, new double[26], w8)));
        try (Model m = SPEC.init(5L, KernelProvider.scalar())) {
            assertEquals(batchMessage, message(IllegalArgumentException.class,
                    () -> GradientCheck.checkEngine(m, bad, GradientCheck.Options.ALL)));
            assertEquals(nameMessage, message(IllegalArgumentException.class,
                    () -> GradientCheck.checkEngine(m, good, w8)));
            GradientReport r = GradientCheck.checkEngine(m, good, GradientCheck.Options.ALL.withTensors("b1"));
            assertEquals(Optional.of(m.kernels().name()), r.engineName());
            assertEquals(List.of("b1"), r.engine().stream().map(TensorReport::name).toList());
        }
        // One coordinate per tensor is allowed.
        assertEquals(1, new GradientCheck.Options(1, 2L, java.util.Set.of()).maxCoordinatesPerTensor());
    }

    /** min(size, max) distinct indices within the tensor, ascending; all of them when they fit. */
    @Test
    void sampleIsAscendingDistinctAndWithinTheTensor() {
        for (long seed = 1; seed <= 5; seed++) {
            int[] s = GradientCheck.sample(100, 10, seed);
            assertEquals(10, s.length);
            assertTrue(s[0] >= 0 && s[9] < 100, java.util.Arrays.toString(s));
            for (int i = 1; i < s.length; i++) {
                assertTrue(s[i - 1] < s[i], "ascending and distinct: " + java.util.Arrays.toString(s));
            }
        }
        assertEquals(java.util.Arrays.toString(new int[] {0, 1, 2, 3}), java.util.Arrays.toString(GradientCheck.sample(4, 4, 9L)));
        assertEquals(java.util.Arrays.toString(new int[] {0, 1, 2}), java.util.Arrays.toString(GradientCheck.sample(3, 8, 9L)));
    }

    /**
     * Verdict 1 with at most 3 of each tensor's coordinates: the sample is the documented draw
     * (seed·31 + tensor). Coordinate i of each tensor is claimed as (1 + (i + 1)/10) times its
     * true value, so the tensor's least-squares ratio n/a identifies which coordinates were drawn,
     * and the largest error the largest drawn index.
     */
    @Test
    void finiteDifferencesSampleTheDocumentedCoordinates() {
        Mlp spec = Mlp.input(5).dense(6, Activation.TANH).dense(7, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        ReferenceNetwork net;
        try (Model m = spec.init(6L, KernelProvider.scalar())) {
            net = ReferenceNetwork.of(m);
        }
        Batch batch = Batch.random(spec, 3, 2L);
        double[] ref = net.gradient(batch).parameters();
        double[] g = ref.clone();
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < net.tensorSize(t); i++) {
                g[net.tensorOffset(t) + i] *= 1 + (i + 1) / 10.0;
            }
        }
        long seed = 12345L;
        GradientReport r = GradientCheck.checkGradient(net, batch, g,
                GradientCheck.Options.ALL.withMaxCoordinatesPerTensor(3).withSeed(seed));
        assertEquals(Optional.empty(), r.engineName());
        assertTrue(r.engine().isEmpty());
        for (int t = 0; t < 4; t++) {
            TensorReport tr = r.finiteDifferences().get(t);
            int o = net.tensorOffset(t);
            int[] picked = GradientCheck.sample(net.tensorSize(t), 3, seed * 31 + t);
            double dot = 0, sq = 0, maxError = 0;
            for (int i : picked) {
                dot += ref[o + i] * g[o + i];
                sq += g[o + i] * g[o + i];
                maxError = Math.max(maxError, Math.abs(g[o + i] - ref[o + i]));
            }
            String what = tr.name() + " sampled " + java.util.Arrays.toString(picked);
            assertEquals(net.tensorName(t), tr.name());
            assertEquals(t / 2, tr.layer());
            assertEquals(t % 2 == 1, tr.bias());
            assertEquals(3, tr.checked());
            assertEquals(dot / sq, tr.ratio(), 1e-7, what);
            assertEquals(maxError, tr.maxError(), 1e-7 * maxError, what);
        }
    }

    /** A planted error at W0[2][4] (3 x 5) and at b1[1], verdict 1 over every coordinate. */
    @Test
    void finiteDifferencesNameThePlantedCoordinate() {
        ReferenceNetwork net = net();
        Batch batch = Batch.random(SPEC, 3, 2L);
        double[] g = net.gradient(batch).parameters();
        g[2 * 5 + 4] += 0.01;
        g[24 + 1] *= -1;
        double s = 0;
        for (int i = 0; i < 15; i++) {
            s = Math.max(s, Math.abs(g[i]));
        }
        GradientReport r = GradientCheck.checkGradient(net, batch, g, GradientCheck.Options.ALL);
        TensorReport w0 = r.finiteDifferences("W0").orElseThrow();
        assertEquals("W0[2][4]", w0.worstCoordinate());
        assertEquals(1, w0.failing());
        assertEquals(GradientCheck.ABSOLUTE_TOLERANCE * s + GradientCheck.RELATIVE_TOLERANCE * Math.abs(g[14]),
                w0.worstAllowed(), 1e-3 * w0.worstAllowed());
        TensorReport b1 = r.finiteDifferences("b1").orElseThrow();
        assertEquals("b1[1]", b1.worstCoordinate());
        assertEquals(1, b1.layer());
        assertTrue(b1.bias());
    }

    /** Verdict 2: planted errors at W1[1][2] (2 x 3) and b0[2]; b1 scaled by 1.5 shows in the table. */
    @Test
    void engineComparisonNamesThePlantedCoordinate() {
        ReferenceNetwork net = net();
        Batch batch = Batch.random(SPEC, 3, 2L);
        double[] g = net.gradient(batch).parameters();
        float[] e = new float[g.length];
        for (int i = 0; i < g.length; i++) {
            e[i] = (float) g[i];
        }
        e[18 + 1 * 3 + 2] += 0.01f;
        e[15 + 2] -= 0.01f;
        e[24] = (float) (1.5 * g[24]);
        e[25] = (float) (1.5 * g[25]);
        GradientReport r = GradientCheck.check(net, batch, e, "planted", GradientCheck.Options.ALL);
        assertEquals(Optional.of("planted"), r.engineName());
        assertEquals(List.of("W0", "b0", "W1", "b1"), r.engine().stream().map(TensorReport::name).toList());
        TensorReport w1 = r.engine("W1").orElseThrow();
        assertEquals("W1[1][2]", w1.worstCoordinate());
        assertEquals(1, w1.layer());
        assertFalse(w1.bias());
        TensorReport b0 = r.engine("b0").orElseThrow();
        assertEquals("b0[2]", b0.worstCoordinate());
        assertEquals(0, b0.layer());
        assertTrue(b0.bias());
        assertTrue(r.engine("W0").orElseThrow().passed());
        String text = r.format();
        String b1 = text.lines().filter(l -> l.startsWith("  b1 ")).reduce((a, c) -> c).orElseThrow();
        assertTrue(b1.contains(" 5.0e-01 ") && b1.contains("!"), text);
        String w0 = text.lines().filter(l -> l.startsWith("  W0 ")).reduce((a, c) -> c).orElseThrow();
        assertFalse(w0.contains("!"), text);
    }
}
