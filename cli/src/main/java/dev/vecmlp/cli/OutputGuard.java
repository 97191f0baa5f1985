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

    /**
     * Throws unless {@code file}, given as {@code option}, may be written: a new file in an
     * existing directory, or with {@code force} an existing regular file.
     *
     * @param expected what will be written there, as the message says it
     */
    static void checkNew(String option, Path file, boolean force, String expected) {
        PathArgument.requireWritable(option, file, expected);
        if (!force && Files.exists(file)) {
            throw new IllegalArgumentException(PathArgument.message(option, file, "a new file (or --force to replace it)",
                    "an existing file"));
        }
    }

    /**
     * Throws unless {@code picture}, given as {@code option}, may be written: not one of the
     * command's other files, and, when it exists, a PNG already (or {@code force}).
     */
    static void checkPicture(String option, Path picture, boolean force, Path... others) {
        PathArgument.requireWritable(option, picture, "a PNG file to write");
        for (Path other : others) {
            if (other != null && picture.toAbsolutePath().normalize().equals(other.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException(PathArgument.message(option, picture, "a file of its own for the picture",
                        "a file this command also reads or writes (" + other + "); choose another file name"));
            }
        }
        if (force || !Files.exists(picture)) {
            return;
        }
        if (!isPng(picture)) {
            throw new IllegalArgumentException(PathArgument.message(option, picture, "a new file or a PNG picture to replace"
                    + " (or --force to replace any file)", "an existing file that is not a PNG picture"));
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
     * Throws if {@code file}, given as {@code option}, cannot be written or exists and is not a
     * vecmlp model file (a checkpoint is one too), unless {@code force}: a model is replaced
     * freely (training again is the point), anything else is kept.
     *
     * @param expected what will be written there, as the message says it
     */
    static void checkReplaceable(String option, Path file, boolean force, String expected) {
        PathArgument.requireWritable(option, file, expected);
        if (force || !Files.exists(file)) {
            return;
        }
        if (!isVecmlpModel(file)) {
            throw new IllegalArgumentException(PathArgument.message(option, file, "a new file or a vecmlp model file to"
                    + " replace (or --force to replace any file)", "an existing file that is not a vecmlp model"));
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
