package dev.vecmlp.io;

import static dev.vecmlp.io.Bytes.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Predictor;

/** Whole models in safetensors files: round trips, PyTorch's naming and files, and every check. */
class ModelFileTest {
    @TempDir
    Path dir;

    /** Every activation, a linear layer in the middle, widths around the 16-float padding. */
    private static final Mlp SPEC = Mlp.input(5).dense(17, Activation.RELU).dense(3, Activation.LINEAR)
            .dense(16, Activation.SOFTPLUS).dense(4, Activation.HARD_THRESHOLD).dense(6, Activation.LOGISTIC)
            .dense(7, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-4).build();

    private static final Mlp SMALL = Mlp.input(3).dense(4, Activation.RELU).dense(2, Activation.LINEAR)
            .loss(Loss.SQUARED_ERROR).build();

    private static float[] random(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (4 * rng.nextDouble() - 2);
        }
        return a;
    }

    private static float[] predict(Model model, float[] x) {
        try (Predictor p = model.predictor(x.length / model.spec().inputs())) {
            float[] y = new float[x.length / model.spec().inputs() * model.spec().outputs()];
            p.predict(x, y);
            return y;
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Round trips

    @Test
    void aModelRoundTripsBitForBitWithSpecScalingMetadataAndPredictions() throws IOException {
        SplittableRandom rng = new SplittableRandom(7);
        float[] offset = {0f, -0f, 1f / 3, Float.MIN_VALUE, -123456.79f};
        float[] factor = {1f, Float.MAX_VALUE, 1e-38f, 0.1f, 3f};
        Scaling scaling = Scaling.of(Scaling.Kind.STANDARDIZE, offset, factor);
        Map<String, String> extra = Map.of("train.accuracy", "0.9812", "note", "λ tuned \"by hand\"\n");
        Path p = dir.resolve("model.safetensors");
        try (Model model = SPEC.init(42L)) {
            // Odd values to catch any lossy conversion: subnormals, -0, extremes.
            float[] params = model.parametersToArray();
            params[0] = -0f;
            params[1] = Float.MIN_VALUE;
            params[2] = -Float.MAX_VALUE / 1e30f;
            params[params.length - 1] = 1f / 3;
            model.setParameters(params);
            ModelFile.write(p, model, scaling, extra);

            try (ModelFile.Contents c = ModelFile.read(p)) {
                assertEquals(SPEC, c.model().spec());
                assertBitsEqual(params, c.model().parametersToArray());
                assertEquals(scaling, c.scaling());
                assertEquals(extra, c.metadata());
                float[] x = random(rng, 4 * SPEC.inputs());
                assertArrayEquals(predict(model, x), predict(c.model(), x));
            }
        }
    }

    @Test
    void withoutScalingTheModelComesBackWithNone() throws IOException {
        Path p = dir.resolve("m.safetensors");
        try (Model model = SMALL.init(1L)) {
            ModelFile.write(p, model, null, Map.of());
            try (ModelFile.Contents c = ModelFile.read(p, KernelProvider.scalar())) {
                assertEquals(Scaling.none(3), c.scaling());
                assertEquals(Map.of(), c.metadata());
                assertEquals(KernelProvider.scalar().name(), c.model().kernels().name());
                assertBitsEqual(model.parametersToArray(), c.model().parametersToArray());
            }
        }
    }

    @Test
    void theFileIsWhatPyTorchExpects() throws IOException {
        Mlp spec = Mlp.input(784).dense(512, Activation.RELU).dense(512, Activation.RELU).dense(10, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-4).build();
        Path p = dir.resolve("mnist.safetensors");
        try (Model model = spec.init(3L)) {
            ModelFile.write(p, model, Scaling.divide(784, 255f), Map.of("epochs", "12"));
            TensorFile f = Safetensors.read(p);
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"),
                    List.copyOf(f.tensors().keySet()));
            assertArrayEquals(new long[] {512, 784}, f.tensors().get("0.weight").shape());
            assertArrayEquals(new long[] {512}, f.tensors().get("0.bias").shape());
            assertArrayEquals(new long[] {10, 512}, f.tensors().get("4.weight").shape());
            f.tensors().values().forEach(t -> assertEquals(DType.F32, t.dtype()));
            Map<String, String> m = f.metadata();
            assertEquals("pt", m.get("format"));
            assertEquals("1", m.get("vecmlp.version"));
            assertEquals("784", m.get("vecmlp.inputs"));
            assertEquals("512:relu,512:relu,10:linear", m.get("vecmlp.layers"));
            assertEquals("softmax_cross_entropy", m.get("vecmlp.loss"));
            assertEquals(Float.toString(1e-4f), m.get("vecmlp.l2"));
            assertEquals("divide", m.get("vecmlp.scaling"));
            assertTrue(m.get("vecmlp.scaling.factor").startsWith("[" + (1f / 255) + ","), m.get("vecmlp.scaling.factor"));
            assertEquals("12", m.get("epochs"));
            // Weight [r][c] sits at r * inputs + c, as in torch's row-major storage.
            assertEquals(model.weights(0).get(3, 5), f.tensors().get("0.weight").data().getFloat((3 * 784 + 5) * 4));
        }
    }

    static Stream<Arguments> architectures() {
        return Stream.of(
                Arguments.of(Mlp.input(4).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build(), List.of(0)),
                Arguments.of(Mlp.input(4).dense(8, Activation.RELU).dense(8, Activation.RELU).dense(2, Activation.LINEAR)
                        .loss(Loss.SQUARED_ERROR).build(), List.of(0, 2, 4)),
                Arguments.of(Mlp.input(4).dense(8, Activation.LINEAR).dense(8, Activation.TANH).dense(2, Activation.LINEAR)
                        .loss(Loss.SQUARED_ERROR).build(), List.of(0, 1, 3)),
                Arguments.of(Mlp.input(4).dense(8, Activation.HARD_THRESHOLD).dense(8, Activation.LINEAR)
                        .dense(8, Activation.LINEAR).dense(8, Activation.SOFTPLUS).dense(3, Activation.LOGISTIC)
                        .loss(Loss.SQUARED_ERROR).build(), List.of(0, 2, 3, 4, 6)),
                Arguments.of(SPEC, List.of(0, 2, 3, 5, 7, 9, 11)));
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void tensorsAreNamedByTheirIndexInASequential(Mlp spec, List<Integer> linearIndices) throws IOException {
        List<String> expected = linearIndices.stream().flatMap(i -> Stream.of(i + ".weight", i + ".bias")).toList();
        assertEquals(expected, ModelFile.tensorNames(spec));
        Path p = dir.resolve("n.safetensors");
        try (Model model = spec.init(5L)) {
            ModelFile.write(p, model, null, Map.of());
        }
        assertEquals(expected, List.copyOf(Safetensors.read(p).tensors().keySet()));
    }

    // ---------------------------------------------------------------------------------------
    // Files from PyTorch

    /** What {@code save_file(net.state_dict(), p)} writes for {@link #SMALL}: no vecmlp metadata. */
    private Path pyTorchFile(DType dtype, float[] w0, float[] b0, float[] w1, float[] b1, Map<String, String> metadata)
            throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.bias", tensor(dtype, b0, 4));
        t.put("0.weight", tensor(dtype, w0, 4, 3));
        t.put("2.bias", tensor(dtype, b1, 2));
        t.put("2.weight", tensor(dtype, w1, 2, 4));
        Path p = dir.resolve("torch.safetensors");
        Safetensors.write(p, t, metadata);
        return p;
    }

    private static Tensor tensor(DType dtype, float[] v, long... shape) {
        if (dtype == DType.F32) {
            return Tensor.f32(v, shape);
        }
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return Tensor.f64(d, shape);
    }

    @ParameterizedTest
    @MethodSource("floatTypes")
    void aPyTorchFileIsReadWithAGivenArchitecture(DType dtype) throws IOException {
        SplittableRandom rng = new SplittableRandom(11);
        float[] w0 = random(rng, 12), b0 = random(rng, 4), w1 = random(rng, 8), b1 = random(rng, 2);
        Path p = pyTorchFile(dtype, w0, b0, w1, b1, Map.of("format", "pt"));
        try (ModelFile.Contents c = ModelFile.read(p, SMALL)) {
            assertEquals(SMALL, c.model().spec());
            float[] all = new float[26];
            System.arraycopy(w0, 0, all, 0, 12);
            System.arraycopy(b0, 0, all, 12, 4);
            System.arraycopy(w1, 0, all, 16, 8);
            System.arraycopy(b1, 0, all, 24, 2);
            assertBitsEqual(all, c.model().parametersToArray());
            assertEquals(Scaling.none(3), c.scaling());
            assertEquals(Map.of(), c.metadata());
        }
        assertRejected(p, null, -1, () -> ModelFile.read(p), "architecture: expected vecmlp metadata",
                "ModelFile.read(file, spec)");
    }

    static Stream<DType> floatTypes() {
        return Stream.of(DType.F32, DType.F64);
    }

    @Test
    void f64IsRoundedToTheNearestFloat() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        double[] w = {0.1, -1e-50, 1.0000000001, 3.4028235e38, 0, 0, 0, 0, 0, 0, 0, 0};
        t.put("0.weight", Tensor.f64(w, 4, 3));
        t.put("0.bias", Tensor.f64(new double[4], 4));
        t.put("2.weight", Tensor.f64(new double[8], 2, 4));
        t.put("2.bias", Tensor.f64(new double[2], 2));
        Path p = dir.resolve("f64.safetensors");
        Safetensors.write(p, t, Map.of());
        try (ModelFile.Contents c = ModelFile.read(p, SMALL)) {
            float[] got = c.model().parametersToArray();
            for (int i = 0; i < 4; i++) {
                assertEquals((float) w[i], got[i]);
            }
        }
    }

    @Test
    void anF64BeyondTheFloatRangeIsRejectedNamingTheElement() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        double[] w = new double[12];
        w[7] = -1e39;
        t.put("0.weight", Tensor.f64(w, 4, 3));
        t.put("0.bias", Tensor.f64(new double[4], 4));
        t.put("2.weight", Tensor.f64(new double[8], 2, 4));
        t.put("2.bias", Tensor.f64(new double[2], 2));
        Path p = dir.resolve("big.safetensors");
        Safetensors.write(p, t, Map.of());
        long dataStart = 8 + ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertRejected(p, "0.weight", dataStart + 7 * 8, () -> ModelFile.read(p, SMALL), "element [2][1]", "float32 range",
                "found -1.0E39");
    }

    @Test
    void nonFiniteWeightsAreRejectedNamingTensorAndElement() throws IOException {
        float[] b0 = new float[4];
        b0[3] = Float.POSITIVE_INFINITY;
        Path p = pyTorchFile(DType.F32, new float[12], b0, new float[8], new float[2], Map.of());
        long dataStart = 8 + ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        // 0.bias is the first tensor in this file's data.
        assertRejected(p, "0.bias", dataStart + 12, () -> ModelFile.read(p, SMALL), "element [3]",
                "expected a finite value, found Infinity");
    }

    // ---------------------------------------------------------------------------------------
    // Tensors that do not fit the architecture

    @Test
    void aMissingTensorIsNamedWithTheShapeItShouldHave() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.weight", Tensor.f32(new float[12], 4, 3));
        t.put("0.bias", Tensor.f32(new float[4], 4));
        t.put("1.weight", Tensor.f32(new float[8], 2, 4));
        t.put("1.bias", Tensor.f32(new float[2], 2));
        Path p = dir.resolve("missing.safetensors");
        Safetensors.write(p, t, Map.of());
        assertRejected(p, "2.weight", -1, () -> ModelFile.read(p, SMALL), "layer 1's weights [2, 4]", "found none",
                "the file has [\"0.weight\", \"0.bias\", \"1.weight\", \"1.bias\"]");
    }

    @Test
    void anExtraTensorIsNamed() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.weight", Tensor.f32(new float[12], 4, 3));
        t.put("0.bias", Tensor.f32(new float[4], 4));
        t.put("2.weight", Tensor.f32(new float[8], 2, 4));
        t.put("2.bias", Tensor.f32(new float[2], 2));
        t.put("3.running_mean", Tensor.f32(new float[2], 2));
        Path p = dir.resolve("extra.safetensors");
        Safetensors.write(p, t, Map.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(p, SMALL));
        assertEquals("3.running_mean", e.tensor().orElseThrow());
        assertTrue(e.offset().isPresent());
        assertTrue(e.getMessage().contains("expected only the tensors [0.weight, 0.bias, 2.weight, 2.bias]"), e.getMessage());
    }

    @Test
    void aWrongShapeIsNamedWithBothShapes() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.weight", Tensor.f32(new float[12], 3, 4));
        t.put("0.bias", Tensor.f32(new float[4], 4));
        t.put("2.weight", Tensor.f32(new float[8], 2, 4));
        t.put("2.bias", Tensor.f32(new float[2], 2));
        Path p = dir.resolve("shape.safetensors");
        Safetensors.write(p, t, Map.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(p, SMALL));
        assertEquals("0.weight", e.tensor().orElseThrow());
        assertEquals(8 + 1, e.offset().orElseThrow(), "the name of the first entry, right after '{'");
        assertTrue(e.getMessage().contains("shape: expected [4, 3] (layer 0's weights, outputs x inputs), found [3, 4]"),
                e.getMessage());
    }

    @Test
    void anIntegerTensorIsRejected() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.weight", Tensor.f32(new float[12], 4, 3));
        t.put("0.bias", Tensor.of(DType.I32, new long[] {4}, new byte[16]));
        t.put("2.weight", Tensor.f32(new float[8], 2, 4));
        t.put("2.bias", Tensor.f32(new float[2], 2));
        Path p = dir.resolve("int.safetensors");
        Safetensors.write(p, t, Map.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(p, SMALL));
        assertEquals("0.bias", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains("dtype: expected F32 or F64, found I32"), e.getMessage());
    }

    @Test
    void aGivenArchitectureMustMatchTheSavedOne() throws IOException {
        Path p = dir.resolve("m.safetensors");
        try (Model model = SMALL.init(1L)) {
            ModelFile.write(p, model, null, Map.of());
        }
        assertRejected(p, null, -1, () -> ModelFile.read(p, SMALL.withL2(0.5)), "architecture: expected " + SMALL.withL2(0.5),
                "found " + SMALL + " in the metadata");
        try (ModelFile.Contents c = ModelFile.read(p, SMALL, KernelProvider.scalar())) {
            assertEquals(SMALL, c.model().spec());
        }
    }

    // ---------------------------------------------------------------------------------------
    // Metadata

    /** A valid file for {@link #SMALL} with one metadata entry replaced ({@code null}: removed). */
    private Path withMetadata(String key, String value) throws IOException {
        Path p = dir.resolve("meta.safetensors");
        try (Model model = SMALL.init(1L)) {
            ModelFile.write(p, model, Scaling.divide(3, 255f), Map.of());
        }
        TensorFile f = Safetensors.read(p);
        Map<String, String> m = new LinkedHashMap<>(f.metadata());
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        Safetensors.write(p, f.tensors(), m);
        return p;
    }

    static Stream<Arguments> badMetadata() {
        return Stream.of(
                Arguments.of("vecmlp.version", "2", "expected \"1\", found \"2\""),
                Arguments.of("vecmlp.version", null, "expected a key vecmlp.version"),
                Arguments.of("vecmlp.colour", "red", "found an unknown one"),
                Arguments.of("vecmlp.inputs", "0", "expected a width of 1 to 1048576 in digits, found \"0\""),
                Arguments.of("vecmlp.inputs", "+3", "in digits, found \"+3\""),
                Arguments.of("vecmlp.inputs", "99999999", "in digits, found \"99999999\""),
                Arguments.of("vecmlp.inputs", "2000000", "input: expected a width of 1 to 1048576, found 2000000"),
                Arguments.of("vecmlp.layers", "4:relu,2:gelu", "layer 1: expected an activation linear, relu, softplus, "
                        + "hard_threshold, logistic, tanh, found \"gelu\""),
                Arguments.of("vecmlp.layers", "4:relu,", "layer 1: expected width:activation, found \"\""),
                Arguments.of("vecmlp.layers", "4:RELU,2:linear", "found \"RELU\""),
                Arguments.of("vecmlp.layers", "", "layer 0: expected width:activation"),
                Arguments.of("vecmlp.loss", "mse", "expected squared_error, softmax_cross_entropy, found \"mse\""),
                Arguments.of("vecmlp.l2", "NaN", "expected a decimal number, found \"NaN\""),
                Arguments.of("vecmlp.l2", "0x1p3", "expected a decimal number"),
                Arguments.of("vecmlp.l2", "1e39", "within the float32 range"),
                Arguments.of("vecmlp.l2", "-1", "expected a finite λ >= 0"),
                Arguments.of("vecmlp.scaling", "z", "expected none, divide, standardize, found \"z\""),
                Arguments.of("vecmlp.scaling.factor", null, "together, found no vecmlp.scaling.factor"),
                Arguments.of("vecmlp.scaling.offset", "[0.0,0.0]", "expected 3 numbers (one per input), found 2"),
                Arguments.of("vecmlp.scaling.offset", "[0,0,0,0]", "found more"),
                Arguments.of("vecmlp.scaling.offset", "[0,0,1e39]", "within the float32 range"),
                Arguments.of("vecmlp.scaling.offset", "[0,0,NaN]", "element 2: expected a number, found 'NaN]'"),
                Arguments.of("vecmlp.scaling.offset", "[0,0,\"1\"]", "element 2: expected a number"),
                Arguments.of("vecmlp.scaling.offset", "[0,0,0] x", "expected the end of the value"),
                Arguments.of("vecmlp.scaling.offset", "[[0,0,0]]", "element 0: expected a number, found '[0,0,0]]'"));
    }

    @ParameterizedTest
    @MethodSource("badMetadata")
    void badMetadataIsRejectedNamingTheKey(String key, String value, String fragment) throws IOException {
        Path p = withMetadata(key, value);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(p));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(e.getMessage().contains(key), e.getMessage());
        if (value != null) {
            assertTrue(e.offset().isPresent(), e.getMessage());
        }
    }

    @Test
    void userMetadataMayNotUseReservedKeys() throws IOException {
        Path p = dir.resolve("m.safetensors");
        try (Model model = SMALL.init(1L)) {
            for (String key : List.of("format", "vecmlp.note")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> ModelFile.write(p, model, null, Map.of(key, "x")));
                assertTrue(e.getMessage().contains(key), e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelFile.write(p, model, Scaling.none(4), Map.of()));
            assertTrue(e.getMessage().contains("expected one for 3 features (the model's inputs), found 4"), e.getMessage());
        }
        assertTrue(Files.notExists(p));
    }

    // ---------------------------------------------------------------------------------------
    // Writes that fail

    @Test
    void writingAClosedModelFailsAndLeavesTheOldFile() throws IOException {
        Path p = dir.resolve("m.safetensors");
        try (Model model = SMALL.init(1L)) {
            ModelFile.write(p, model, null, Map.of());
        }
        byte[] before = Files.readAllBytes(p);
        Model closed = SMALL.init(2L);
        closed.close();
        assertThrows(IllegalStateException.class, () -> ModelFile.write(p, closed, null, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(p));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void writingIntoAMissingDirectoryNamesIt() throws IOException {
        try (Model model = SMALL.init(1L)) {
            Path p = dir.resolve("gone").resolve("m.safetensors");
            NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ModelFile.write(p, model, null, Map.of()));
            assertTrue(e.getMessage().contains(dir.resolve("gone").toString()), e.getMessage());
        }
    }

    @Test
    void contentsCloseTheModel() throws IOException {
        Path p = dir.resolve("m.safetensors");
        try (Model model = SMALL.init(1L)) {
            ModelFile.write(p, model, null, Map.of());
        }
        ModelFile.Contents c = ModelFile.read(p);
        c.close();
        assertThrows(IllegalStateException.class, () -> c.model().parametersToArray());
    }
}
