package dev.vecmlp.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import dev.vecmlp.memory.Matrix;

/**
 * Reads IDX files, the format of MNIST and its relatives, plain or gzip'd, into a
 * {@link Dataset}.
 *
 * <p>An IDX file is a big-endian int32 magic number {@code 0x0000TTNN}, where {@code TT} is the
 * value type and {@code NN} the number of dimensions, then {@code NN} big-endian int32 dimension
 * sizes, then the values, row-major. All six IDX value types are read and converted to float:
 * {@code 0x08} unsigned byte, {@code 0x09} signed byte, {@code 0x0B} short, {@code 0x0C} int,
 * {@code 0x0D} float, {@code 0x0E} double (non-finite values are rejected). A file is gzip'd when
 * it starts with the gzip magic bytes {@code 1f 8b}, whatever its name.
 *
 * <p>The first dimension counts rows; the remaining dimensions are flattened into the features of
 * a row (a 28x28 image becomes 784 features). Values are streamed from the file straight into the
 * data set's off-heap rows: the file is never held in memory as a whole.
 *
 * <p>A malformed file is a {@link DataFormatException} naming the file, the byte offset (into the
 * decompressed data for a gzip'd file), what was expected and what was found. Sizes are checked
 * before anything is allocated: every dimension must be at least 1, their product at most
 * {@link #MAX_VALUES}, and a plain file must be exactly as long as its header says.
 *
 * <pre>{@code
 * try (Dataset train = IdxReader.read(Path.of("data/mnist-10k/train-images-idx3-ubyte.gz"),
 *                                     Path.of("data/mnist-10k/train-labels-idx1-ubyte.gz"))) {
 *     // 8000 rows x 784 features (pixels 0..255), 10 classes
 * }
 * }</pre>
 */
public final class IdxReader {
    /**
     * The most values one IDX file may declare, and the most floats a data set read from IDX files
     * may occupy once its rows are padded: 2^30 (4 GiB of floats). Far above any image set this
     * engine trains on, and far below what a corrupt header could otherwise make us allocate.
     */
    public static final long MAX_VALUES = 1L << 30;

    /** Default number of classes when they are inferred: the ten digits of MNIST. */
    private static final int DEFAULT_CLASSES = 10;
    /** Largest label accepted when the number of classes is inferred, plus one. */
    private static final int MAX_INFERRED_CLASSES = 1 << 16;
    private static final int BUFFER_BYTES = 1 << 16;

    private IdxReader() {
    }

    /** The value types of IDX, by their type code (the third byte of the magic number). */
    public enum ValueType {
        /** {@code 0x08}: unsigned byte, 0 to 255 (MNIST pixels and labels). */
        UNSIGNED_BYTE(0x08, 1, "unsigned byte"),
        /** {@code 0x09}: signed byte. */
        BYTE(0x09, 1, "signed byte"),
        /** {@code 0x0B}: big-endian 16-bit signed integer. */
        SHORT(0x0B, 2, "short"),
        /** {@code 0x0C}: big-endian 32-bit signed integer. */
        INT(0x0C, 4, "int"),
        /** {@code 0x0D}: big-endian IEEE 754 single precision. */
        FLOAT(0x0D, 4, "float"),
        /** {@code 0x0E}: big-endian IEEE 754 double precision, rounded to float when read. */
        DOUBLE(0x0E, 8, "double");

        private final int code;
        private final int bytes;
        private final String text;

        ValueType(int code, int bytes, String text) {
            this.code = code;
            this.bytes = bytes;
            this.text = text;
        }

        /** The type code, e.g. {@code 0x08}. */
        public int code() {
            return code;
        }

        /** Bytes per value. */
        public int bytes() {
            return bytes;
        }

        /** Whether values are integers (and so usable as labels). */
        public boolean isInteger() {
            return this != FLOAT && this != DOUBLE;
        }

        @Override
        public String toString() {
            return text + String.format(" (0x%02X)", code);
        }

        private static ValueType ofCode(int code) {
            for (ValueType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * The header of an IDX file. {@link #readHeader} returns only checked ones: every dimension at
     * least 1, at most {@link #MAX_VALUES} values in all.
     *
     * @param type    the value type
     * @param dims    the dimension sizes, first the number of rows
     * @param gzipped whether the file is gzip'd (offsets are then into the decompressed data)
     */
    public record Header(ValueType type, List<Integer> dims, boolean gzipped) {
        /** Copies {@code dims}. */
        public Header {
            Objects.requireNonNull(type, "type");
            dims = List.copyOf(dims);
        }

        /** The first dimension. */
        public int rows() {
            return dims.getFirst();
        }

        /** The product of the dimensions after the first: 1 for a 1-D file. */
        public long valuesPerRow() {
            long n = 1;
            for (int i = 1; i < dims.size(); i++) {
                n *= dims.get(i);
            }
            return n;
        }

        /** Bytes before the values: the magic number and the dimension sizes. */
        public long headerBytes() {
            return 4L + 4L * dims.size();
        }

        /** Bytes of values after the header. */
        public long dataBytes() {
            return rows() * valuesPerRow() * type.bytes();
        }

        /** E.g. {@code "8000 x 28 x 28 unsigned byte (0x08) values"}. */
        public String shape() {
            return dims.stream().map(String::valueOf).collect(Collectors.joining(" x ")) + " " + type + " values";
        }
    }

    /**
     * Reads and checks the header of an IDX file; for a plain file also checks that the file is
     * exactly as long as the header says.
     */
    public static Header readHeader(Path file) throws IOException {
        try (Source src = Source.open(file)) {
            return parseHeader(src);
        }
    }

    /**
     * Reads an images file and its labels file into a classification set of
     * {@code max(10, largest label + 1)} classes: ten is the default because every MNIST-like set
     * has at least ten classes, and a subset that happens to lack the last digit should still make
     * a ten-output network. Labels must be in {@code [0, 65536)}; use
     * {@link #read(Path, Path, int)} to state the classes instead.
     */
    public static Dataset read(Path images, Path labels) throws IOException {
        return load(images, labels, 0);
    }

    /**
     * Reads an images file and its labels file into a classification set of {@code classes}
     * classes; every label must be in {@code [0, classes)}.
     *
     * <p>The images file has at least one dimension; its first dimension is the number of rows
     * and the product of the others the number of features. The labels file is 1-D, of an integer
     * type, with one label per row of the images file. The set is named after the images file.
     *
     * @throws IllegalArgumentException if {@code classes < 2}
     * @throws DataFormatException      if either file is malformed or they do not match
     */
    public static Dataset read(Path images, Path labels, int classes) throws IOException {
        if (classes < 2) {
            throw new IllegalArgumentException(images + ": expected at least 2 classes, found " + classes);
        }
        return load(images, labels, classes);
    }

    /** {@code classes == 0} infers them from the labels. */
    private static Dataset load(Path images, Path labels, int classes) throws IOException {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        try (Source img = Source.open(images)) {
            Header ih = parseHeader(img);
            int features = (int) ih.valuesPerRow();
            long loaded = (long) ih.rows() * Matrix.paddedStride(features);
            if (loaded > MAX_VALUES) {
                throw new DataFormatException(images, img.at(4) + " (the dimensions)",
                        "at most " + MAX_VALUES + " floats once loaded (each row padded to a multiple of " + Matrix.PAD
                                + " floats)", ih.shape() + ", " + ih.rows() + " rows of " + Matrix.paddedStride(features)
                                + " floats = " + loaded);
            }
            int[] y = readLabels(labels, images, ih.rows(), classes);
            int k = classes > 0 ? classes : inferClasses(y);
            String name = Objects.toString(images.getFileName(), images.toString());
            Dataset d = Dataset.classification(name, ih.rows(), features, k);
            try {
                readValues(img, ih, d.featureMatrix());
                expectEnd(img, ih);
                for (int r = 0; r < y.length; r++) {
                    d.setLabel(r, y[r]);
                }
            } catch (IOException | RuntimeException e) {
                d.close();
                throw e;
            }
            return d;
        }
    }

    private static int inferClasses(int[] labels) {
        int max = -1;
        for (int label : labels) {
            max = Math.max(max, label);
        }
        return Math.max(DEFAULT_CLASSES, max + 1);
    }

    private static int[] readLabels(Path labels, Path images, int rows, int classes) throws IOException {
        try (Source src = Source.open(labels)) {
            Header h = parseHeader(src);
            if (h.dims().size() != 1) {
                throw new DataFormatException(labels, src.at(3) + " (the number of dimensions)",
                        "a 1-D labels file (magic 0x0000TT01)", h.dims().size() + " dimensions: " + h.shape());
            }
            if (!h.type().isInteger()) {
                throw new DataFormatException(labels, src.at(2) + " (the type code)",
                        "an integer type for labels: unsigned byte (0x08), signed byte (0x09), short (0x0B) or int (0x0C)",
                        h.type().toString());
            }
            if (h.rows() != rows) {
                throw new DataFormatException(labels, src.at(4) + " (dimension 1)",
                        rows + " labels, one per row of " + images, h.rows() + " labels");
            }
            int limit = classes > 0 ? classes : MAX_INFERRED_CLASSES;
            int bytes = h.type().bytes();
            int[] y = new int[rows];
            byte[] buf = new byte[BUFFER_BYTES];
            ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.BIG_ENDIAN);
            for (int r0 = 0; r0 < rows; r0 += BUFFER_BYTES / bytes) {
                int n = Math.min(BUFFER_BYTES / bytes, rows - r0);
                long start = src.position();
                readData(src, h, buf, n * bytes);
                for (int i = 0; i < n; i++) {
                    int label = intValue(h.type(), bb, i * bytes);
                    if (label < 0 || label >= limit) {
                        throw new DataFormatException(labels, src.at(start + (long) i * bytes) + " (row " + (r0 + i) + ")",
                                "a label in [0, " + limit + ")", Integer.toString(label));
                    }
                    y[r0 + i] = label;
                }
            }
            expectEnd(src, h);
            return y;
        }
    }

    /** Streams the values of {@code h} from {@code src} into the rows of {@code x}, a chunk at a time. */
    private static void readValues(Source src, Header h, Matrix x) throws IOException {
        int bytes = h.type().bytes();
        int chunk = BUFFER_BYTES / bytes;
        byte[] buf = new byte[BUFFER_BYTES];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.BIG_ENDIAN);
        MemorySegment seg = x.segment();
        boolean checkFinite = !h.type().isInteger();
        boolean unsignedBytes = h.type() == ValueType.UNSIGNED_BYTE;
        // Values go through a float[] and into the segment in one copy per chunk: stored one by
        // one through the segment, the 6.3 million pixels of the bundled digits took 265-269 ms
        // of a fresh JVM (219-226 ms with C2 only, as ./vecmlp train runs), this way 226-233 ms
        // (177-184 ms).
        float[] values = new float[chunk];
        for (int r = 0; r < x.rows(); r++) {
            long base = x.offset() + (long) r * x.stride();
            for (int c0 = 0; c0 < x.cols(); c0 += chunk) {
                int n = Math.min(chunk, x.cols() - c0);
                long start = src.position();
                readData(src, h, buf, n * bytes);
                if (unsignedBytes) {
                    for (int i = 0; i < n; i++) {
                        values[i] = buf[i] & 0xFF;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        float v = value(h.type(), bb, i * bytes);
                        if (checkFinite && !Float.isFinite(v)) {
                            throw new DataFormatException(src.file, src.at(start + (long) i * bytes) + " (row " + r
                                    + ", value " + (c0 + i) + ")", "a finite " + h.type() + " value (within float range)",
                                    valueText(h.type(), bb, i * bytes));
                        }
                        values[i] = v;
                    }
                }
                MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT, Float.BYTES * (base + c0), n);
            }
        }
    }

    private static float value(ValueType type, ByteBuffer bb, int at) {
        return switch (type) {
            case UNSIGNED_BYTE -> bb.get(at) & 0xFF;
            case BYTE -> bb.get(at);
            case SHORT -> bb.getShort(at);
            case INT -> bb.getInt(at);
            case FLOAT -> bb.getFloat(at);
            case DOUBLE -> (float) bb.getDouble(at);
        };
    }

    /** Labels are read as ints, not through float, which would round those above 2^24. */
    private static int intValue(ValueType type, ByteBuffer bb, int at) {
        return switch (type) {
            case UNSIGNED_BYTE -> bb.get(at) & 0xFF;
            case BYTE -> bb.get(at);
            case SHORT -> bb.getShort(at);
            case INT -> bb.getInt(at);
            case FLOAT, DOUBLE -> throw new IllegalArgumentException("not an integer type: " + type);
        };
    }

    private static String valueText(ValueType type, ByteBuffer bb, int at) {
        return type == ValueType.DOUBLE ? Double.toString(bb.getDouble(at)) : Float.toString(bb.getFloat(at));
    }

    private static void readData(Source src, Header h, byte[] buf, int len) throws IOException {
        int got = src.readUpTo(buf, len);
        if (got < len) {
            long row = (src.position() - h.headerBytes()) / (h.valuesPerRow() * h.type().bytes());
            throw new DataFormatException(src.file, src.at(src.position()) + " (in row " + row + ")",
                    h.shape() + ", " + h.dataBytes() + " bytes of data ending at byte " + (h.headerBytes() + h.dataBytes()),
                    "the end of the " + src.kind());
        }
    }

    private static void expectEnd(Source src, Header h) throws IOException {
        long end = src.position();
        byte[] buf = new byte[BUFFER_BYTES];
        long extra = 0;
        for (int n; (n = src.readUpTo(buf, buf.length)) > 0; ) {
            extra += n;
        }
        if (extra > 0) {
            throw new DataFormatException(src.file, src.at(end), "the end of the " + src.kind() + " after " + h.shape(),
                    extra + " more bytes: the dimensions do not match the data");
        }
    }

    private static Header parseHeader(Source src) throws IOException {
        Path file = src.file;
        byte[] magic = new byte[4];
        int got = src.readUpTo(magic, 4);
        if (got < 4) {
            throw new DataFormatException(file, src.at(got), "a 4-byte IDX magic number 0x0000TTNN",
                    got == 0 ? "an empty " + src.kind() : "the end of the " + src.kind() + " after " + got + " byte(s)");
        }
        int m = ByteBuffer.wrap(magic).getInt();
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DataFormatException(file, src.at(0), "an IDX magic number 0x0000TTNN (two zero bytes first)",
                    String.format("0x%08X", m));
        }
        ValueType type = ValueType.ofCode(magic[2] & 0xFF);
        if (type == null) {
            throw new DataFormatException(file, src.at(2) + " (the type code)",
                    "0x08 (unsigned byte), 0x09 (signed byte), 0x0B (short), 0x0C (int), 0x0D (float) or 0x0E (double)",
                    String.format("0x%02X in magic 0x%08X", magic[2] & 0xFF, m));
        }
        int rank = magic[3] & 0xFF;
        if (rank == 0) {
            throw new DataFormatException(file, src.at(3) + " (the number of dimensions)", "at least 1 dimension",
                    String.format("0 in magic 0x%08X", m));
        }
        byte[] sizes = new byte[4 * rank];
        got = src.readUpTo(sizes, sizes.length);
        if (got < sizes.length) {
            throw new DataFormatException(file, src.at(src.position()), rank + " 4-byte dimension sizes (bytes 4 to "
                    + (3 + sizes.length) + ")", "the end of the " + src.kind() + " after " + got / 4 + " of them");
        }
        ByteBuffer bb = ByteBuffer.wrap(sizes);
        List<Integer> dims = new ArrayList<>(rank);
        long product = 1;
        for (int i = 0; i < rank; i++) {
            int d = bb.getInt(4 * i);
            String where = src.at(4 + 4L * i) + " (dimension " + (i + 1) + " of " + rank + ")";
            if (d <= 0) {
                throw new DataFormatException(file, where, "a dimension size >= 1",
                        d + (d < 0 ? String.format(" (0x%08X: the sign bit is set)", d) : ""));
            }
            dims.add(d);
            // product <= MAX_VALUES < 2^31 before this step, so product * d cannot overflow a long.
            product *= d;
            if (product > MAX_VALUES) {
                throw new DataFormatException(file, where, "at most " + MAX_VALUES + " values in all",
                        "dimensions " + productText(bb, rank));
            }
        }
        Header h = new Header(type, dims, src.gzip);
        if (!src.gzip) {
            checkLength(file, h);
        }
        return h;
    }

    private static String productText(ByteBuffer bb, int rank) {
        BigInteger p = BigInteger.ONE;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < rank; i++) {
            int d = bb.getInt(4 * i);
            p = p.multiply(BigInteger.valueOf(d));
            s.append(i == 0 ? "" : " x ").append(d);
        }
        return s.append(" = ").append(p.signum() > 0 ? p.toString() : "(a size < 1)").toString();
    }

    /** Lets a plain file's size be checked before anything is allocated from its header. */
    private static void checkLength(Path file, Header h) throws IOException {
        long size = Files.size(file);
        long end = h.headerBytes() + h.dataBytes();
        if (size < end) {
            throw new DataFormatException(file, "byte " + size + " (the end of the file)",
                    h.shape() + ", " + h.dataBytes() + " bytes of data after the " + h.headerBytes() + "-byte header",
                    "only " + (size - h.headerBytes()) + " bytes of data");
        }
        if (size > end) {
            throw new DataFormatException(file, "byte " + end, "the end of the file after " + h.shape(),
                    (size - end) + " more bytes: the dimensions do not match the data");
        }
    }

    /** A file opened for reading, plain or gzip'd, that knows how far into the (decompressed) data it is. */
    private static final class Source implements Closeable {
        final Path file;
        final boolean gzip;
        private final InputStream in;
        private long position;

        private Source(Path file, boolean gzip, InputStream in) {
            this.file = file;
            this.gzip = gzip;
            this.in = in;
        }

        static Source open(Path file) throws IOException {
            InputStream raw = Files.newInputStream(file);
            try {
                BufferedInputStream buffered = new BufferedInputStream(raw, BUFFER_BYTES);
                buffered.mark(2);
                int b0 = buffered.read();
                int b1 = buffered.read();
                buffered.reset();
                if (b0 != 0x1f || b1 != 0x8b) {
                    return new Source(file, false, buffered);
                }
                try {
                    return new Source(file, true, new GZIPInputStream(buffered, BUFFER_BYTES));
                } catch (ZipException | EOFException e) {
                    throw new DataFormatException(file, "byte 0", "a gzip header (the file starts with the gzip magic 1f 8b)",
                            "a corrupt or cut-off one (" + e.getMessage() + ")", e);
                }
            } catch (IOException | RuntimeException e) {
                try {
                    raw.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        long position() {
            return position;
        }

        /** "byte N", saying for a gzip'd file that N counts decompressed bytes. */
        String at(long offset) {
            return "byte " + offset + (gzip ? " of the decompressed data" : "");
        }

        String kind() {
            return gzip ? "decompressed data" : "file";
        }

        /** Reads {@code len} bytes unless the data ends first; returns how many were read. */
        int readUpTo(byte[] buf, int len) throws IOException {
            int got = 0;
            try {
                while (got < len) {
                    int n = in.read(buf, got, len - got);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                }
            } catch (ZipException | EOFException e) {
                // Only the gzip stream throws these: the compressed data is corrupt or cut off.
                throw new DataFormatException(file, at(position + got), "a complete, valid gzip stream",
                        "corrupt or cut-off compressed data (" + e.getMessage() + ")", e);
            } finally {
                position += got;
            }
            return got;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
