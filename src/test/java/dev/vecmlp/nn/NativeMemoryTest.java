package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Creating and closing 20,000 models with a predictor each leaves native memory flat (the soak,
 * {@code ./build soak}, runs 1,000,000: {@code -Dvecmlp.soak.cycles=N}). Measured
 * in a child JVM ({@link NativeMemoryProbe}) started with Native Memory Tracking, which only the
 * command line can turn on, and with a fixed, pre-touched heap, so that the resident set does
 * not move with the garbage the loop leaves on the heap. Every slab is malloc'd by the JVM under
 * NMT's "Other": a slab leaked per cycle would add 20,000 of them there, and the probe first
 * checks that a 4 MiB slab shows up at all. The resident set (VmRSS) also counts what the C
 * allocator keeps after free and the JIT's late work, so it gets a looser bound.
 */
class NativeMemoryTest {
    private static final int WARM_UP = 1_000;
    private static final int CYCLES = Integer.getInteger("vecmlp.soak.cycles", 20_000);
    /** Growth of NMT's "Other" allowed: far below one leaked slab a cycle (2 KiB at least, 40 MB in all). */
    private static final long OTHER_LIMIT_KB = 1024;
    private static final long RSS_LIMIT_KB = 16 * 1024;

    @Test
    void creatingAndClosingManyModelsAndPredictorsLeavesNativeMemoryFlat()
            throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path out = Files.createTempFile("vecmlp-native", ".out");
        try {
            Process p = new ProcessBuilder(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                    "-XX:NativeMemoryTracking=summary", "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch",
                    "-cp", System.getProperty("java.class.path"), NativeMemoryProbe.class.getName(),
                    Integer.toString(WARM_UP), Integer.toString(CYCLES)))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            long minutes = 5 + CYCLES / 100_000 * 3L;
            boolean finished = p.waitFor(minutes, TimeUnit.MINUTES);
            if (!finished) {
                p.destroyForcibly();
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertTrue(finished, () -> "the child JVM finished within " + minutes + " minutes; output:\n" + text);
            assertEquals(0, p.exitValue(), () -> "exit status; output:\n" + text);

            Map<String, long[]> figures = new HashMap<>();
            text.lines().filter(l -> l.matches("[a-z0-9-]+( \\d+)+")).forEach(l -> {
                String[] f = l.split(" ");
                long[] v = new long[f.length - 1];
                for (int i = 1; i < f.length; i++) {
                    v[i - 1] = Long.parseLong(f[i]);
                }
                figures.put(f[0], v);
            });
            for (String key : List.of("slab-4mib-seen-kb", "millis", "rss-kb", "nmt-other-kb", "nmt-total-committed-kb")) {
                assertTrue(figures.containsKey(key), () -> "'" + key + "' in the output:\n" + text);
            }
            long[] rss = figures.get("rss-kb"), other = figures.get("nmt-other-kb"), total = figures.get("nmt-total-committed-kb");
            System.out.printf("native memory over %,d models and predictors (after %,d to warm up), %,d ms:"
                            + " RSS %,d -> %,d KB, NMT Other %,d -> %,d KB, NMT committed %,d -> %,d KB%n",
                    CYCLES, WARM_UP, figures.get("millis")[0], rss[0], rss[1], other[0], other[1], total[0], total[1]);

            assertTrue(figures.get("slab-4mib-seen-kb")[0] >= 4096,
                    "NMT's Other shows a 4 MiB slab: " + figures.get("slab-4mib-seen-kb")[0] + " KB");
            assertTrue(other[1] - other[0] < OTHER_LIMIT_KB,
                    "NMT Other grew by " + (other[1] - other[0]) + " KB; expected under " + OTHER_LIMIT_KB);
            assertTrue(rss[1] - rss[0] < RSS_LIMIT_KB,
                    "VmRSS grew by " + (rss[1] - rss[0]) + " KB; expected under " + RSS_LIMIT_KB);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
