package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} still runs vecmlp, on the scalar
 * kernels, and says so once. Run for real in a child JVM, since this one has the module.
 */
class FallbackWithoutVectorModuleTest {

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunAndOneLineSaysSo() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path out = Files.createTempFile("vecmlp-fallback", ".out");
        Path err = Files.createTempFile("vecmlp-fallback", ".err");
        try {
            Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                    "dev.vecmlp.cli.Main", "info", "--batch", "1"))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM finished");
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), () -> "exit status; stdout:\n" + stdout + "\nstderr:\n" + stderr);
            assertTrue(stdout.contains("kernels: scalar"), stdout);
            assertTrue(stdout.contains("Self-check") && stdout.contains(": ok"), stdout);
            long warnings = stderr.lines().filter(l -> l.contains("jdk.incubator.vector is not available")).count();
            assertEquals(1, warnings, () -> "one line about the missing module; stderr:\n" + stderr);
            assertTrue(stderr.contains("--add-modules jdk.incubator.vector"), "the line says how to get the fast path");
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
