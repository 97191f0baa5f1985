package dev.vecmlp.io;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A model or tensor file that breaks the safetensors format or does not fit the architecture it
 * should hold. The message names the file, the tensor (when one is at fault) and the byte offset
 * in the file where the problem was found, then what was expected and what was found:
 *
 * <pre>{@code
 * m.safetensors: tensor "2.weight" at byte 97: shape: expected [10, 512], found [10, 256]
 * }</pre>
 */
public final class ModelFormatException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** A path is not serializable; the message keeps it. */
    private final transient Path file;
    private final String tensor;
    private final long offset;

    /**
     * @param file    the file being read
     * @param tensor  the tensor at fault, or null
     * @param offset  byte offset in the file, or -1 when no single place is at fault
     * @param message what was expected and what was found
     */
    public ModelFormatException(Path file, String tensor, long offset, String message) {
        super(compose(Objects.requireNonNull(file, "file"), tensor, offset, message));
        this.file = file;
        this.tensor = tensor;
        this.offset = offset;
    }

    /** The file being read (null after deserialization). */
    public Path file() {
        return file;
    }

    /** The tensor at fault, if one is. */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }

    /** The byte offset in the file where the problem was found, if there is one place. */
    public OptionalLong offset() {
        return offset >= 0 ? OptionalLong.of(offset) : OptionalLong.empty();
    }

    private static String compose(Path file, String tensor, long offset, String message) {
        // "file: tensor "x" at byte 9: message", or "file: message" when neither is known.
        StringBuilder sb = new StringBuilder().append(file);
        if (tensor != null || offset >= 0) {
            sb.append(':');
        }
        if (tensor != null) {
            sb.append(" tensor ").append(Json.describe(tensor));
        }
        if (offset >= 0) {
            sb.append(" at byte ").append(offset);
        }
        return sb.append(": ").append(message).toString();
    }

    /**
     * {@code value}, found in a file, quoted for a message: control characters escaped and cut to
     * a readable length (a hostile value may be megabytes long).
     */
    public static String quote(String value) {
        return Json.describe(value);
    }
}
