package dev.vecmlp.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes named tensors in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON mapping
 * each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative
 * to the data section) plus an optional {@code "__metadata__"} object of strings, then the data,
 * row-major and little-endian.
 *
 * <pre>{@code
 * Map<String, Tensor> tensors = new LinkedHashMap<>();
 * tensors.put("0.weight", Tensor.f32(w, 512, 784));
 * Safetensors.write(Path.of("m.safetensors"), tensors, Map.of("step", "1200"));
 * TensorFile f = Safetensors.read(Path.of("m.safetensors"));
 * }</pre>
 *
 * <p>The reader trusts nothing in the file: every violation is a {@link ModelFormatException}
 * naming the file, the tensor and the byte offset. It checks the header length against a
 * {@value #MAX_HEADER_BYTES}-byte cap and the file size before allocating for it; requires UTF-8
 * and strict JSON (no duplicate keys, no unknown fields, no trailing data other than space
 * padding); sizes and offsets as non-negative integers in digits only ({@code 1.0} and
 * {@code 1e3} are rejected); at most {@link Tensor#MAX_RANK} dimensions, with overflow-checked
 * products; a data size of exactly elements × dtype size per tensor; data offsets that tile the
 * data section from 0 with no hole or overlap; and a file that ends where the data does.
 *
 * <p>Writes are atomic ({@link AtomicFile}): the file is written under a temporary name in the
 * same directory, forced to the device, then moved over the target, and the directory forced, so
 * a reader sees either the old file or the whole new one; after a failure the temporary file is
 * gone and the old file is untouched.
 */
public final class Safetensors {
    /** The largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /**
     * The most tensors a header may name, and the most metadata entries it may hold. Far above
     * any MLP (two tensors a layer; a checkpoint a few more), and what bounds the heap a header
     * can take: 1.4 million tiny entries fit in {@value #MAX_HEADER_BYTES} bytes and took 2 GB to
     * read in full. With the caps any header is read, or refused, within {@value #HEAP_BOUND_MB}
     * MB of heap beyond the tensors' data (SafetensorsHeapTest reads the worst cases in a JVM of
     * that heap: tiny tensors or metadata entries past the caps, the caps' worth of long names or
     * values, one name of 97 MB; the last needs most, 257-320 MB).
     */
    public static final int MAX_ENTRIES = 65_536;

    /** The heap, in MB, that reading any header needs at most, beyond the tensors' own data. */
    public static final int HEAP_BOUND_MB = 384;

    /** The header key of the metadata object. */
    public static final String METADATA_KEY = "__metadata__";

    /** The writer pads the header with spaces to this multiple, so the data starts aligned. */
    private static final int HEADER_ALIGNMENT = 8;

    private Safetensors() {
    }

    /** Called after each chunk a write puts into the temporary file; tests inject failures here. */
    @FunctionalInterface
    interface WriteHook {
        void written(Path temporaryFile, long bytes) throws IOException;
    }

    /**
     * Writes {@code tensors}, data in the map's iteration order, and {@code metadata} (omitted
     * when empty) to {@code file}, atomically replacing any file there.
     *
     * @throws IllegalArgumentException if a name is {@value #METADATA_KEY} or not valid UTF-16,
     *                                  or the header would exceed {@value #MAX_HEADER_BYTES} bytes
     * @throws IOException              if the directory does not exist or the write fails
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, (temporaryFile, bytes) -> { });
    }

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, WriteHook hook)
            throws IOException {
        Objects.requireNonNull(file, "file");
        byte[] header = header(Objects.requireNonNull(tensors, "tensors"), Objects.requireNonNull(metadata, "metadata"));
        AtomicFile.write(file, (ch, temp) -> {
            ByteBuffer length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, length);
            writeFully(ch, ByteBuffer.wrap(header));
            long written = Long.BYTES + header.length;
            hook.written(temp, written);
            for (Tensor t : tensors.values()) {
                writeFully(ch, ByteBuffer.wrap(t.array()));
                written += t.byteSize();
                hook.written(temp, written);
            }
        });
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** The header JSON, padded with spaces. */
    private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            Json.quote(sb, METADATA_KEY);
            sb.append(":{");
            String sep = "";
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                String key = Objects.requireNonNull(e.getKey(), "metadata key");
                Objects.requireNonNull(e.getValue(), () -> "metadata value of " + Json.describe(key));
                sb.append(sep);
                Json.quote(sb, key);
                sb.append(':');
                Json.quote(sb, e.getValue());
                sep = ",";
            }
            sb.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            Tensor t = Objects.requireNonNull(e.getValue(), () -> "tensor " + Json.describe(name));
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name: expected anything but " + METADATA_KEY
                        + ", which is the metadata key, found it");
            }
            if (sb.length() > 1) {
                sb.append(',');
            }
            Json.quote(sb, name);
            sb.append(":{\"dtype\":\"").append(t.dtype().name()).append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ",").append(shape[i]);
            }
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(offset + t.byteSize()).append("]}");
            offset += t.byteSize();
        }
        byte[] json = sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        long padded = (json.length + (long) HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header: expected at most " + MAX_HEADER_BYTES
                    + " bytes (readers refuse more), found " + padded);
        }
        byte[] out = Arrays.copyOf(json, (int) padded);
        Arrays.fill(out, json.length, out.length, (byte) ' ');
        return out;
    }

    /**
     * Reads and checks a whole file.
     *
     * @throws ModelFormatException if the file breaks the format (see the class comment)
     * @throws IOException          if it cannot be read
     */
    public static TensorFile read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch.size(), ch::read);
        }
    }

    /**
     * Reads and checks a file's bytes already in memory (from a distributed file system, a
     * broadcast, a database column); {@code name} stands for the file in messages and in
     * {@link TensorFile#path()}.
     *
     * @throws ModelFormatException if the bytes break the format (see the class comment)
     */
    public static TensorFile read(Path name, byte[] bytes) throws ModelFormatException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
        try {
            return read(name, bytes.length, (b, at) -> {
                if (at >= bytes.length) {
                    return -1;
                }
                int n = (int) Math.min(b.remaining(), bytes.length - at);
                b.put(bytes, (int) at, n);
                return n;
            });
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError("an array cannot fail to be read", e);
        }
    }

    /** Where the bytes come from: a positional read, as {@link FileChannel#read(ByteBuffer, long)}. */
    @FunctionalInterface
    private interface Source {
        int read(ByteBuffer b, long position) throws IOException;
    }

    private static TensorFile read(Path file, long size, Source ch) throws IOException {
        if (size < Long.BYTES) {
            throw new ModelFormatException(file, null, 0, "expected at least 8 bytes (the header length), found a file of "
                    + size + (size == 1 ? " byte" : " bytes"));
        }
        ByteBuffer lengthField = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, lengthField, 0);
        long n = lengthField.getLong(0);
        // Unsigned in the format: a negative long is a length of 2^63 or more.
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, null, 0, "header length: expected at most " + MAX_HEADER_BYTES
                    + " bytes, found " + Long.toUnsignedString(n) + notSafetensors(lengthField.array()));
        }
        if (n > size - Long.BYTES) {
            throw new ModelFormatException(file, null, 0, "header length: expected at most " + (size - Long.BYTES)
                    + " (the bytes after the length field), found " + n + notSafetensors(lengthField.array()));
        }
        byte[] header = new byte[(int) n];
        readFully(file, ch, ByteBuffer.wrap(header), Long.BYTES);
        HeaderParser parsed = new HeaderParser(file, header);
        parsed.parse();
        long dataStart = Long.BYTES + n;
        List<Entry> entries = layout(file, parsed.entries, size - dataStart, dataStart);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Long> entryOffsets = new HashMap<>();
        Map<String, Long> dataOffsets = new HashMap<>();
        for (Entry e : entries) {
            byte[] data = new byte[(int) (e.end - e.begin)];
            readFully(file, ch, ByteBuffer.wrap(data), dataStart + e.begin);
            tensors.put(e.name, Tensor.adopt(e.dtype, e.shape, data));
            entryOffsets.put(e.name, e.nameAt);
            dataOffsets.put(e.name, dataStart + e.begin);
        }
        return new TensorFile(file, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(parsed.metadata),
                entryOffsets, dataOffsets, parsed.metadataOffsets);
    }

    /**
     * A remark on a header length that cannot be one: when the first 8 bytes are text, the file
     * is some other format (a CSV file, a README), and the remark quotes them.
     */
    private static String notSafetensors(byte[] first) {
        StringBuilder text = new StringBuilder();
        for (byte b : first) {
            if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' || b == 0x7f) {
                return "";
            }
            text.append(b == '\n' ? "\\n" : b == '\r' ? "\\r" : b == '\t' ? "\\t" : String.valueOf((char) b));
        }
        return ": the file starts with the text \"" + text + "\", not a safetensors header length";
    }

    /**
     * Checks that the entries tile {@code [0, dataLength)} exactly, and returns them in data order.
     * Only then are sizes from the header trusted for allocation: each is now part of the file.
     */
    private static List<Entry> layout(Path file, List<Entry> entries, long dataLength, long dataStart)
            throws ModelFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.<Entry>comparingLong(e -> e.begin).thenComparingLong(e -> e.end));
        long expected = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin != expected) {
                String after = previous == null ? "0 (the start of the data)"
                        : expected + " (where " + Json.describe(previous) + " ends)";
                throw new ModelFormatException(file, e.name, e.offsetsAt, "data_offsets [" + e.begin + ", " + e.end
                        + "]: expected to begin at " + after + ", found " + e.begin
                        + (e.begin < expected ? " (an overlap)" : " (a hole of " + (e.begin - expected) + " bytes)"));
            }
            expected = e.end;
            previous = e.name;
        }
        if (expected != dataLength) {
            String last = previous == null ? "" : ", ending with " + Json.describe(previous);
            String total = expected <= Long.MAX_VALUE - dataStart ? String.valueOf(dataStart + expected) : "more than 2^63";
            throw new ModelFormatException(file, null, dataStart + Math.min(expected, dataLength), "file size: expected "
                    + total + " bytes (8 + " + (dataStart - Long.BYTES) + " header + " + expected + " data" + last
                    + "), found " + (dataStart + dataLength));
        }
        for (Entry e : sorted) {
            if (e.end - e.begin > Tensor.MAX_BYTES) {
                throw new ModelFormatException(file, e.name, e.offsetsAt, "size: expected at most " + Tensor.MAX_BYTES
                        + " bytes per tensor (one Java array), found " + (e.end - e.begin));
            }
        }
        return sorted;
    }

    private static void readFully(Path file, Source ch, ByteBuffer b, long position) throws IOException {
        long at = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, at);
            if (n < 0) {
                throw new ModelFormatException(file, null, at, "expected " + b.remaining()
                        + " more bytes, found the end of the file (did it change while being read?)");
            }
            at += n;
        }
    }

    /**
     * One tensor's header entry. Positions are file offsets: of the name, and of its
     * data_offsets array.
     */
    private record Entry(String name, long nameAt, DType dtype, long[] shape, long begin, long end, long offsetsAt) {
    }

    /** Reads the header by its schema; the tensor being read is named in every error. */
    private static final class HeaderParser {
        private final Path file;
        private final Json.Reader r;
        private final List<Entry> entries = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final Map<String, Long> metadataOffsets = new HashMap<>();
        private String tensor;

        HeaderParser(Path file, byte[] header) {
            this.file = file;
            this.r = new Json.Reader(header, 0, header.length, Long.BYTES, "the header",
                    (position, message) -> new ModelFormatException(file, tensor, position, message));
        }

        void parse() throws ModelFormatException {
            r.requireUtf8();
            r.expect('{', "the header to be a JSON object, '{'");
            Set<String> keys = new HashSet<>();
            boolean metadataSeen = false;
            if (!r.consume('}')) {
                do {
                    tensor = null;
                    long at = r.position();
                    String key = r.readString("a tensor name or " + METADATA_KEY);
                    if (key.equals(METADATA_KEY)) {
                        if (metadataSeen) {
                            throw new ModelFormatException(file, null, at, "expected " + METADATA_KEY + " once, found it again");
                        }
                        metadataSeen = true;
                        r.expect(':', "':'");
                        readMetadata();
                    } else {
                        tensor = key;
                        if (!keys.add(key)) {
                            throw new ModelFormatException(file, key, at, "expected each tensor name once, found this one again");
                        }
                        if (entries.size() == MAX_ENTRIES) {
                            throw new ModelFormatException(file, key, at, "expected at most " + MAX_ENTRIES
                                    + " tensors, found more");
                        }
                        r.expect(':', "':'");
                        entries.add(readEntry(key, at));
                    }
                } while (r.consume(','));
                tensor = null;
                r.expect('}', "',' or '}'");
            }
            r.expectEnd();
        }

        private void readMetadata() throws ModelFormatException {
            r.expect('{', METADATA_KEY + " to be an object of strings, '{'");
            if (r.consume('}')) {
                return;
            }
            do {
                long at = r.position();
                if (metadata.size() == MAX_ENTRIES) {
                    throw new ModelFormatException(file, null, at, "metadata: expected at most " + MAX_ENTRIES
                            + " entries, found more");
                }
                String key = r.readString("a metadata key");
                r.expect(':', "':'");
                if (!r.atString()) {
                    throw r.fail("metadata " + Json.describe(key) + ": expected a string value, found " + r.found());
                }
                long valueAt = r.position();
                String value = r.readString("metadata value of " + Json.describe(key));
                if (metadata.putIfAbsent(key, value) != null) {
                    throw new ModelFormatException(file, null, at, "metadata: expected each key once, found "
                            + Json.describe(key) + " again");
                }
                metadataOffsets.put(key, valueAt);
            } while (r.consume(','));
            r.expect('}', "',' or '}'");
        }

        private Entry readEntry(String name, long nameAt) throws ModelFormatException {
            long entryAt = r.position();
            r.expect('{', "an object {\"dtype\", \"shape\", \"data_offsets\"}");
            DType dtype = null;
            long[] shape = null;
            long[] offsets = null;
            long shapeAt = -1, offsetsAt = -1;
            if (!r.consume('}')) {
                do {
                    long fieldAt = r.position();
                    String field = r.readString("a field name");
                    r.expect(':', "':'");
                    boolean repeated = switch (field) {
                        case "dtype" -> {
                            boolean seen = dtype != null;
                            long at = r.position();
                            String spelled = r.readString("dtype");
                            dtype = DType.byName(spelled);
                            if (dtype == null) {
                                throw new ModelFormatException(file, name, at, "dtype: expected one of "
                                        + Arrays.toString(DType.values()) + ", found " + Json.describe(spelled));
                            }
                            yield seen;
                        }
                        case "shape" -> {
                            boolean seen = shape != null;
                            shapeAt = r.position();
                            shape = readCounts("shape", Tensor.MAX_RANK);
                            yield seen;
                        }
                        case "data_offsets" -> {
                            boolean seen = offsets != null;
                            offsetsAt = r.position();
                            offsets = readCounts("data_offsets", 2);
                            if (offsets.length != 2) {
                                throw new ModelFormatException(file, name, offsetsAt,
                                        "data_offsets: expected 2 values [begin, end], found " + offsets.length);
                            }
                            yield seen;
                        }
                        default -> throw new ModelFormatException(file, name, fieldAt,
                                "expected a field \"dtype\", \"shape\" or \"data_offsets\", found " + Json.describe(field));
                    };
                    if (repeated) {
                        throw new ModelFormatException(file, name, fieldAt, "expected field " + Json.describe(field)
                                + " once, found it again");
                    }
                } while (r.consume(','));
            }
            r.expect('}', "',' or '}'");
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : offsets == null ? "data_offsets" : null;
            if (missing != null) {
                throw new ModelFormatException(file, name, entryAt, "expected a field \"" + missing + "\", found none");
            }
            long elements = Tensor.elementCount(shape);
            if (elements < 0 || elements > Long.MAX_VALUE / dtype.byteSize()) {
                throw new ModelFormatException(file, name, shapeAt, "shape " + Arrays.toString(shape)
                        + ": expected at most " + Long.MAX_VALUE + " bytes of " + dtype + ", found more");
            }
            long begin = offsets[0], end = offsets[1];
            if (end < begin) {
                throw new ModelFormatException(file, name, offsetsAt, "data_offsets [" + begin + ", " + end
                        + "]: expected end >= begin, found end < begin");
            }
            long bytes = elements * dtype.byteSize();
            if (end - begin != bytes) {
                throw new ModelFormatException(file, name, offsetsAt, "data_offsets [" + begin + ", " + end + "]: expected "
                        + bytes + " bytes (" + elements + " elements of " + dtype + ", shape " + Arrays.toString(shape)
                        + "), found " + (end - begin));
            }
            return new Entry(name, nameAt, dtype, shape, begin, end, offsetsAt);
        }

        /** An array of at most {@code max} counts. */
        private long[] readCounts(String what, int max) throws ModelFormatException {
            r.expect('[', what + " to be an array, '['");
            long[] values = new long[max];
            int n = 0;
            if (!r.consume(']')) {
                do {
                    if (n == max) {
                        throw r.fail(what + ": expected at most " + max + " values, found more");
                    }
                    values[n] = r.readCount(what + "[" + n + "]");
                    n++;
                } while (r.consume(','));
                r.expect(']', "',' or ']'");
            }
            return Arrays.copyOf(values, n);
        }
    }
}
