package dev.vecmlp.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A data file that does not hold what its format promises. The message names the file, where in
 * it the problem is (a byte offset for IDX files, a line and column for CSV files), what was
 * expected there and what was found, e.g.
 *
 * <pre>
 * data/train-labels.idx1, byte 8 (row 0): expected a label in [0, 10), found 12
 * </pre>
 *
 * <p>Thrown by {@link IdxReader} and {@link CsvReader}; an {@link IOException} so that callers
 * handle malformed files and unreadable files in one place.
 */
public final class DataFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The file at fault; transient because a {@link Path} is not serializable. */
    private final transient Path file;
    /** Where in the file. */
    private final String location;
    /** What the format requires there. */
    private final String expected;
    /** What the file holds instead. */
    private final String found;

    /**
     * A malformed-file error with the message {@code "<file>, <location>: expected <expected>,
     * found <found>"}.
     *
     * @param file     the file at fault
     * @param location where in it, e.g. {@code "byte 16"} or {@code "line 3, column 2"}
     * @param expected what the format requires there
     * @param found    what the file holds instead
     */
    public DataFormatException(Path file, String location, String expected, String found) {
        this(file, location, expected, found, null);
    }

    /** As {@link #DataFormatException(Path, String, String, String)}, caused by {@code cause}. */
    public DataFormatException(Path file, String location, String expected, String found, Throwable cause) {
        super(file + ", " + location + ": expected " + expected + ", found " + found, cause);
        this.file = Objects.requireNonNull(file, "file");
        this.location = Objects.requireNonNull(location, "location");
        this.expected = Objects.requireNonNull(expected, "expected");
        this.found = Objects.requireNonNull(found, "found");
    }

    /** The file at fault (null after deserialization: a {@link Path} is not serializable). */
    public Path file() {
        return file;
    }

    /** Where in the file, e.g. {@code "byte 16"} or {@code "line 3, column 2 (\"width\")"}. */
    public String location() {
        return location;
    }

    /** What the format requires there. */
    public String expected() {
        return expected;
    }

    /** What the file holds instead. */
    public String found() {
        return found;
    }
}
