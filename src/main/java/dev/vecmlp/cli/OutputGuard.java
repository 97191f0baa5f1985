package dev.vecmlp.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.Safetensors;

/**
 * Checks made before a command spends minutes training: that its output can be written, and
 * that it would not replace a file the user did not mean to lose.
 */
final class OutputGuard {
    private OutputGuard() {
    }

    /** Throws unless {@code file}'s directory exists. */
    static void checkParent(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(file + ": the directory " + parent + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + ": expected a file name, found a directory");
        }
    }

    /**
     * Throws unless {@code picture} may be written: not one of the command's other files, and,
     * when it exists, a PNG already (or {@code force}).
     */
    static void checkPicture(Path picture, boolean force, Path... others) {
        checkParent(picture);
        for (Path other : others) {
            if (other != null && picture.toAbsolutePath().normalize().equals(other.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException(picture + ": is also this command's " + other
                        + "; choose another file name for the picture");
            }
        }
        if (force || !Files.exists(picture)) {
            return;
        }
        if (!isPng(picture)) {
            throw new IllegalArgumentException(picture + ": exists and is not a PNG picture; choose another file name or add"
                    + " --force to replace it");
        }
    }

    private static boolean isPng(Path file) {
        byte[] magic = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(magic.length);
            return java.util.Arrays.equals(head, magic);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Throws if {@code file}, given as {@code option}, exists and is not a vecmlp model file (a
     * checkpoint is one too), unless {@code force}: a model is replaced freely (training again is
     * the point), anything else is kept.
     */
    static void checkReplaceable(Path file, boolean force, String option) {
        checkParent(file);
        if (force || !Files.exists(file)) {
            return;
        }
        if (!isVecmlpModel(file)) {
            throw new IllegalArgumentException(file + ": exists and is not a vecmlp model file; choose another " + option
                    + " or add --force to replace it");
        }
    }

    /**
     * Whether {@code file} starts as a safetensors file whose header carries vecmlp's
     * architecture. Reads the header only: a check before training should not parse megabytes
     * of weights (nor warm up the JSON reader while the kernels wait for the JIT).
     */
    static boolean isVecmlpModel(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) {
                // Read until the 8 bytes are in or the file ends.
            }
            if (len.hasRemaining()) {
                return false;
            }
            long n = len.flip().getLong();
            if (n < 2 || n > Math.min(Safetensors.MAX_HEADER_BYTES, ch.size() - 8)) {
                return false;
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            while (header.hasRemaining() && ch.read(header) >= 0) {
                // Read until the header is in or the file ends.
            }
            String text = new String(header.array(), 0, header.position(), StandardCharsets.UTF_8);
            return text.startsWith("{") && text.contains("\"" + ModelFile.LAYERS_KEY + "\"");
        } catch (IOException e) {
            return false;
        }
    }
}
