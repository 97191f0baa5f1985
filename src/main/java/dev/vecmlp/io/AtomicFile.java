package dev.vecmlp.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file in one step, the one way vecmlp writes a file a user keeps (models,
 * checkpoints, predictions, pictures). The content goes to a temporary file beside the target,
 * is forced to the device, and is renamed over the target (atomically where the file system can;
 * a plain replacing move where it cannot); then the directory is forced too, so the rename
 * itself survives a crash. A reader, or a crash, sees the old file or the whole new one. A write
 * that fails removes its temporary file and leaves the old file as it was.
 *
 * <p>Temporary files are named {@code .<target>.<16 hex digits>.vecmlp-tmp} and locked while
 * they are written. A writer killed mid-write (power cut, {@code kill -9}) leaves one behind,
 * unlocked: the next write of the same target removes every such file it can lock, so nothing
 * accumulates and a later run never trips over one. A file another live writer holds is left
 * alone.
 *
 * <p>The temporary file is created with the process's default permissions (not owner-only, as
 * {@link Files#createTempFile} would make it), so the target gets the permissions any new file
 * of the user's would have.
 */
public final class AtomicFile {
    /** The ending of every temporary file, so it is recognised as vecmlp's. */
    public static final String TEMP_SUFFIX = ".vecmlp-tmp";

    /** Writes the whole content into a temporary file; need not close or force the channel. */
    @FunctionalInterface
    public interface Content {
        /**
         * @param channel   the temporary file, open for writing, positioned at 0
         * @param temporary its path (for tests that inject failures after a chunk)
         */
        void writeTo(FileChannel channel, Path temporary) throws IOException;
    }

    private AtomicFile() {
    }

    /**
     * Writes {@code content} to {@code target}, replacing any file there.
     *
     * @throws NoSuchFileException if the directory does not exist
     * @throws FileSystemException if the parent is not a directory or the target is one
     * @throws IOException         if the write or the move fails (the old file is then untouched)
     */
    public static void write(Path target, Content content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path absolute = Objects.requireNonNull(target, "target").toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null) {
            throw new FileSystemException(target.toString(), null, "expected a file path, found a root");
        }
        String name = absolute.getFileName().toString();
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "expected an existing directory to write " + name
                    + " into, found none");
        }
        if (!Files.isDirectory(dir)) {
            throw new FileSystemException(dir.toString(), null, "expected a directory to write " + name
                    + " into, found a file");
        }
        if (Files.isDirectory(absolute)) {
            throw new FileSystemException(target.toString(), null, "expected a file path to write to, found a directory");
        }
        removeStale(dir, name);
        // A random name: two writers of the same target must not share a temporary file.
        Path temp = dir.resolve("." + name + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong())
                + TEMP_SUFFIX);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 FileLock lock = ch.lock()) {
                content.writeTo(ch, temp);
                // Without this a crash soon after the rename can leave an empty target on file
                // systems that persist the rename before the data.
                ch.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            forceDirectory(dir);
        } catch (Throwable t) {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    t.addSuppressed(e);
                }
            }
            throw t;
        }
    }

    /** Whether {@code file} is named as one of this class's temporary files. */
    public static boolean isTemporary(Path file) {
        String n = file.getFileName().toString();
        return n.startsWith(".") && n.endsWith(TEMP_SUFFIX);
    }

    /**
     * Removes the temporary files of {@code name} that no live writer holds: a lock is released
     * when its process dies, so a file this can lock was left by a writer that crashed. Best
     * effort: a file that cannot be opened or removed stays.
     */
    private static void removeStale(Path dir, String name) {
        String prefix = "." + name + ".";
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir,
                p -> { String n = p.getFileName().toString();
                       return n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX)
                               && n.length() == prefix.length() + 16 + TEMP_SUFFIX.length(); })) {
            for (Path p : stale) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE);
                     FileLock lock = ch.tryLock()) {
                    if (lock != null) {
                        Files.deleteIfExists(p);
                    }
                } catch (OverlappingFileLockException | IOException e) {
                    // Held by a writer in this JVM, or gone, or not ours to remove: leave it.
                }
            }
        } catch (IOException e) {
            // An unreadable directory: the write itself will say what is wrong.
        }
    }

    /**
     * Forces the directory entry of the rename to the device (Linux and macOS allow opening a
     * directory for this; where a platform does not, the rename is as durable as it makes it).
     */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory as a channel; NTFS journals the rename itself.
        }
    }
}
