package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.io.ModelFile;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import picocli.CommandLine;

/** {@code vecmlp gradcheck}: what it prints and the exit codes 0 (pass), 1 (fail) and 2 (usage). */
class GradcheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void randomNetworksPass() {
        CommandLineTest.Run r = CommandLineTest.run("gradcheck", "--networks", "3", "--seed", "7", "--max-coordinates", "20");
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.lastLine().matches("gradcheck: 3 networks passed on \\S+"), r.lastLine());
        assertEquals(3, r.out().lines().filter(l -> l.startsWith("(1) backprop in float64")).count(), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.startsWith("(2) the engine's float32 gradient")).count(), r.out());
    }

    @Test
    void givenNetworkOnTheScalarKernels() {
        CommandLineTest.Run r = CommandLineTest.run("gradcheck", "--layers", "6:tanh,5:relu", "--inputs", "4", "--outputs", "2",
                "--loss", "squared", "--output-activation", "logistic", "--l2", "0.01", "--kernels", "scalar", "--batch", "3");
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().startsWith("gradient check of 4-6 tanh-5 relu-2 logistic, squared_error, l2 0.01, batch 3"), r.out());
        assertTrue(r.out().contains("(2) the engine's float32 gradient e (scalar)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  W2 ")), r.out());
        assertEquals("gradcheck: 1 network passed on scalar", r.lastLine());
    }

    @Test
    void modelFile() throws IOException {
        Mlp spec = Mlp.input(5).dense(7, Activation.SOFTPLUS).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        Path file = dir.resolve("m.safetensors");
        try (Model m = spec.init(3L)) {
            ModelFile.write(file, m, null, Map.of());
        }
        CommandLineTest.Run r = CommandLineTest.run("gradcheck", "-m", file.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().startsWith("gradient check of 5-7 softplus-3 linear"), r.out());
    }

    @Test
    void usageErrorsExitWithTwo() {
        String[][] bad = {
                {"gradcheck", "--model", "x.safetensors", "--inputs", "4"},
                {"gradcheck", "--batch", "0"},
                {"gradcheck", "--kernels", "gpu"},
                {"gradcheck", "--layers", "4:sine"},
                {"gradcheck", "--inputs", "0"},
                {"gradcheck", "--networks", "x"},
        };
        String[] expect = {"--model: the model file's tensors give the widths", "--batch: expected 1 to 4096, found 0",
                "--kernels: expected simd, scalar or best, found 'gpu'", "found 'sine'", "expected at least 1", "--networks"};
        for (int i = 0; i < bad.length; i++) {
            CommandLineTest.Run r = CommandLineTest.run(bad[i]);
            assertEquals(2, r.exit(), String.join(" ", bad[i]) + ": " + r.err());
            assertTrue(r.err().contains(expect[i]), r.err());
        }
    }

    /** An engine whose bias gradients are never written: the check fails, says where, and exits with 1. */
    @Test
    void failingEngineExitsWithOne() {
        Kernels broken = brokenBiasGradient(KernelProvider.scalar());
        CommandLine cl = Main.commandLine();
        CommandLine sub = new CommandLine(new GradcheckCommand(k -> broken));
        sub.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
        StringWriter out = new StringWriter(), err = new StringWriter();
        sub.setOut(new PrintWriter(out));
        sub.setErr(new PrintWriter(err));
        int exit = sub.execute("--layers", "4:tanh", "--kernels", "scalar");
        assertEquals(1, exit, err.toString());
        String text = out.toString();
        assertTrue(text.contains("verdict 2: FAIL"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("  b0 ") && l.contains("0.00000000")), text);
        assertTrue(text.strip().endsWith("gradcheck: 1 of 1 network failed on scalar: 8-4 tanh-3 linear, softmax_cross_entropy"),
                text);
    }

    private static Kernels brokenBiasGradient(Kernels real) {
        return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("columnSums")) {
                        return null;
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
    /**
     * A network of threshold units has gradient 0 everywhere: its check passes whatever the code
     * computes, and the report says so, tensor by tensor and in the verdicts (it once said "PASS").
     */
    @Test
    void aCheckThatTestsNothingIsCalledVacuous() {
        CommandLineTest.Run r = CommandLineTest.run("gradcheck", "--layers", "4:threshold", "--inputs", "3", "--outputs", "2",
                "--loss", "squared", "--output-activation", "threshold", "--batch", "3");
        assertEquals(0, r.exit(), r.err() + r.out());
        String out = r.out();
        assertTrue(out.lines().filter(l -> l.startsWith("  W0 ") || l.startsWith("  b0 ")).allMatch(l -> l.endsWith("  all 0")), out);
        assertTrue(out.contains("  verdict 2: PASS: the engine's gradients are within float32 rounding of the reference at all"
                + " 26 coordinates; every one of them was exactly 0 on both sides: nothing was tested"), out);
        assertTrue(out.contains("PASS, vacuously: every gradient compared was exactly 0, so nothing was tested"), out);
        assertTrue(out.contains("gradcheck: 1 of the networks passed vacuously"), out);
    }

    /** The report explains itself: named columns, a legend once per run, verdicts that say what they proved. */
    @Test
    void theReportCarriesItsLegendAndSaysWhatEachVerdictProved() {
        CommandLineTest.Run r = CommandLineTest.run("gradcheck", "--networks", "2", "--seed", "5");
        assertEquals(0, r.exit(), r.err() + r.out());
        String out = r.out();
        assertTrue(out.lines().anyMatch(l -> l.contains(" ratio ") && l.contains(" med ratio")), out);
        assertTrue(out.lines().noneMatch(l -> l.contains("n/a")), "no column that reads as 'not applicable': " + out);
        assertEquals(1, out.lines().filter(l -> l.startsWith("How to read the tables")).count(), out);
        assertTrue(out.contains("S the largest |a|"), "S is defined: " + out);
        assertTrue(out.contains("not\n            always where the largest difference is"), "worst and max|a-n| told apart: " + out);
        assertTrue(out.lines().anyMatch(l -> l.matches("  verdict 1: PASS: backprop matches finite differences at all \\d+"
                + " coordinates checked .*")), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("  verdict 2: PASS: the engine's gradients are within float32 rounding"
                + " of the reference at all \\d+ coordinates.*")), out);
        assertTrue(out.lines().filter(l -> l.startsWith("  W")).allMatch(l -> l.startsWith("  W0 ") || l.startsWith("  W1 ")
                || l.startsWith("  W2 ") || l.startsWith("  W3 ")), "layers counted from 0: " + out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("  W0 ")), out);
    }

    /** The top-level help lists gradcheck with a whole sentence, not one cut at the line's end. */
    @Test
    void theCommandListShowsAWholeSentence() {
        String first = Main.commandLine().getSubcommands().get("gradcheck").getCommandSpec().usageMessage().description()[0];
        assertTrue(first.endsWith("."), first);
    }
}
