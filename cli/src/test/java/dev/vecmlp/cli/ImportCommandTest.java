package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.Safetensors;

/**
 * {@code vecmlp import}: a PyTorch file (interop/pytorch/make_cli_fixture.py) written once into
 * a vecmlp model file that later commands take with no options; the PyTorch file only read, the
 * copy a new file.
 */
class ImportCommandTest {
    @TempDir
    Path dir;

    /** A copy of the fixture, so that a test that wrote over it would show it. */
    private Path torchFile() throws IOException {
        return Files.copy(PyTorchCommandsTest.resource("dropout_identity.safetensors"), dir.resolve("net.safetensors"));
    }

    private Path inputs() throws IOException {
        float[] x = Safetensors.read(PyTorchCommandsTest.resource("dropout_identity.fixture.safetensors")).floats("x");
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < x.length / 5; r++) {
            for (int c = 0; c < 5; c++) {
                s.append(c > 0 ? "," : "").append(Float.toString(x[5 * r + c] * 255));
            }
            s.append('\n');
        }
        return Files.writeString(dir.resolve("inputs.csv"), s);
    }

    @Test
    void theCopyCarriesTheArchitectureSoThatPredictNeedsNoOptions() throws IOException {
        Path torch = torchFile(), copy = dir.resolve("net.vecmlp.safetensors"), data = inputs();
        byte[] before = Files.readAllBytes(torch);
        CommandLineTest.Run r = CommandLineTest.run("import", "-m", torch.toString(), "--layers", "7:relu,6:tanh",
                "--scaling", "divide", "-o", copy.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of(
                "read:    " + torch + ", an nn.Sequential state dict with Linear modules 0, 3, 6",
                "layer 0: 0.weight, 0.bias (5 -> 7, relu) as 0.weight, 0.bias",
                "layer 1: 3.weight, 3.bias (7 -> 6, tanh) as 2.weight, 2.bias",
                "layer 2: 6.weight, 6.bias (6 -> 3, linear) as 4.weight, 4.bias",
                "         (renumbered: the modules between hold no parameters, such as activations, Dropout, Identity)",
                "network: 5-7 relu-6 tanh-3 linear, softmax_cross_entropy; scaling divide",
                "wrote:   " + copy + "; eval, predict, features and gradcheck take it with no architecture options"),
                r.out().lines().toList());
        assertArrayEquals(before, Files.readAllBytes(torch), "the PyTorch file is only read");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("inputs.csv", "net.safetensors", "net.vecmlp.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary file left behind");
        }
        try (ModelFile.Contents c = ModelFile.read(copy)) {
            assertEquals("5-7 relu-6 tanh-3 linear, softmax_cross_entropy", c.model().spec().toString());
            assertEquals(Scaling.ofKind(Scaling.Kind.DIVIDE, 5), c.scaling());
            assertEquals("net.safetensors", c.metadata().get(ImportCommand.FROM_KEY));
            assertEquals("0,3,6", c.metadata().get(ImportCommand.MODULES_KEY));
        }

        CommandLineTest.Run withOptions = CommandLineTest.run("predict", "-m", torch.toString(), "--layers", "7:relu,6:tanh",
                "--scaling", "divide", "--data", data.toString(), "--no-label");
        CommandLineTest.Run withoutOptions = CommandLineTest.run("predict", "-m", copy.toString(), "--data", data.toString(),
                "--no-label");
        assertEquals(0, withoutOptions.exit(), withoutOptions.err());
        assertEquals("", withoutOptions.err(), "no mapping note: the copy is numbered as vecmlp numbers it");
        assertEquals(withOptions.out(), withoutOptions.out(), "the same predictions, bit for bit");
    }

    @Test
    void anExistingOutputIsReplacedOnlyWithForceAndTheInputNever() throws IOException {
        Path torch = torchFile(), copy = Files.writeString(dir.resolve("notes.safetensors"), "my notes");
        byte[] before = Files.readAllBytes(torch);
        CommandLineTest.Run exists = CommandLineTest.run("import", "-m", torch.toString(), "--layers", "7:relu,6:tanh",
                "-o", copy.toString());
        assertEquals(1, exists.exit());
        assertEquals("vecmlp import: --output " + copy + ": expected a new file (or --force to replace it), found an existing file",
                exists.err().strip());
        assertEquals("my notes", Files.readString(copy));

        CommandLineTest.Run forced = CommandLineTest.run("import", "-m", torch.toString(), "--layers", "7:relu,6:tanh",
                "-o", copy.toString(), "--force");
        assertEquals(0, forced.exit(), forced.err());
        assertTrue(OutputGuard.isVecmlpModel(copy));

        // The same file by another spelling, and through a link: refused even with --force.
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), torch);
        for (String same : List.of(torch.toString(), dir.resolve(".").resolve("net.safetensors").toString(), link.toString())) {
            CommandLineTest.Run r = CommandLineTest.run("import", "-m", torch.toString(), "--layers", "7:relu,6:tanh",
                    "-o", same, "--force");
            assertEquals(1, r.exit(), same);
            assertTrue(r.err().contains("--output: expected a new file, found " + same + ", the file given as --model;"
                    + " import never replaces the file it reads"), r.err());
        }
        assertArrayEquals(before, Files.readAllBytes(torch));
    }

    @Test
    void refusalsSayWhatToGive() throws IOException {
        Path torch = torchFile(), copy = dir.resolve("copy.safetensors");
        CommandLineTest.Run none = CommandLineTest.run("import", "-m", torch.toString(), "-o", copy.toString());
        assertEquals(1, none.exit());
        assertTrue(none.err().contains(torch + ": architecture: expected vecmlp metadata or --layers, found neither"), none.err());
        assertTrue(none.err().contains("so give --layers 7:ACT,6:ACT"), none.err());
        assertFalse(none.err().contains("vecmlp import -m"), "no advice to run the command being run: " + none.err());

        CommandLineTest.Run made = CommandLineTest.run("import", "-m", torch.toString(), "--layers", "7:relu,6:tanh", "-o",
                copy.toString());
        assertEquals(0, made.exit(), made.err());
        CommandLineTest.Run again = CommandLineTest.run("import", "-m", copy.toString(), "-o", dir.resolve("again.safetensors")
                .toString());
        assertEquals(1, again.exit());
        assertEquals("vecmlp import: " + copy + ": expected a file without vecmlp metadata (one saved by PyTorch), found"
                + " vecmlp metadata: it needs no import; eval, predict, features and gradcheck take it as it is",
                again.err().strip());
        assertFalse(Files.exists(dir.resolve("again.safetensors")));
    }

    @Test
    void importIsListedInTheHelp() {
        CommandLineTest.Run help = CommandLineTest.run("--help");
        assertTrue(help.out().lines().anyMatch(l -> l.matches("\\s+import\\s+Copy a model saved by PyTorch into a vecmlp model file\\.")),
                help.out());
    }
}
