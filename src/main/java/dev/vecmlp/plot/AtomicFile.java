package dev.vecmlp.plot;

import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import javax.imageio.ImageIO;

/**
 * Replaces a file in one step: the content goes to a temporary file in the target's directory,
 * which is then renamed over the target. A reader (or a crash) sees the old file or the new one,
 * never half of one, and a failed write leaves the old file as it was.
 */
final class AtomicFile {
    /** Writes the whole content to {@code out}; need not close it. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFile() {
    }

    static void writePng(Path target, RenderedImage image) throws IOException {
        write(target, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer for an image of type " + image.getClass().getName());
            }
        });
    }

    static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null) {
            throw new IOException("cannot write " + target + ": it is a root, not a file");
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": "
                    + (Files.exists(dir) ? dir + " is not a directory" : "directory " + dir + " does not exist"));
        }
        Path temp = createTemp(dir, absolute.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                content.writeTo(out);
                out.flush();
                // Without this a crash soon after the rename can leave an empty target on
                // file systems that persist the rename before the data.
                channel.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * A new empty file next to the target. Not {@link Files#createTempFile}: that one is created
     * owner-only on POSIX systems, and the rename would hand those permissions to the user's
     * picture; a plain create gets the usual ones.
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        Path temp = dir.resolve("." + name + "." + suffix + ".tmp");
        Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return temp;
    }
}
