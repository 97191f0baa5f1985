package dev.vecmlp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.function.Executable;

/** Hand-built safetensors bytes, and the check that a read of them fails where it should. */
final class Bytes {
    private Bytes() {
    }

    /** A file: the header's UTF-8 length, the header, the data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h.length, h, data);
    }

    /** A file whose length field says {@code length}, whatever the header's real length. */
    static byte[] file(long length, byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(length).put(header).put(data).array();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    static byte[] f64(double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return b.array();
    }

    /** File offset of the first {@code token} in {@code header}, counted in UTF-8 bytes. */
    static long at(String header, String token) {
        int i = header.indexOf(token);
        assertTrue(i >= 0, token + " not in " + header);
        return 8 + header.substring(0, i).getBytes(StandardCharsets.UTF_8).length;
    }

    /** File offset of the last {@code token} in {@code header}. */
    static long atLast(String header, String token) {
        int i = header.lastIndexOf(token);
        assertTrue(i >= 0, token + " not in " + header);
        return 8 + header.substring(0, i).getBytes(StandardCharsets.UTF_8).length;
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /**
     * Asserts that {@code read} fails with a {@link ModelFormatException} that names the file,
     * {@code tensor} (null: none) and {@code offset} (-1: none), and says every one of
     * {@code fragments}.
     */
    static ModelFormatException assertRejected(Path file, String tensor, long offset, Executable read, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, read);
        String m = e.getMessage();
        assertEquals(file, e.file(), m);
        // One colon and a space after the file, whether or not a tensor or an offset follows it.
        assertTrue(m.startsWith(file + ": "), m);
        assertEquals(Optional.ofNullable(tensor), e.tensor(), m);
        if (tensor != null) {
            assertTrue(m.contains("tensor " + Json.describe(tensor)), m);
        }
        assertEquals(offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset), e.offset(), m);
        if (offset >= 0) {
            assertTrue(m.contains("at byte " + offset + ":"), m);
        }
        for (String f : fragments) {
            assertTrue(m.contains(f), "expected the message to say '" + f + "': " + m);
        }
        return e;
    }
}
