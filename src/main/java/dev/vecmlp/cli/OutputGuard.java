package dev.vecmlp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.vecmlp.io.ModelFile;

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
     * Throws if {@code file} exists and is not a vecmlp model file, unless {@code force}: a model
     * is replaced freely (training again is the point), anything else is kept.
     */
    static void checkReplaceable(Path file, boolean force) {
        checkParent(file);
        if (force || !Files.exists(file)) {
            return;
        }
        try (ModelFile.Contents ignored = ModelFile.read(file)) {
            // A readable vecmlp model: fine to replace.
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": exists and is not a vecmlp model file (" + e.getMessage()
                    + "); choose another --output or add --force to replace it");
        }
    }
}
