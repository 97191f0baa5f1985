package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.Safetensors;
import dev.vecmlp.io.TensorFile;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * {@code eval}, {@code predict}, {@code features} and {@code gradcheck -m} on models saved by
 * PyTorch (interop/pytorch/make_cli_fixture.py): the architecture from the options, a module
 * numbering that skips (Dropout and Identity between layers) mapped with the mapping printed,
 * and every refusal in the command line's terms.
 */
class PyTorchCommandsTest {
    @TempDir
    static Path dir;

    /** Linear(5, 7), ReLU, Dropout, Linear(7, 6), Tanh, Identity, Linear(6, 3): modules 0, 3 and 6. */
    private static Path torchFile;
    private static TensorFile fixture;
    /** The fixture's inputs, features only. */
    private static Path inputs;
    /** The fixture's inputs, labelled with the class PyTorch predicts. */
    private static Path labelled;

    private static final String MAPPING = "Linear modules 0, 3, 6 read in order as layers 0, 1, 2 (vecmlp numbers them 0, 2, 4;";

    @BeforeAll
    static void files() throws IOException {
        torchFile = resource("dropout_identity.safetensors");
        fixture = Safetensors.read(resource("dropout_identity.fixture.safetensors"));
        float[] x = fixture.floats("x"), y = fixture.floats("y");
        StringBuilder features = new StringBuilder("f0,f1,f2,f3,f4\n"), withLabel = new StringBuilder("f0,f1,f2,f3,f4,class\n");
        for (int r = 0; r < x.length / 5; r++) {
            StringBuilder row = new StringBuilder();
            for (int c = 0; c < 5; c++) {
                // Float.toString reads back to the same float: the inputs are PyTorch's bit for bit.
                row.append(c > 0 ? "," : "").append(Float.toString(x[5 * r + c]));
            }
            features.append(row).append('\n');
            withLabel.append(row).append(',').append(argmax(y, 3 * r, 3)).append('\n');
        }
        inputs = Files.writeString(dir.resolve("inputs.csv"), features);
        labelled = Files.writeString(dir.resolve("labelled.csv"), withLabel);
    }

    @Test
    void predictReadsAPyTorchFileWhoseNumberingSkipsAndGivesPyTorchsProbabilities() throws IOException {
        CommandLineTest.Run r = CommandLineTest.run("predict", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--data", inputs.toString(), "--no-label");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("note: " + torchFile + ": " + MAPPING), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("row,class,p0,p1,p2", lines.getFirst());
        float[] p = fixture.floats("p"), y = fixture.floats("y");
        assertEquals(p.length / 3 + 1, lines.size(), r.out());
        for (int row = 0; row < p.length / 3; row++) {
            String[] cells = lines.get(row + 1).split(",");
            assertEquals(argmax(y, 3 * row, 3), Integer.parseInt(cells[1]), lines.get(row + 1));
            for (int c = 0; c < 3; c++) {
                // Printed to 6 digits; the sums differ from PyTorch's by a few float32 ulps.
                assertEquals(p[3 * row + c], Double.parseDouble(cells[2 + c]), 1e-5, "row " + row + " p" + c);
            }
        }
    }

    @Test
    void evalFeaturesAndGradcheckTakeTheSameOptions() {
        CommandLineTest.Run eval = CommandLineTest.run("eval", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--data", labelled.toString(), "--label", "class");
        assertEquals(0, eval.exit(), eval.err());
        assertTrue(eval.err().contains(MAPPING), eval.err());
        assertTrue(eval.out().contains("(5-7 relu-6 tanh-3 linear, softmax_cross_entropy)"), eval.out());
        assertEquals("accuracy: 1.0000", eval.lastLine(), "labelled with PyTorch's own predictions");

        Path png = dir.resolve("features.png");
        CommandLineTest.Run features = CommandLineTest.run("features", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--image", "5x1", "-o", png.toString());
        assertEquals(0, features.exit(), features.err());
        assertTrue(Files.isRegularFile(png));

        CommandLineTest.Run check = CommandLineTest.run("gradcheck", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--max-coordinates", "20");
        assertEquals(0, check.exit(), check.err() + check.out());
        assertTrue(check.err().contains(MAPPING), check.err());
        assertTrue(check.out().startsWith("gradient check of 5-7 relu-6 tanh-3 linear, softmax_cross_entropy"), check.out());
    }

    @Test
    void withoutMetadataOrOptionsEachCommandSaysWhichOptionsToGive() {
        String file = torchFile.toString();
        String[][] commands = {
                {"eval", "-m", file, "--data", labelled.toString(), "--label", "class"},
                {"predict", "-m", file, "--data", inputs.toString(), "--no-label"},
                {"features", "-m", file, "-o", dir.resolve("never.png").toString()},
                {"gradcheck", "-m", file},
        };
        for (String[] command : commands) {
            CommandLineTest.Run r = CommandLineTest.run(command);
            String err = r.err().strip();
            assertEquals(command[0].equals("gradcheck") ? 2 : 1, r.exit(), err);
            assertTrue(err.contains(file + ": architecture: expected vecmlp metadata or --layers, found neither"), err);
            assertTrue(err.contains("its Linear modules are 0 (5 -> 7), 3 (7 -> 6), 6 (6 -> 3), so give --layers 7:ACT,6:ACT"
                    + " with each ACT one of linear, relu, softplus, threshold, logistic, tanh"), err);
            assertTrue(err.contains("vecmlp import -m " + file + " --layers 7:ACT,6:ACT -o COPY"), err);
            assertEquals(command[0].equals("eval") || command[0].equals("predict"), err.contains("--scaling"), err);
            assertFalse(err.contains("ModelFile") || err.contains("::") || err.contains("\tat "), err);
        }
        assertFalse(Files.exists(dir.resolve("never.png")));
    }

    @Test
    void filesThatAreNotASequentialOfLinearsAreRefusedNamingTheTensors() throws IOException {
        CommandLineTest.Run batchNorm = CommandLineTest.run("predict", "-m", resource("batchnorm.safetensors").toString(),
                "--layers", "7:relu", "--data", inputs.toString(), "--no-label");
        assertEquals(1, batchNorm.exit());
        assertTrue(batchNorm.err().contains("tensor \"1.running_mean\""), batchNorm.err());
        assertTrue(batchNorm.err().contains("expected only tensors named INDEX.weight and INDEX.bias"), batchNorm.err());

        CommandLineTest.Run wrapped = CommandLineTest.run("predict", "-m", resource("wrapped.safetensors").toString(),
                "--layers", "7:relu", "--data", inputs.toString(), "--no-label");
        assertEquals(1, wrapped.exit());
        assertTrue(wrapped.err().contains("save_file(net.layers.state_dict(), path)"), wrapped.err());

        CommandLineTest.Run fewer = CommandLineTest.run("predict", "-m", torchFile.toString(), "--layers", "7:relu",
                "--data", inputs.toString(), "--no-label");
        assertEquals(1, fewer.exit());
        assertTrue(fewer.err().contains("expected 2 Linear modules for 5-7 relu-3 linear, softmax_cross_entropy (tensors"
                + " 0.weight, 0.bias, 2.weight, 2.bias in vecmlp's numbering), found 3 (tensors 0.weight, 0.bias, 3.weight,"
                + " 3.bias, 6.weight, 6.bias)"), fewer.err());

        CommandLineTest.Run standardize = CommandLineTest.run("predict", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--scaling", "standardize", "--data", inputs.toString(), "--no-label");
        assertEquals(1, standardize.exit());
        assertTrue(standardize.err().contains("--scaling: expected none or divide for " + torchFile), standardize.err());
        for (CommandLineTest.Run r : List.of(batchNorm, wrapped, fewer, standardize)) {
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }

    @Test
    void divideScalesThePyTorchModelsInputs() throws IOException {
        float[] x = fixture.floats("x");
        StringBuilder times255 = new StringBuilder();
        for (int r = 0; r < x.length / 5; r++) {
            for (int c = 0; c < 5; c++) {
                times255.append(c > 0 ? "," : "").append(x[5 * r + c] * 255.0);
            }
            times255.append('\n');
        }
        Path raw = Files.writeString(dir.resolve("times255.csv"), times255);
        CommandLineTest.Run scaled = CommandLineTest.run("predict", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--scaling", "divide", "--data", raw.toString(), "--no-label");
        CommandLineTest.Run plain = CommandLineTest.run("predict", "-m", torchFile.toString(), "--layers", "7:relu,6:tanh",
                "--data", inputs.toString(), "--no-label");
        assertEquals(0, scaled.exit(), scaled.err());
        List<String> a = scaled.out().lines().toList(), b = plain.out().lines().toList();
        assertEquals(b.size(), a.size());
        for (int i = 1; i < a.size(); i++) {
            String[] u = a.get(i).split(","), v = b.get(i).split(",");
            assertEquals(v[1], u[1], "class of row " + i);
            for (int c = 2; c < u.length; c++) {
                assertEquals(Double.parseDouble(v[c]), Double.parseDouble(u[c]), 1e-5, "row " + i);
            }
        }
    }

    @Test
    void optionsGivenWithAVecmlpFileMustAgreeWithItsMetadata() throws IOException {
        Mlp spec = Mlp.input(5).dense(7, Activation.RELU).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        Path file = dir.resolve("vecmlp.safetensors");
        try (Model m = spec.init(5L)) {
            ModelFile.write(file, m, Scaling.ofKind(Scaling.Kind.DIVIDE, 5), Map.of());
        }
        String[] predict = {"predict", "-m", file.toString(), "--data", inputs.toString(), "--no-label"};
        CommandLineTest.Run agree = CommandLineTest.run(concat(predict, "--layers", "7:relu", "--loss", "softmax", "--scaling", "divide"));
        assertEquals(0, agree.exit(), agree.err());
        assertEquals("", agree.err());

        CommandLineTest.Run layers = CommandLineTest.run(concat(predict, "--layers", "9:relu"));
        assertEquals(1, layers.exit());
        assertEquals("vecmlp predict: " + file + ": architecture: expected 5-9 relu-3 linear, softmax_cross_entropy (--layers"
                + " 9:relu), found 5-7 relu-3 linear, softmax_cross_entropy in the file's vecmlp metadata; leave the options"
                + " out to use the file's", layers.err().strip());

        CommandLineTest.Run loss = CommandLineTest.run(concat(predict, "--loss", "squared"));
        assertEquals(1, loss.exit());
        assertTrue(loss.err().contains("expected 5-7 relu-3 linear, squared_error (--loss squared), found"), loss.err());

        CommandLineTest.Run scaling = CommandLineTest.run(concat(predict, "--scaling", "none"));
        assertEquals(1, scaling.exit());
        assertEquals("vecmlp predict: " + file + ": scaling: expected none (--scaling none), found divide in the file's"
                + " vecmlp metadata; leave --scaling out to use the file's", scaling.err().strip());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int argmax(float[] v, int at, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[at + i] > v[at + best]) {
                best = i;
            }
        }
        return best;
    }

    static Path resource(String name) {
        String path = "/interop/pytorch/" + name;
        try {
            return Path.of(Objects.requireNonNull(PyTorchCommandsTest.class.getResource(path),
                    () -> "expected the fixture " + path + " on the test class path, found none").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
