package dev.vecmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
    private static final int U8 = 0x08, I8 = 0x09, I16 = 0x0B, I32 = 0x0C, F32 = 0x0D, F64 = 0x0E;

    @TempDir
    Path dir;

    // ---- good files ----

    @Test
    void readsPlain3dImagesAndLabelsFlatteningEachImage() throws IOException {
        Path images = idx("img.idx", U8, dims(3, 2, 3), u8(0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 255, 254, 253, 252, 251, 250),
                false);
        Path labels = idx("lab.idx", U8, dims(3), u8(7, 0, 3), false);
        try (Dataset d = IdxReader.read(images, labels)) {
            assertEquals("img.idx", d.name());
            assertEquals(3, d.size());
            assertEquals(6, d.features());
            assertEquals(10, d.classes(), "all labels < 10: ten classes");
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 255, 254, 253, 252, 251, 250},
                    d.featureMatrix().toArray());
            assertEquals(7, d.label(0));
            assertEquals(0, d.label(1));
            assertEquals(3, d.label(2));
        }
    }

    @Test
    void detectsGzipByItsMagicBytesNotByName() throws IOException {
        Path gzNamedPlain = idx("img.idx", U8, dims(2, 2), u8(1, 2, 3, 4), true);
        Path plainNamedGz = idx("lab.gz", U8, dims(2), u8(1, 0), false);
        assertTrue(IdxReader.readHeader(gzNamedPlain).gzipped());
        assertFalse(IdxReader.readHeader(plainNamedGz).gzipped());
        try (Dataset d = IdxReader.read(gzNamedPlain, plainNamedGz)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, d.featureMatrix().toArray());
            assertEquals(1, d.label(0));
            assertEquals(0, d.label(1));
        }
    }

    @ParameterizedTest(name = "type 0x{0}")
    @ValueSource(ints = {0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E})
    void readsEveryValueTypeAsFloatPlainAndGzipped(int type) throws IOException {
        float[] expected = switch (type) {
            case U8 -> new float[] {0, 128, 255, 7};
            case I8 -> new float[] {0, -128, 127, -1};
            case I16 -> new float[] {-32768, 32767, 0, -2};
            case I32 -> new float[] {Integer.MIN_VALUE, 16777216, -5, 123456};
            case F32 -> new float[] {-1.5f, 3.25e-20f, Float.MAX_VALUE, 0f};
            default -> new float[] {0.1f, -2.5e30f, 1e-40f, 42f};
        };
        byte[] data = encode(type, expected);
        Path labels = idx("lab", U8, dims(2), u8(0, 1), false);
        for (boolean gzip : new boolean[] {false, true}) {
            Path images = idx("img" + gzip, type, dims(2, 2), data, gzip);
            try (Dataset d = IdxReader.read(images, labels, 2)) {
                assertArrayEquals(expected, d.featureMatrix().toArray());
            }
        }
    }

    @Test
    void readsRowsLongerThanOneReadBufferAndLabelFilesLongerThanOne() throws IOException {
        int cols = 9000; // 72,000 bytes of doubles per row: more than one 64 KiB chunk
        float[] values = new float[2 * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        Path images = idx("img", F64, dims(2, cols), encode(F64, values), true);
        Path labels = idx("lab", I32, dims(2), encode(I32, new float[] {1, 0}), true);
        try (Dataset d = IdxReader.read(images, labels, 2)) {
            assertArrayEquals(values, d.featureMatrix().toArray());
        }
        int rows = 70_000; // more labels than one 64 KiB chunk of unsigned bytes
        byte[] pixel = new byte[rows];
        byte[] lab = new byte[rows];
        for (int r = 0; r < rows; r++) {
            pixel[r] = (byte) (r % 200);
            lab[r] = (byte) (r % 3);
        }
        try (Dataset d = IdxReader.read(idx("many", U8, dims(rows), pixel, true), idx("manyl", U8, dims(rows), lab, true), 3)) {
            assertEquals(rows, d.size());
            assertEquals(1, d.features(), "a 1-D images file has one feature per row");
            assertEquals(69_999 % 200, d.feature(69_999, 0));
            assertEquals(69_999 % 3, d.label(69_999));
        }
    }

    @Test
    void infersClassesAsLargestLabelPlusOneAboveTen() throws IOException {
        Path images = idx("img", U8, dims(2, 1), u8(0, 0), false);
        try (Dataset d = IdxReader.read(images, idx("lab", U8, dims(2), u8(12, 0), false))) {
            assertEquals(13, d.classes());
        }
        try (Dataset d = IdxReader.read(images, idx("lab2", U8, dims(2), u8(1, 0), false), 2)) {
            assertEquals(2, d.classes(), "classes as given");
        }
        assertThrows(IllegalArgumentException.class, () -> IdxReader.read(images, images, 1));
    }

    @Test
    void readHeaderDescribesTheFile() throws IOException {
        IdxReader.Header h = IdxReader.readHeader(idx("h", I16, dims(2, 3, 4), new byte[2 * 3 * 4 * 2], false));
        assertEquals(IdxReader.ValueType.SHORT, h.type());
        assertEquals(List.of(2, 3, 4), h.dims());
        assertEquals(2, h.rows());
        assertEquals(12, h.valuesPerRow());
        assertEquals(16, h.headerBytes());
        assertEquals(48, h.dataBytes());
    }

    @Test
    void readsTheBundledMnistSubset() throws IOException {
        Path root = Path.of("data/mnist-10k");
        try (Dataset train = IdxReader.read(root.resolve("train-images-idx3-ubyte.gz"), root.resolve("train-labels-idx1-ubyte.gz"));
             Dataset test = IdxReader.read(root.resolve("t10k-images-idx3-ubyte.gz"), root.resolve("t10k-labels-idx1-ubyte.gz"))) {
            assertEquals(8000, train.size());
            assertEquals(2000, test.size());
            for (Dataset d : List.of(train, test)) {
                assertEquals(784, d.features());
                assertEquals(10, d.classes());
                int[] perClass = new int[10];
                for (int r = 0; r < d.size(); r++) {
                    perClass[d.label(r)]++;
                }
                for (int count : perClass) {
                    assertTrue(count > d.size() / 20, "every digit present: " + Arrays.toString(perClass));
                }
                float[] x = d.featureMatrix().toArray();
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (float v : x) {
                    assertEquals(v, Math.rint(v), "whole pixel values");
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                assertEquals(0f, min);
                assertEquals(255f, max);
            }
        }
    }

    // ---- malformed headers ----

    @Test
    void rejectsNonZeroLeadingMagicBytes() throws IOException {
        Path f = write("bad", bytes(out -> {
            out.writeInt(0x01000801);
            out.writeInt(1);
            out.writeByte(0);
        }), false);
        assertError(f, "byte 0", "0x0000TTNN", "0x01000801", () -> IdxReader.readHeader(f));
    }

    @Test
    void rejectsAnUnknownTypeCode() throws IOException {
        Path f = write("bad", bytes(out -> {
            out.writeInt(0x00000A01);
            out.writeInt(1);
            out.writeByte(0);
        }), false);
        assertError(f, "byte 2 (the type code)", "0x0E (double)", "0x0A", () -> IdxReader.readHeader(f));
    }

    @Test
    void rejectsZeroDimensions() throws IOException {
        Path f = write("bad", bytes(out -> out.writeInt(0x00000800)), false);
        assertError(f, "byte 3 (the number of dimensions)", "at least 1 dimension", "0 in magic 0x00000800",
                () -> IdxReader.readHeader(f));
    }

    @Test
    void rejectsAnEmptyFileAndACutOffMagicNumber() throws IOException {
        Path empty = write("empty", new byte[0], false);
        assertError(empty, "byte 0", "4-byte IDX magic", "an empty file", () -> IdxReader.readHeader(empty));
        Path two = write("two", new byte[] {0, 0}, false);
        assertError(two, "byte 2", "4-byte IDX magic", "the end of the file after 2 byte(s)", () -> IdxReader.readHeader(two));
    }

    @Test
    void rejectsAHeaderCutOffInItsDimensions() throws IOException {
        Path f = write("bad", bytes(out -> {
            out.writeInt(0x00000803);
            out.writeInt(10);
            out.writeInt(28);
            out.writeShort(0);
        }), false);
        assertError(f, "byte 14", "3 4-byte dimension sizes (bytes 4 to 15)", "after 2 of them", () -> IdxReader.readHeader(f));
        Path gz = write("bad.gz", bytes(out -> {
            out.writeInt(0x00000803);
            out.writeInt(10);
        }), true);
        assertError(gz, "byte 8 of the decompressed data", "3 4-byte dimension sizes",
                "the end of the decompressed data after 1 of them", () -> IdxReader.readHeader(gz));
    }

    @Test
    void rejectsAZeroDimension() throws IOException {
        Path f = idx("bad", U8, dims(5, 0, 3), new byte[0], false);
        assertError(f, "byte 8 (dimension 2 of 3)", "a dimension size >= 1", "found 0", () -> IdxReader.readHeader(f));
    }

    @ParameterizedTest(name = "dimension {0}")
    @ValueSource(ints = {-1, Integer.MIN_VALUE})
    void rejectsANegativeDimensionSayingTheSignBitIsSet(int size) throws IOException {
        Path f = idx("bad", U8, dims(size, 28, 28), new byte[0], false);
        assertError(f, "byte 4 (dimension 1 of 3)", "a dimension size >= 1",
                size + String.format(" (0x%08X: the sign bit is set)", size), () -> IdxReader.readHeader(f));
    }

    @Test
    void rejectsDimensionsWhoseProductOverflowsWithoutAllocating() throws IOException {
        Path f = idx("bad", U8, dims(65536, 65536, 65536, 65536), new byte[0], true);
        assertError(f, "byte 8 of the decompressed data (dimension 2 of 4)", "at most 1073741824 values in all",
                "dimensions 65536 x 65536 x 65536 x 65536 = 18446744073709551616", () -> IdxReader.readHeader(f));
    }

    @Test
    void rejectsAnAbsurdlyLargeButRepresentableSizeWithoutAllocating() throws IOException {
        Path f = idx("bad", U8, dims(2_000_000, 28, 28), new byte[0], true);
        assertError(f, "byte 12 of the decompressed data (dimension 3 of 3)", "at most 1073741824 values in all", "2000000 x 28 x 28 = 1568000000",
                () -> IdxReader.readHeader(f));
        Path labels = idx("lab", U8, dims(1 << 27), new byte[0], true);
        Path narrow = idx("narrow", U8, dims(1 << 27), new byte[0], true);
        assertError(narrow, "the dimensions", "at most 1073741824 floats once loaded",
                "134217728 rows of 16 floats = 2147483648", () -> IdxReader.read(narrow, labels));
    }

    @Test
    void checksAPlainFilesLengthAgainstItsHeaderBeforeAllocating() throws IOException {
        Path f = idx("big", U8, dims(60000, 28, 28), new byte[100], false);
        assertError(f, "byte 116 (the end of the file)", "60000 x 28 x 28 unsigned byte (0x08) values, 47040000 bytes of data"
                + " after the 16-byte header", "only 100 bytes of data", () -> IdxReader.readHeader(f));
    }

    // ---- malformed data ----

    @Test
    void rejectsTruncatedDataInAGzipFileAtItsDecompressedOffset() throws IOException {
        Path f = idx("img.gz", U8, dims(3, 2, 2), u8(1, 2, 3, 4, 5, 6, 7, 8, 9), true);
        Path labels = idx("lab", U8, dims(3), u8(0, 1, 2), false);
        assertError(f, "byte 25 of the decompressed data (in row 2)", "3 x 2 x 2 unsigned byte (0x08) values, 12 bytes of"
                + " data ending at byte 28", "the end of the decompressed data", () -> IdxReader.read(f, labels));
    }

    @Test
    void rejectsTruncatedLabels() throws IOException {
        Path images = idx("img", U8, dims(3, 1), u8(1, 2, 3), false);
        Path labels = idx("lab.gz", I16, dims(3), encode(I16, new float[] {1, 2}), true);
        assertError(labels, "byte 12 of the decompressed data (in row 2)", "3 short (0x0B) values, 6 bytes",
                "the end of the decompressed data", () -> IdxReader.read(images, labels));
    }

    @Test
    void rejectsTrailingDataPlainAndGzipped() throws IOException {
        Path plain = idx("img", U8, dims(2, 2), u8(1, 2, 3, 4, 5, 6), false);
        assertError(plain, "byte 16", "the end of the file after 2 x 2 unsigned byte (0x08) values",
                "2 more bytes: the dimensions do not match the data", () -> IdxReader.readHeader(plain));
        Path gz = idx("img.gz", U8, dims(2, 2), u8(1, 2, 3, 4, 5, 6), true);
        Path labels = idx("lab", U8, dims(2), u8(0, 1), false);
        assertError(gz, "byte 16 of the decompressed data", "the end of the decompressed data after 2 x 2",
                "2 more bytes", () -> IdxReader.read(gz, labels));
    }

    @Test
    void rejectsCorruptAndCutOffGzipStreams() throws IOException {
        Path corruptHeader = write("c1", new byte[] {0x1f, (byte) 0x8b, 0x01, 0x02, 0x03}, false);
        assertError(corruptHeader, "byte 0", "a gzip header", "corrupt or cut-off", () -> IdxReader.readHeader(corruptHeader));
        byte[] whole = gzip(rawIdx(U8, dims(100, 100), new byte[10_000]));
        Path cut = write("c2", Arrays.copyOf(whole, whole.length - 12), false);
        Path labels = idx("lab", U8, dims(100), new byte[100], false);
        assertError(cut, "of the decompressed data", "a complete, valid gzip stream", "corrupt or cut-off compressed data",
                () -> IdxReader.read(cut, labels));
    }

    @Test
    void rejectsNonFiniteFloatValuesNamingTheRow() throws IOException {
        Path images = idx("img", F32, dims(2, 2), encode(F32, new float[] {1, 2, 3, Float.NaN}), false);
        Path labels = idx("lab", U8, dims(2), u8(0, 1), false);
        assertError(images, "byte 24 (row 1, value 1)", "a finite float (0x0D) value", "NaN",
                () -> IdxReader.read(images, labels));
        Path tooBig = idx("big", F64, dims(1, 1), bytes(out -> out.writeDouble(1e300)), false);
        assertError(tooBig, "byte 12 (row 0, value 0)", "within float range", "1.0E300",
                () -> IdxReader.read(tooBig, idx("lab1", U8, dims(1), u8(0), false)));
    }

    // ---- images and labels that do not match ----

    @Test
    void rejectsImagesAndLabelsWithDifferentRowCounts() throws IOException {
        Path images = idx("img", U8, dims(3, 2), new byte[6], false);
        Path labels = idx("lab", U8, dims(4), u8(0, 1, 2, 3), false);
        assertError(labels, "byte 4 (dimension 1)", "3 labels, one per row of " + images, "found 4 labels",
                () -> IdxReader.read(images, labels));
    }

    @Test
    void rejectsALabelOutOfRangeNamingTheRow() throws IOException {
        Path images = idx("img", U8, dims(3, 1), new byte[3], false);
        Path labels = idx("lab", U8, dims(3), u8(0, 1, 10), false);
        assertError(labels, "byte 10 (row 2)", "a label in [0, 10)", "found 10", () -> IdxReader.read(images, labels, 10));
        Path negative = idx("neg.gz", I8, dims(3), encode(I8, new float[] {0, -3, 1}), true);
        assertError(negative, "byte 9 of the decompressed data (row 1)", "a label in [0, 65536)", "found -3",
                () -> IdxReader.read(images, negative));
    }

    @Test
    void rejectsALabelsFileThatIsNot1d() throws IOException {
        Path images = idx("img", U8, dims(2, 2), new byte[4], false);
        Path labels = idx("lab", U8, dims(2, 1), u8(0, 1), false);
        assertError(labels, "byte 3 (the number of dimensions)", "a 1-D labels file",
                "2 dimensions: 2 x 1 unsigned byte (0x08) values", () -> IdxReader.read(images, labels));
    }

    @Test
    void rejectsFloatLabels() throws IOException {
        Path images = idx("img", U8, dims(2, 2), new byte[4], false);
        Path labels = idx("lab", F32, dims(2), encode(F32, new float[] {0, 1}), false);
        assertError(labels, "byte 2 (the type code)", "an integer type for labels", "float (0x0D)",
                () -> IdxReader.read(images, labels));
    }

    // ---- helpers ----

    private interface Reader {
        void run() throws IOException;
    }

    private static void assertError(Path file, String location, String expected, String found, Reader reader) {
        DataFormatException e = assertThrows(DataFormatException.class, reader::run);
        String m = e.getMessage();
        assertEquals(file, e.file(), m);
        assertTrue(m.startsWith(file + ", "), "names the file: " + m);
        assertTrue(e.location().contains(location), "location '" + location + "' in: " + m);
        assertTrue(e.expected().contains(expected), "expected '" + expected + "' in: " + m);
        assertTrue(m.contains("found ") && (e.found().contains(found) || m.contains(found)), "found '" + found + "' in: " + m);
    }

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] bytes(Body body) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            body.write(out);
        }
        return b.toByteArray();
    }

    private static int[] dims(int... d) {
        return d;
    }

    private static byte[] u8(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static byte[] encode(int type, float[] values) throws IOException {
        return bytes(out -> {
            for (float v : values) {
                switch (type) {
                    case U8, I8 -> out.writeByte((int) v);
                    case I16 -> out.writeShort((int) v);
                    case I32 -> out.writeInt((int) v);
                    case F32 -> out.writeFloat(v);
                    default -> out.writeDouble(v);
                }
            }
        });
    }

    private static byte[] rawIdx(int type, int[] dims, byte[] data) throws IOException {
        return bytes(out -> {
            out.writeInt(type << 8 | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        });
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(b)) {
            out.write(raw);
        }
        return b.toByteArray();
    }

    private Path idx(String name, int type, int[] dims, byte[] data, boolean gzip) throws IOException {
        return write(name, rawIdx(type, dims, data), gzip);
    }

    private Path write(String name, byte[] raw, boolean gzip) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, gzip ? gzip(raw) : raw);
        return f;
    }
}
