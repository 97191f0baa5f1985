package dev.vecmlp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/**
 * vecmlp against a real PyTorch (1.13, Debian's python3-torch), both ways, on fixtures committed
 * under src/test/resources/interop/pytorch/, so that neither Python nor torch is needed here.
 * interop/pytorch/make_fixture.py saved nn.Sequential models as a PyTorch user would and recorded
 * a batch through each: vecmlp must read them given the architecture and give the same outputs,
 * loss and gradients. interop/pytorch/check_vecmlp_file.py rebuilt a model that vecmlp wrote
 * ({@link VecmlpInteropModel}) from nothing but the file and recorded the same: vecmlp must
 * agree with that too.
 *
 * <p><b>Tolerance.</b> Both sides compute in float32 (unit roundoff u = 2^-24 ≈ 6e-8) but sum
 * in different orders, vecmlp's SIMD kernels with fused multiply-adds. A float32 sum of n
 * products is off by at most about n·u times the sum of the products' magnitudes, which can be
 * far larger than the result when terms cancel, so the bound is taken relative to the largest
 * magnitude in the tensor rather than to each element. The deepest gradient here goes through
 * five forward and four backward sums of at most 17 terms (the widest layer) and the sum over
 * the batch of 5: about 9·17 + 5 ≈ 160 roundings, 160·u ≈ 1e-5 in the worst case. Hence
 * |vecmlp − torch| ≤ {@value #RELATIVE}·max|torch| + {@value #ABSOLUTE}, the absolute term only
 * so that a tensor of zeros would not demand exact zeros. The largest difference seen, on the
 * scalar kernels and on the SIMD ones at each vector width the build runs, is 6.6e-7 of the
 * magnitude (8 ulps), so the bound leaves more than tenfold room; an input moved by 1e-4 breaks it.
 */
class PyTorchInteropTest {
    private static final double RELATIVE = 1e-5;
    private static final double ABSOLUTE = 1e-9;

    /** The inputs and targets of a fixture, given to vecmlp rather than compared. */
    private static final Set<String> GIVEN = Set.of("x", "target");

    private record Network(String name, Mlp spec) {
    }

    /** The networks make_fixture.py builds, as a PyTorch user would describe them to vecmlp. */
    private static final List<Network> NETWORKS = List.of(
            new Network("relu_tanh_ce", Mlp.input(7).dense(13, Activation.RELU).dense(11, Activation.TANH)
                    .dense(5, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build()),
            new Network("sigmoid_softplus_se", Mlp.input(6).dense(9, Activation.LOGISTIC).dense(8, Activation.SOFTPLUS)
                    .dense(3, Activation.LINEAR).loss(Loss.SQUARED_ERROR).l2(0.01).build()),
            new Network("linear_relu_soft_ce", Mlp.input(4).dense(6, Activation.LINEAR).dense(17, Activation.RELU)
                    .dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(0.001).build()));

    static Stream<Arguments> pyTorchModels() {
        return kernels().flatMap(k -> NETWORKS.stream().map(n -> Arguments.of(n.name(), n.spec(), k)));
    }

    static Stream<Kernels> kernels() {
        return Stream.of(KernelProvider.scalar(), KernelProvider.simd());
    }

    @ParameterizedTest(name = "{0} on {2}")
    @MethodSource("pyTorchModels")
    void readsAPyTorchModelAndMatchesItsOutputsLossAndGradients(String name, Mlp spec, Kernels kernels)
            throws IOException {
        TensorFile fixture = Safetensors.read(resource(name + ".fixture.safetensors"));
        // Without this a changed activation in the script would show only as numbers that differ.
        assertEquals(spec.toString(), fixture.metadata().get("architecture"), "the network make_fixture.py built");
        try (ModelFile.Contents saved = ModelFile.read(resource(name + ".safetensors"), spec, kernels)) {
            assertMatchesPyTorch(saved.model(), fixture, fixture.floats("x"));
        }
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("kernels")
    void pyTorchReadsAVecmlpModelAndMatchesItsOutputsLossAndGradients(Kernels kernels) throws IOException {
        TensorFile fixture = Safetensors.read(resource("vecmlp_model.fixture.safetensors"));
        try (ModelFile.Contents saved = ModelFile.read(resource("vecmlp_model.safetensors"), kernels)) {
            assertEquals(VecmlpInteropModel.SPEC, saved.model().spec());
            // The fixture holds the batch as it was before PyTorch applied the file's scaling.
            float[] x = fixture.floats("x");
            saved.scaling().apply(x);
            assertMatchesPyTorch(saved.model(), fixture, x);
        }
    }

    /** Otherwise the test above would go on passing on a file that vecmlp no longer writes. */
    @Test
    void theCommittedVecmlpModelIsWhatVecmlpWritesNow(@TempDir Path dir) throws IOException {
        Path fresh = dir.resolve("vecmlp_model.safetensors");
        VecmlpInteropModel.write(fresh);
        assertArrayEquals(Files.readAllBytes(resource("vecmlp_model.safetensors")), Files.readAllBytes(fresh),
                "vecmlp now writes the interop model differently; if that is meant, regenerate it and its PyTorch"
                        + " fixture as VecmlpInteropModel's comment says, and check that PyTorch still loads it");
    }

    /**
     * Runs the fixture's batch ({@code x}, already scaled) and targets through {@code model} and
     * compares every other tensor in the fixture: y, loss and each parameter's gradient.
     */
    private static void assertMatchesPyTorch(Model model, TensorFile fixture, float[] x) throws IOException {
        Mlp spec = model.spec();
        int batch = Math.toIntExact(fixture.tensors().get("x").shape()[0]);
        Map<String, float[]> vecmlp = new LinkedHashMap<>();
        try (Workspace ws = model.workspace(batch)) {
            ws.setInputs(x, batch);
            Tensor target = fixture.tensors().get("target");
            if (target.dtype() == DType.I64) {
                ws.setLabels(labels(target), batch);
            } else {
                ws.setTargets(fixture.floats("target"), batch);
            }
            double loss = model.forwardBackward(ws, batch);
            float[] y = new float[batch * spec.outputs()];
            ws.outputs().copyRowsTo(y, 0, batch);
            vecmlp.put("y", y);
            vecmlp.put("loss", new float[] {(float) loss});
        }
        List<String> names = ModelFile.tensorNames(spec);
        for (int l = 0; l < spec.depth(); l++) {
            vecmlp.put("grad." + names.get(2 * l), model.weightGradient(l).toArray());
            vecmlp.put("grad." + names.get(2 * l + 1), model.biasGradient(l).toArray());
        }

        Set<String> recorded = new TreeSet<>(fixture.tensors().keySet());
        recorded.removeAll(GIVEN);
        assertEquals(recorded, new TreeSet<>(vecmlp.keySet()), "the tensors PyTorch recorded and vecmlp computed");
        assertEquals(2 + 2 * spec.depth(), vecmlp.size(), "tensors compared");
        for (Map.Entry<String, float[]> e : vecmlp.entrySet()) {
            assertClose(e.getKey(), fixture.floats(e.getKey()), e.getValue());
        }
    }

    private static void assertClose(String name, float[] torch, float[] vecmlp) {
        assertEquals(torch.length, vecmlp.length, name + ": elements");
        assertTrue(torch.length > 0, name + ": expected values to compare, found none");
        double scale = 0;
        for (float v : torch) {
            scale = Math.max(scale, Math.abs(v));
        }
        double bound = RELATIVE * scale + ABSOLUTE;
        double worst = 0;
        int at = 0;
        for (int i = 0; i < torch.length; i++) {
            double d = Math.abs((double) vecmlp[i] - torch[i]);
            // Written so that a NaN counts as the worst rather than slipping past.
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= bound, name + "[" + at + "]: vecmlp " + vecmlp[at] + ", PyTorch " + torch[at] + ", off by "
                + worst + ", more than " + bound + " (" + RELATIVE + " of the largest magnitude " + scale + ", plus "
                + ABSOLUTE + ")");
    }

    private static int[] labels(Tensor t) {
        ByteBuffer data = t.data();
        int[] labels = new int[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = Math.toIntExact(data.getLong(i * Long.BYTES));
        }
        return labels;
    }

    private static Path resource(String name) {
        String path = "/interop/pytorch/" + name;
        try {
            return Path.of(Objects.requireNonNull(PyTorchInteropTest.class.getResource(path),
                    () -> "expected the fixture " + path + " on the test class path, found none").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
