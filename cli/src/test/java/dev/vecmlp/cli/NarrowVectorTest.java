package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The narrowest vectors: 64 bits, two floats, where the sums across lanes take one stage. The JDK
 * picks this width itself when the vector registers are limited to 8 bytes ({@code -XX:MaxVectorSize=8}), so it must be right
 * there too. Run in a child JVM, since the width is fixed when the kernels' class loads; the
 * check is {@code vecmlp info}'s: network A forward and backward against the scalar kernels.
 */
class NarrowVectorTest {

    @ParameterizedTest
    @ValueSource(strings = {"-Dvecmlp.vectorBits=64", "-XX:MaxVectorSize=8"})
    void twoLaneVectorsAgreeWithTheScalarKernels(String flag) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path out = Files.createTempFile("vecmlp-narrow", ".out");
        try {
            List<String> command = new ArrayList<>(List.of(java.toString(), "--add-modules", "jdk.incubator.vector", flag,
                    "-cp", System.getProperty("java.class.path"), "dev.vecmlp.cli.Main", "info", "--batch", "9"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the child JVM finished");
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), () -> flag + ": exit status; output:\n" + stdout);
            assertTrue(stdout.contains("simd-64"), () -> flag + ": expected the 64-bit kernels; output:\n" + stdout);
            assertTrue(stdout.contains("Self-check") && stdout.contains(": ok"), stdout);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
