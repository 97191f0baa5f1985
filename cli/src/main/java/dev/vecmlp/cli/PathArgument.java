package dev.vecmlp.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import dev.vecmlp.data.DataFormatException;
import dev.vecmlp.io.ModelFormatException;

/**
 * The paths a command is given, checked before they are read or written, so that every message
 * has the project's form and names the option as well:
 *
 * <pre>
 * --model runs/m.safetensors: expected a model file (safetensors), found a directory
 * --data train.csv, line 3, column 2: expected a number, found "x"
 * </pre>
 *
 * <p>A check before reading gives the common mistakes (no such file, a directory, an empty file)
 * their own words, where the JDK's exceptions carry only the path or "Is a directory"; a failure
 * while reading (a malformed file, a file that changed meanwhile) is re-thrown with the option
 * in front of the reader's own message.
 */
final class PathArgument {
    /** What a model file holds, for the messages of {@code --model}. */
    static final String MODEL = "a model file (safetensors)";
    /** What {@code --data} names. */
    static final String DATA = "an IDX directory or a CSV file";

    private PathArgument() {
    }

    /** Reads a file, as a reader of one format does. */
    @FunctionalInterface
    interface Reader<T> {
        T read(Path path) throws IOException;
    }

    /**
     * Reads {@code path}, given as {@code option}, with {@code reader}, after checking that it is
     * a readable, non-empty regular file.
     *
     * @param expected what the file should hold, as the message says it: "a model file (safetensors)"
     * @throws IllegalArgumentException if there is no such file, or a directory, a special file,
     *                                  a file this user may not read or an empty file
     * @throws IOException              if reading fails: a format error's own message, or what the
     *                                  JDK found, after the option and the path
     */
    static <T> T readFile(String option, Path path, String expected, Reader<T> reader) throws IOException {
        requireFile(option, path, expected);
        return read(option, path, expected, reader);
    }

    /**
     * Reads {@code path} with {@code reader}, naming {@code option} in every failure; for a path
     * checked already, or one that may be a directory.
     */
    static <T> T read(String option, Path path, String expected, Reader<T> reader) throws IOException {
        try {
            return reader.read(path);
        } catch (ModelFormatException | DataFormatException e) {
            // Their messages start with the file and say where, what was expected and what was found.
            throw new IOException(option + " " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(message(option, path, expected, found(e)), e);
        }
    }

    /** Throws unless {@code path} is a readable, non-empty regular file. */
    static void requireFile(String option, Path path, String expected) {
        String found = notAFile(path);
        if (found != null) {
            throw new IllegalArgumentException(message(option, path, expected, found));
        }
    }

    /** Throws unless {@code path} is a readable directory or a readable, non-empty regular file. */
    static void requireFileOrDirectory(String option, Path path, String expected) {
        if (Files.isDirectory(path)) {
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException(message(option, path, expected, "a directory this user may not list"));
            }
            return;
        }
        requireFile(option, path, expected);
    }

    /**
     * Throws unless {@code path} can be written as {@code option}: its directory exists and may
     * be written, and the path is not a directory or a special file (replacing {@code /dev/null}
     * by a rename would remove the device).
     *
     * @param expected what will be written, as the message says it: "a model file to write"
     */
    static void requireWritable(String option, Path path, String expected) {
        Path parent = path.toAbsolutePath().normalize().getParent();
        String found = null;
        if (parent == null) {
            found = "the root directory";
        } else if (Files.isDirectory(path)) {
            found = "a directory";
        } else if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && Files.exists(path) && !Files.isRegularFile(path)) {
            found = "a special file (a device, pipe or socket), which a rename would replace";
        } else if (!Files.exists(parent)) {
            found = "no directory " + parent;
        } else if (!Files.isDirectory(parent)) {
            found = parent + ", a file, where its directory should be";
        } else if (!Files.isWritable(parent)) {
            found = "a directory this user may not write, " + parent;
        }
        if (found != null) {
            throw new IllegalArgumentException(message(option, path, expected, found));
        }
    }

    /** {@code "OPTION PATH: expected EXPECTED, found FOUND"}. */
    static String message(String option, Path path, String expected, String found) {
        return option + " " + path + ": expected " + expected + ", found " + found;
    }

    /** What is at {@code path} where a readable, non-empty regular file was expected; null when it is one. */
    static String notAFile(Path path) {
        if (!Files.exists(path)) {
            if (Files.isSymbolicLink(path)) {
                return "a symbolic link to nothing";
            }
            Path parent = path.toAbsolutePath().normalize().getParent();
            return parent != null && !Files.isDirectory(parent) ? "no such file, nor its directory " + parent : "no such file";
        }
        if (Files.isDirectory(path)) {
            return "a directory";
        }
        if (!Files.isRegularFile(path)) {
            return "a special file (a device, pipe or socket), not a regular file";
        }
        if (!Files.isReadable(path)) {
            return "a file this user may not read";
        }
        try {
            if (Files.size(path) == 0) {
                return "an empty file (0 bytes)";
            }
        } catch (IOException e) {
            return found(e);
        }
        return null;
    }

    /** What an I/O failure says was found, in words: the JDK's messages are often only the path. */
    static String found(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "a file this user may not read or write (permission denied)";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return "an error from the file system: " + fs.getReason();
        }
        String m = e.getMessage();
        return "an error: " + (m != null ? m : e.getClass().getSimpleName());
    }
}
