package dev.vecmlp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile headers at the {@value Safetensors#MAX_HEADER_BYTES}-byte cap, read in a child JVM
 * whose heap is {@value Safetensors#HEAP_BOUND_MB} MB, the bound {@link Safetensors} states: each
 * loads or is refused with a message, none runs the JVM out of memory. Without the
 * {@value Safetensors#MAX_ENTRIES}-entry caps, 1.4 million tiny tensors took 2 GB.
 */
class SafetensorsHeapTest {
    @TempDir
    Path dir;

    /** Reads each file named on the command line and prints one line per file: loaded or refused. */
    public static void main(String[] files) {
        for (String f : files) {
            try {
                System.out.println("loaded " + Safetensors.read(Path.of(f)).tensors().size());
            } catch (ModelFormatException e) {
                System.out.println("refused " + e.getMessage());
            } catch (IOException e) {
                System.out.println("failed " + e);
            }
        }
    }

    /** A header just under the cap (and 8-byte aligned), from entries until the next would not fit. */
    private Path file(String name, String metadata, EntryMaker entries) throws IOException {
        long budget = Safetensors.MAX_HEADER_BYTES - 1_000_000;
        StringBuilder h = new StringBuilder(100_000_000).append('{');
        if (metadata != null) {
            h.append("\"__metadata__\":{").append(metadata).append("},");
        }
        long data = 0;
        for (int i = 0; ; i++) {
            String e = entries.entry(i, data);
            if (e == null || h.length() + e.length() + 2 > budget) {
                break;
            }
            h.append(i == 0 ? "" : ",").append(e);
            data += 4;
        }
        h.append('}');
        while (h.length() % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve(name);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(p), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length).array());
            out.write(header);
            out.write(new byte[(int) data]);
        }
        return p;
    }

    @FunctionalInterface
    private interface EntryMaker {
        /** Entry {@code i}, its data at {@code offset}, or null for no more. */
        String entry(int i, long offset);
    }

    private static String scalar(String name, long offset) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[" + offset + "," + (offset + 4) + "]}";
    }

    @Test
    void everyHostileHeaderAtTheCapLoadsOrIsRefusedWithinTheStatedHeap() throws IOException, InterruptedException {
        int cap = Safetensors.MAX_ENTRIES;
        String longName = "n".repeat((int) (Safetensors.MAX_HEADER_BYTES / cap) - 90);
        StringBuilder tinyMeta = new StringBuilder();
        for (int i = 0; tinyMeta.length() < 90_000_000; i++) {
            tinyMeta.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        StringBuilder longMeta = new StringBuilder();
        String value = "v".repeat((int) (90_000_000L / cap) - 20);
        for (int i = 0; i < cap; i++) {
            longMeta.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"").append(value).append('"');
        }
        List<Path> files = new ArrayList<>();
        files.add(file("tiny-tensors.safetensors", null, (i, off) -> scalar("t" + i, off)));
        files.add(file("long-names.safetensors", null, (i, off) -> i < cap ? scalar(longName + i, off) : null));
        files.add(file("one-huge-name.safetensors", null,
                (i, off) -> i == 0 ? scalar("x".repeat(97_000_000), off) : null));
        files.add(file("tiny-metadata.safetensors", tinyMeta.toString(), (i, off) -> i == 0 ? scalar("w", off) : null));
        files.add(file("long-metadata.safetensors", longMeta.toString(), (i, off) -> i == 0 ? scalar("w", off) : null));
        tinyMeta = null;
        longMeta = null;

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx" + Safetensors.HEAP_BOUND_MB + "m",
                "-cp", System.getProperty("java.class.path"), SafetensorsHeapTest.class.getName()));
        files.forEach(f -> command.add(f.toString()));
        Path out = dir.resolve("out.txt"), err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM finished");
        String stdout = Files.readString(out), stderr = Files.readString(err);
        assertEquals(0, p.exitValue(), () -> "exit status; stdout:\n" + stdout + "\nstderr:\n" + stderr);
        List<String> lines = stdout.lines().toList();
        assertEquals(5, lines.size(), stdout + stderr);
        assertTrue(lines.get(0).startsWith("refused ") && lines.get(0).contains("expected at most " + cap + " tensors, found more"),
                lines.get(0));
        assertEquals("loaded " + cap, lines.get(1));
        assertEquals("loaded 1", lines.get(2));
        assertTrue(lines.get(3).startsWith("refused ") && lines.get(3).contains("metadata: expected at most " + cap
                + " entries, found more"), lines.get(3));
        assertEquals("loaded 1", lines.get(4));
    }
}
