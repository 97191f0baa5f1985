package dev.vecmlp.io;

import static dev.vecmlp.io.Bytes.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Predictor;

/**
 * PyTorch {@code nn.Sequential} state dicts whose module numbering is not vecmlp's, from real
 * PyTorch (interop/pytorch/make_cli_fixture.py) and made here: mapped in module order, or
 * refused naming what was found and what was expected.
 */
class TorchSequentialTest {
    @TempDir
    Path dir;

    private int files;

    /** Linear(5, 7), ReLU, Dropout, Linear(7, 6), Tanh, Identity, Linear(6, 3): modules 0, 3 and 6. */
    private static final Mlp DROPOUT_IDENTITY = Mlp.input(5).dense(7, Activation.RELU).dense(6, Activation.TANH)
            .dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();

    @Test
    void dropoutAndIdentityBetweenLayersAreMappedInModuleOrderAndGivePyTorchsOutputs() throws IOException {
        Path p = resource("dropout_identity.safetensors");
        // Before: the strict reader wants vecmlp's numbering, 0, 2 and 4.
        assertRejected(p, "2.weight", -1, () -> ModelFile.read(p, DROPOUT_IDENTITY), "found none");

        TorchSequential net = TorchSequential.of(Safetensors.read(p));
        assertEquals(List.of(new TorchSequential.Linear(0, 5, 7), new TorchSequential.Linear(3, 7, 6),
                new TorchSequential.Linear(6, 6, 3)), net.linears());
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"), net.tensorNames());
        assertEquals(5, net.inputs());
        assertEquals(3, net.outputs());
        assertFalse(net.numberedAs(DROPOUT_IDENTITY));

        TensorFile fixture = Safetensors.read(resource("dropout_identity.fixture.safetensors"));
        assertEquals(DROPOUT_IDENTITY.toString(), fixture.metadata().get("architecture"), "the network the script built");
        float[] x = fixture.floats("x"), torch = fixture.floats("y");
        int batch = x.length / 5;
        try (ModelFile.Contents c = net.read(DROPOUT_IDENTITY, KernelProvider.best());
             Predictor predictor = c.model().predictor(batch)) {
            assertEquals(Scaling.none(5), c.scaling());
            assertEquals(Map.of(), c.metadata());
            float[] y = new float[batch * 3];
            predictor.predict(x, y);
            double scale = 0;
            for (float v : torch) {
                scale = Math.max(scale, Math.abs(v));
            }
            // Seven-term sums in float32: a few ulps of the largest output, as in PyTorchInteropTest.
            for (int i = 0; i < y.length; i++) {
                assertEquals(torch[i], y[i], 1e-5 * scale, "output " + i);
            }
        }
    }

    @Test
    void aFileInVecmlpsNumberingReadsAsTheStrictReaderReadsIt() throws IOException {
        Path p = resource("relu_tanh_ce.safetensors");
        Mlp spec = Mlp.input(7).dense(13, Activation.RELU).dense(11, Activation.TANH).dense(5, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        TorchSequential net = TorchSequential.of(Safetensors.read(p));
        assertTrue(net.numberedAs(spec));
        try (ModelFile.Contents strict = ModelFile.read(p, spec);
             ModelFile.Contents mapped = net.read(spec, KernelProvider.best())) {
            assertArrayEquals(strict.model().parametersToArray(), mapped.model().parametersToArray());
        }
    }

    @Test
    void aBatchNormIsRefusedNamingItsTensorAndTheFilesNames() throws IOException {
        Path p = resource("batchnorm.safetensors");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchSequential.of(Safetensors.read(p)));
        assertEquals("1.running_mean", e.tensor().orElseThrow(), e.getMessage());
        assertTrue(e.getMessage().contains("expected only tensors named INDEX.weight and INDEX.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("the file has [\"0.weight\", \"0.bias\", \"1.weight\", \"1.bias\", "
                + "\"1.running_mean\", \"1.running_var\", \"1.num_batches_tracked\", \"3.weight\", \"3.bias\"]"), e.getMessage());
    }

    @Test
    void aSequentialHeldAsAnAttributeIsRefusedSayingWhichToSave() throws IOException {
        Path p = resource("wrapped.safetensors");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchSequential.of(Safetensors.read(p)));
        assertEquals("layers.0.weight", e.tensor().orElseThrow(), e.getMessage());
        assertTrue(e.getMessage().contains("save_file(net.layers.state_dict(), path)"), e.getMessage());
    }

    @Test
    void anotherNumberOfLayersIsRefusedNamingTheTensorsOfBoth() throws IOException {
        Path p = resource("dropout_identity.safetensors");
        TorchSequential net = TorchSequential.of(Safetensors.read(p));
        Mlp two = Mlp.input(5).dense(7, Activation.RELU).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        assertRejected(p, null, -1, () -> net.read(two, KernelProvider.best()), "architecture: expected 2 Linear modules for "
                + two + " (tensors 0.weight, 0.bias, 2.weight, 2.bias in vecmlp's numbering), found 3 (tensors 0.weight,"
                + " 0.bias, 3.weight, 3.bias, 6.weight, 6.bias)");
    }

    @Test
    void aLayerOfAnotherWidthIsRefusedWithBothShapes() throws IOException {
        Path p = resource("dropout_identity.safetensors");
        TorchSequential net = TorchSequential.of(Safetensors.read(p));
        Mlp wider = Mlp.input(5).dense(8, Activation.RELU).dense(6, Activation.TANH).dense(3, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> net.read(wider, KernelProvider.best()));
        assertEquals("0.weight", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains("shape: expected [8, 5] (layer 0's weights, outputs x inputs), found [7, 5]"),
                e.getMessage());
    }

    @Test
    void adjacentLinearModulesLeaveNoPlaceForAnActivation() throws IOException {
        Path p = file(Map.of(), "0.weight", 4, 3, "0.bias", 4, 0, "1.weight", 2, 4, "1.bias", 2, 0);
        TorchSequential net = TorchSequential.of(Safetensors.read(p));
        Mlp relu = Mlp.input(3).dense(4, Activation.RELU).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> net.read(relu, KernelProvider.best()));
        assertEquals("1.weight", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains("layer 0: expected a module between Linear modules 0 and 1 for its activation relu,"
                + " found them adjacent"), e.getMessage());
        Mlp linear = Mlp.input(3).dense(4, Activation.LINEAR).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        assertTrue(net.numberedAs(linear));
        try (ModelFile.Contents c = net.read(linear, KernelProvider.best())) {
            assertEquals(linear, c.model().spec());
        }
    }

    @Test
    void malformedStateDictsAreRefusedNamingTheTensor() throws IOException {
        String[][] cases = {
                // tensor at fault, what the message says
                {"0.bias", "expected the bias [4] of the Linear module 0, found none (an nn.Linear made with bias=False"},
                {"2.bias", "expected the weight 2.weight of the Linear module that has this bias, found none"},
                {"0.weight", "shape: expected [outputs, inputs] of a Linear module"},
                {"0.bias", "shape: expected [4] (the rows of 0.weight), found [3]"},
                {"2.weight", "shape: expected [2, 4] (inputs: the 4 outputs of Linear module 0), found [2, 5]"},
                {"00.weight", "expected only tensors named INDEX.weight and INDEX.bias"},
        };
        Path[] files = {
                file(Map.of(), "0.weight", 4, 3, "2.weight", 2, 4, "2.bias", 2, 0),
                file(Map.of(), "0.weight", 4, 3, "0.bias", 4, 0, "2.bias", 2, 0),
                file(Map.of(), "0.weight", 12, 0, "0.bias", 4, 0),
                file(Map.of(), "0.weight", 4, 3, "0.bias", 3, 0),
                file(Map.of(), "0.weight", 4, 3, "0.bias", 4, 0, "2.weight", 2, 5, "2.bias", 2, 0),
                file(Map.of(), "00.weight", 4, 3, "00.bias", 4, 0),
        };
        for (int i = 0; i < cases.length; i++) {
            Path p = files[i];
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchSequential.of(Safetensors.read(p)));
            assertEquals(cases[i][0], e.tensor().orElseThrow(), e.getMessage());
            assertTrue(e.getMessage().contains(cases[i][1]), e.getMessage());
        }
    }

    @Test
    void aVecmlpFileAndAnEmptyOneAreRefused() throws IOException {
        Path vecmlp = dir.resolve("vecmlp.safetensors");
        try (Model m = DROPOUT_IDENTITY.init(1L)) {
            ModelFile.write(vecmlp, m, null, Map.of());
        }
        assertRejected(vecmlp, null, -1, () -> TorchSequential.of(Safetensors.read(vecmlp)),
                "expected a state dict without vecmlp metadata, found vecmlp.layers");
        Path empty = file(Map.of("format", "pt"));
        assertRejected(empty, null, -1, () -> TorchSequential.of(Safetensors.read(empty)),
                "tensors: expected the Linear modules of an nn.Sequential (0.weight, 0.bias, ...), found none");
    }

    /** A state dict of zeros: name, rows, columns (0 for a 1-D tensor), ... */
    private Path file(Map<String, String> metadata, Object... spec) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int i = 0; i < spec.length; i += 3) {
            int rows = (Integer) spec[i + 1], cols = (Integer) spec[i + 2];
            t.put((String) spec[i], cols == 0 ? Tensor.f32(new float[rows], rows) : Tensor.f32(new float[rows * cols], rows, cols));
        }
        Path p = dir.resolve("f" + files++ + ".safetensors");
        Safetensors.write(p, t, metadata);
        return p;
    }

    private static Path resource(String name) {
        String path = "/interop/pytorch/" + name;
        try {
            return Path.of(Objects.requireNonNull(TorchSequentialTest.class.getResource(path),
                    () -> "expected the fixture " + path + " on the test class path, found none").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
