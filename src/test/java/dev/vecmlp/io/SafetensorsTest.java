package dev.vecmlp.io;

import static dev.vecmlp.io.Bytes.assertRejected;
import static dev.vecmlp.io.Bytes.at;
import static dev.vecmlp.io.Bytes.atLast;
import static dev.vecmlp.io.Bytes.f32;
import static dev.vecmlp.io.Bytes.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The safetensors container: round trips, every format check, and the atomic write. */
class SafetensorsTest {
    @TempDir
    Path dir;

    private static final String ONE = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    private Path put(byte[] bytes) throws IOException {
        return Bytes.write(dir, "t.safetensors", bytes);
    }

    private Path put(String header, byte[] data) throws IOException {
        return put(file(header, data));
    }

    // ---------------------------------------------------------------------------------------
    // Round trips

    @Test
    void tensorsOfEveryKindRoundTripInOrderWithMetadata() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.f32(new float[] {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, 7}, 2, 3));
        tensors.put("d", Tensor.f64(new double[] {Math.PI, -1e300}, 2));
        byte[] step = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1234).array();
        tensors.put("step", Tensor.of(DType.I64, new long[0], step));
        tensors.put("empty", Tensor.f32(new float[0], 0, 5));
        tensors.put("a\"b\\c\n\u00e9\ud83d\ude00", Tensor.of(DType.U8, new long[] {3}, new byte[] {1, 2, (byte) 255}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("note", "tab\there, quote \" and \u0001 and \u4e2d");
        metadata.put("", "");
        Path p = dir.resolve("all.safetensors");
        Safetensors.write(p, tensors, metadata);

        TensorFile f = Safetensors.read(p);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(f.tensors().keySet()));
        assertEquals(tensors, f.tensors());
        assertEquals(metadata, f.metadata());
        assertEquals(List.copyOf(metadata.keySet()), List.copyOf(f.metadata().keySet()));
        assertEquals(p, f.path());
        assertEquals(1234, f.tensors().get("step").data().getLong(0));
        assertArrayEquals(new long[] {2, 3}, f.tensors().get("w").shape());
        assertEquals(0, f.tensors().get("empty").elementCount());
    }

    @Test
    void bytesInMemoryReadAsTheFileTheyCameFrom() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.f32(new float[] {1.5f, -0f, Float.MIN_VALUE, 7}, 2, 2));
        tensors.put("d", Tensor.f64(new double[] {Math.PI}, 1));
        Path p = dir.resolve("mem.safetensors");
        Safetensors.write(p, tensors, Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(p);

        Path name = Path.of("hdfs:/models/mem.safetensors");
        TensorFile f = Safetensors.read(name, bytes);
        assertEquals(tensors, f.tensors());
        assertEquals(Map.of("k", "v"), f.metadata());
        assertEquals(name, f.path());

        // The same checks as for a file, with the name in place of the path: a cut copy is refused
        // where the file's own bytes end, not read past its end.
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
        assertRejected(name, null, cut.length, () -> Safetensors.read(name, cut), "file size: expected " + bytes.length,
                "found " + cut.length);
        assertRejected(name, null, 0, () -> Safetensors.read(name, new byte[5]), "found a file of 5 bytes");
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytesAndCompact() throws IOException {
        Path p = dir.resolve("pad.safetensors");
        Safetensors.write(p, Map.of("x", Tensor.f32(new float[] {1, 2, 3}, 3)), Map.of());
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", header.stripTrailing());
        assertEquals(8 + n + 12, bytes.length);
    }

    @Test
    void anEmptyFileOfTensorsIsValid() throws IOException {
        TensorFile f = Safetensors.read(put("{}", new byte[0]));
        assertTrue(f.tensors().isEmpty());
        assertTrue(f.metadata().isEmpty());
    }

    @Test
    void headerEntriesNeedNotBeInDataOrder() throws IOException {
        String h = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"a\":{\"data_offsets\":[0,4],\"shape\":[1],\"dtype\":\"F32\"}}";
        TensorFile f = Safetensors.read(put(h, f32(1, 2)));
        assertEquals(List.of("a", "b"), List.copyOf(f.tensors().keySet()));
        assertEquals(2f, f.tensors().get("b").data().getFloat(0));
    }

    @Test
    void writerRejectsReservedNamesAndUnpairedSurrogates() {
        Path p = dir.resolve("x.safetensors");
        Tensor t = Tensor.f32(new float[] {1}, 1);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("__metadata__", t), Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(p, Map.of("bad\ud800", t), Map.of()));
        assertTrue(e.getMessage().contains("unpaired surrogate U+D800"), e.getMessage());
        assertTrue(Files.notExists(p));
    }

    @Test
    void tensorFactoriesCheckShapeAgainstData() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[0], -1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(DType.I16, new long[] {3}, new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[1], Long.MAX_VALUE, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[1], new long[Tensor.MAX_RANK + 1]));
        long[] shape = {1};
        Tensor t = Tensor.f32(new float[] {1}, shape);
        shape[0] = 7;
        assertArrayEquals(new long[] {1}, t.shape());
    }

    // ---------------------------------------------------------------------------------------
    // The length field

    @Test
    void aFileShorterThanTheLengthFieldIsRejected() throws IOException {
        Path p = put(new byte[5]);
        assertRejected(p, null, 0, () -> Safetensors.read(p), "expected at least 8 bytes", "found a file of 5");
    }

    @Test
    void aHeaderLengthAboveTheCapIsRejectedBeforeAnyAllocation() throws IOException {
        Path p = put(file(100_000_001L, new byte[0], new byte[0]));
        assertRejected(p, null, 0, () -> Safetensors.read(p), "expected at most 100000000 bytes", "found 100000001");
        Path q = put(file(-1L, new byte[0], new byte[0]));
        assertRejected(q, null, 0, () -> Safetensors.read(q), "found 18446744073709551615");
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRejected() throws IOException {
        Path p = put(file(1000, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]));
        assertRejected(p, null, 0, () -> Safetensors.read(p), "header length", "expected at most 2", "found 1000");
    }

    @Test
    void anEmptyHeaderIsRejected() throws IOException {
        Path p = put("", new byte[0]);
        assertRejected(p, null, 8, () -> Safetensors.read(p), "expected the header to be a JSON object",
                "found the end of the header");
    }

    // ---------------------------------------------------------------------------------------
    // UTF-8 and JSON

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "c328     | malformed byte 0xC3 (followed by 0x28)",
        "c0af     | malformed byte 0xC0 (followed by 0xAF)",
        "eda080   | malformed bytes 0xED 0xA0 0x80 (followed by 0x22)",
        "f4908080 | malformed byte 0xF4 (followed by 0x90)",
        "ff       | malformed byte 0xFF (followed by 0x22)",
        "e282     | malformed bytes 0xE2 0x82 (followed by 0x22)"})
    void invalidUtf8IsRejectedAtTheByte(String hex, String found) throws IOException {
        byte[] bad = java.util.HexFormat.of().parseHex(hex);
        byte[] head = "{\"__metadata__\":{\"k\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}}".getBytes(StandardCharsets.US_ASCII);
        byte[] header = ByteBuffer.allocate(head.length + bad.length + tail.length).put(head).put(bad).put(tail).array();
        Path p = put(file(header.length, header, new byte[0]));
        assertRejected(p, null, 8 + head.length, () -> Safetensors.read(p), "the header: expected valid UTF-8, found " + found);
    }

    @Test
    void utf8CutOffByTheEndOfTheHeaderIsRejectedAtItsFirstByte() throws IOException {
        byte[] head = " ".repeat(20).getBytes(StandardCharsets.US_ASCII);
        byte[] header = Arrays.copyOf(head, head.length + 2);
        header[head.length] = (byte) 0xE2;
        header[head.length + 1] = (byte) 0x82;
        Path p = put(file(header.length, header, new byte[0]));
        assertRejected(p, null, 8 + head.length, () -> Safetensors.read(p),
                "the header: expected valid UTF-8, found the incomplete sequence 0xE2 0x82 cut off by the end of the header");
    }

    @Test
    void trailingDataAfterTheObjectIsRejectedButSpacePaddingIsNot() throws IOException {
        String h = ONE + "   ";
        assertEquals(1, Safetensors.read(put(h, f32(1, 2))).tensors().size());
        String bad = ONE + " x";
        Path p = put(bad, f32(1, 2));
        assertRejected(p, null, atLast(bad, "x"), () -> Safetensors.read(p), "expected the end of the header", "found 'x'");
        String nul = ONE + "\0";
        Path q = put(nul, f32(1, 2));
        assertRejected(q, null, 8 + ONE.length(), () -> Safetensors.read(q), "found byte 0x00");
    }

    @Test
    void aDuplicateTensorNameIsRejectedAtTheSecond() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Path p = put(h, f32(1, 2));
        assertRejected(p, "a", atLast(h, "\"a\""), () -> Safetensors.read(p), "expected each tensor name once");
    }

    @Test
    void aDuplicateMetadataKeyIsRejected() throws IOException {
        String h = "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}";
        Path p = put(h, new byte[0]);
        assertRejected(p, null, atLast(h, "\"k\""), () -> Safetensors.read(p), "metadata", "expected each key once", "\"k\"");
    }

    @Test
    void aSecondMetadataObjectIsRejected() throws IOException {
        String h = "{\"__metadata__\":{},\"__metadata__\":{}}";
        Path p = put(h, new byte[0]);
        assertRejected(p, null, atLast(h, "\"__metadata__\""), () -> Safetensors.read(p), "found it again");
    }

    @Test
    void aDuplicateUnknownOrMissingFieldIsRejected() throws IOException {
        String dup = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path p = put(dup, f32(1));
        assertRejected(p, "a", atLast(dup, "\"shape\""), () -> Safetensors.read(p), "expected field \"shape\" once");

        String unknown = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"strides\":[1]}}";
        Path q = put(unknown, f32(1));
        assertRejected(q, "a", at(unknown, "\"strides\""), () -> Safetensors.read(q), "found \"strides\"");

        String missing = "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}";
        Path r = put(missing, f32(1));
        assertRejected(r, "a", at(missing, "{\"dtype\""), () -> Safetensors.read(r), "expected a field \"shape\", found none");
    }

    @Test
    void deepNestingIsRejectedAtItsFirstBracketWithoutRecursion() throws IOException {
        String deep = "[".repeat(100_000);
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + deep + "]}}";
        Path p = put(h, new byte[0]);
        assertRejected(p, "a", at(h, "[[") + 1, () -> Safetensors.read(p), "shape[0]: expected a non-negative integer",
                "found '[[[");

        String m = "{\"__metadata__\":{\"k\":" + "{\"k\":".repeat(100_000) + "}}";
        Path q = put(m, new byte[0]);
        assertRejected(q, null, at(m, "{\"k\":{") + 5, () -> Safetensors.read(q), "metadata \"k\": expected a string value");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5", "1e3", "1.0", "-1", "01", "+1", "1E0", "\"1\"", "null", "true"})
    void sizesMustBeNonNegativeIntegersInDigits(String dim) throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + dim + "],\"data_offsets\":[0,4]}}";
        Path p = put(h, f32(1));
        assertRejected(p, "a", at(h, dim + "]"), () -> Safetensors.read(p), "shape[0]: expected a non-negative integer");
    }

    @Test
    void aNumberBeyondSixtyFourBitsIsRejected() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775808]}}";
        Path p = put(h, f32(1));
        assertRejected(p, "a", at(h, "9223372036854775808"), () -> Safetensors.read(p), "data_offsets[1]",
                "expected at most 9223372036854775807");
    }

    @Test
    void aShapeWhoseProductOverflowsIsRejected() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}";
        Path p = put(h, new byte[8]);
        assertRejected(p, "a", at(h, "[4294967296"), () -> Safetensors.read(p), "shape [4294967296, 4294967296, 4]",
                "expected at most 9223372036854775807 bytes of F64");
        // The element count fits in 63 bits, the byte count does not.
        String h2 = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}";
        Path q = put(h2, new byte[8]);
        assertRejected(q, "a", at(h2, "[2305"), () -> Safetensors.read(q), "bytes of F64");
    }

    @Test
    void aRankAboveTheLimitIsRejected() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + "1,".repeat(64) + "1],\"data_offsets\":[0,4]}}";
        Path p = put(h, f32(1));
        assertRejected(p, "a", at(h, "1]"), () -> Safetensors.read(p), "shape: expected at most 64 values");
    }

    @Test
    void unknownDtypesAreRejectedListingTheKnownOnes() throws IOException {
        for (String dtype : List.of("F5", "f32", "float32", "F4", "")) {
            String h = "{\"a\":{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[0,4]}}";
            Path p = put(h, f32(1));
            assertRejected(p, "a", at(h, "\"" + dtype + "\","), () -> Safetensors.read(p), "dtype: expected one of [BOOL",
                    "F64]", "found \"" + dtype + "\"");
        }
    }

    @Test
    void dataOffsetsMustBeTwoOrderedValuesMatchingTheShape() throws IOException {
        String one = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}";
        Path p = put(one, f32(1));
        assertRejected(p, "a", at(one, "[0]"), () -> Safetensors.read(p), "expected 2 values [begin, end], found 1");

        String three = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}";
        Path q = put(three, f32(1, 2));
        assertRejected(q, "a", at(three, "8]"), () -> Safetensors.read(q), "data_offsets: expected at most 2 values");

        String backwards = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
        Path r = put(backwards, f32(1));
        assertRejected(r, "a", at(backwards, "[4,0]"), () -> Safetensors.read(r), "[4, 0]: expected end >= begin");

        String size = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        Path s = put(size, f32(1));
        assertRejected(s, "a", at(size, "[0,4]"), () -> Safetensors.read(s),
                "expected 8 bytes (2 elements of F32, shape [2]), found 4");
    }

    @Test
    void aHoleBetweenTensorsIsRejectedNamingBoth() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Path p = put(h, f32(1, 2, 3));
        assertRejected(p, "b", at(h, "[8,12]"), () -> Safetensors.read(p), "expected to begin at 4 (where \"a\" ends)",
                "found 8 (a hole of 4 bytes)");
    }

    @Test
    void dataThatDoesNotStartAtZeroIsAHole() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Path p = put(h, f32(1, 2));
        assertRejected(p, "a", at(h, "[4,8]"), () -> Safetensors.read(p), "expected to begin at 0 (the start of the data)");
    }

    @Test
    void overlappingTensorsAreRejected() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        Path p = put(h, f32(1, 2, 3));
        assertRejected(p, "b", at(h, "[4,12]"), () -> Safetensors.read(p), "expected to begin at 8", "(an overlap)");
        String same = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path q = put(same, f32(1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Safetensors.read(q));
        assertTrue(e.getMessage().contains("(an overlap)"), e.getMessage());
    }

    @Test
    void aFileLongerOrShorterThanItsDataIsRejected() throws IOException {
        Path longer = put(ONE, f32(1, 2, 3));
        long dataStart = 8 + ONE.length();
        assertRejected(longer, null, dataStart + 8, () -> Safetensors.read(longer),
                "file size: expected " + (dataStart + 8) + " bytes", "found " + (dataStart + 12));
        Path shorter = put(ONE, f32(1));
        assertRejected(shorter, null, dataStart + 4, () -> Safetensors.read(shorter),
                "file size: expected " + (dataStart + 8) + " bytes", "found " + (dataStart + 4));
    }

    @Test
    void metadataMustBeAnObjectOfStrings() throws IOException {
        String number = "{\"__metadata__\":{\"acc\":0.98}}";
        Path p = put(number, new byte[0]);
        assertRejected(p, null, at(number, "0.98"), () -> Safetensors.read(p), "metadata \"acc\": expected a string value",
                "found '0.98}}'");
        String array = "{\"__metadata__\":[]}";
        Path q = put(array, new byte[0]);
        assertRejected(q, null, at(array, "[]"), () -> Safetensors.read(q), "expected __metadata__ to be an object of strings");
    }

    @Test
    void stringsAreStrict() throws IOException {
        String control = "{\"__metadata__\":{\"k\":\"a\tb\"}}";
        Path p = put(control, new byte[0]);
        assertRejected(p, null, at(control, "\tb"), () -> Safetensors.read(p), "expected control characters to be escaped",
                "found byte 0x09");
        String escape = "{\"__metadata__\":{\"k\":\"a\\qb\"}}";
        Path q = put(escape, new byte[0]);
        assertRejected(q, null, at(escape, "\\q"), () -> Safetensors.read(q), "expected an escape", "found '\\q'");
        String lone = "{\"__metadata__\":{\"k\":\"\\ud800x\"}}";
        Path r = put(lone, new byte[0]);
        assertRejected(r, null, at(lone, "\\ud800"), () -> Safetensors.read(r), "expected a low surrogate escape after \\ud800");
        String hex = "{\"__metadata__\":{\"k\":\"\\u12g4\"}}";
        Path s = put(hex, new byte[0]);
        assertRejected(s, null, at(hex, "g4"), () -> Safetensors.read(s), "expected 4 hex digits", "found 'g4");
        String open = "{\"__metadata__\":{\"k\":\"abc";
        Path t = put(open, new byte[0]);
        assertRejected(t, null, at(open, "\"abc"), () -> Safetensors.read(t), "expected a closing '\"'");
    }

    @Test
    void escapesAndPairedSurrogatesDecode() throws IOException {
        String h = "{\"__metadata__\":{\"k\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\u4e2d\"}}";
        TensorFile f = Safetensors.read(put(h, new byte[0]));
        assertEquals("\"\\/\b\f\n\r\t\u00e9\ud83d\ude00\u4e2d", f.metadata().get("k"));
    }

    @Test
    void floatsRejectNonFiniteAndOutOfRangeValuesNamingTheElement() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,32]}}";
        Path p = put(h, Bytes.f64(1, 2, 3, 1e300));
        TensorFile f = Safetensors.read(p);
        long dataStart = 8 + h.length();
        assertRejected(p, "a", dataStart + 24, () -> f.floats("a"), "element [1][1]", "float32 range", "found 1.0E300");
        String g = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        Path q = put(g, f32(1, Float.NaN, 2));
        TensorFile fq = Safetensors.read(q);
        assertRejected(q, "a", 8 + g.length() + 4, () -> fq.floats("a"), "element [1]", "expected a finite value, found NaN");
        String i = "{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path r = put(i, new byte[4]);
        TensorFile fr = Safetensors.read(r);
        assertRejected(r, "a", at(i, "\"a\""), () -> fr.floats("a"), "dtype: expected F32 or F64, found I32");
        assertThrows(IllegalArgumentException.class, () -> fr.floats("nope"));
    }

    @Test
    void aMissingFileIsAnIoException() {
        assertThrows(NoSuchFileException.class, () -> Safetensors.read(dir.resolve("absent.safetensors")));
    }

    // ---------------------------------------------------------------------------------------
    // Atomic writes

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aFailingWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path p = dir.resolve("m.safetensors");
        Safetensors.write(p, Map.of("old", Tensor.f32(new float[] {1}, 1)), Map.of("v", "old"));
        byte[] before = Files.readAllBytes(p);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.f32(new float[] {1, 2}, 2));
        tensors.put("b", Tensor.f32(new float[] {3}, 1));
        for (int failAt = 0; failAt < 3; failAt++) {
            List<Path> temps = new ArrayList<>();
            int[] calls = {0};
            int stop = failAt;
            IOException e = assertThrows(IOException.class, () -> Safetensors.write(p, tensors, Map.of(), (temp, bytes) -> {
                temps.add(temp);
                assertTrue(Files.size(temp) == bytes, "the hook sees what was written so far");
                if (calls[0]++ == stop) {
                    throw new IOException("disk full (injected)");
                }
            }));
            assertEquals("disk full (injected)", e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(p));
            assertEquals(List.of(p), listing());
            assertTrue(temps.getFirst().getParent().equals(p.toAbsolutePath().getParent()), "temporary file beside the target");
        }
        assertThrows(UncheckedIOException.class, () -> Safetensors.write(p, tensors, Map.of(), (temp, bytes) -> {
            throw new UncheckedIOException(new IOException("unchecked (injected)"));
        }));
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), listing());

        Safetensors.write(p, tensors, Map.of());
        assertEquals(tensors, Safetensors.read(p).tensors());
        assertEquals(List.of(p), listing());
    }

    @Test
    void aMissingDirectoryIsAClearError() {
        Path p = dir.resolve("no/such/dir/m.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Safetensors.write(p, Map.of(), Map.of()));
        assertTrue(e.getMessage().contains(dir.resolve("no/such/dir").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("expected an existing directory to write m.safetensors into"), e.getMessage());
    }

    @Test
    void aDirectoryOrAFileInPlaceOfTheParentIsAClearError() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        IOException e = assertThrows(IOException.class, () -> Safetensors.write(sub, Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("found a directory"), e.getMessage());
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        IOException f = assertThrows(IOException.class, () -> Safetensors.write(plain.resolve("m"), Map.of(), Map.of()));
        assertTrue(f.getMessage().contains("found a file"), f.getMessage());
    }
}
