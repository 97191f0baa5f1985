package dev.vecmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CsvReaderTest {
    @TempDir
    Path dir;
    private int files;

    // ---- good files ----

    @Test
    void readsAHeaderAndALabelChosenByName() throws IOException {
        Path f = csv("a,b,species\n1,2,0\n3.5,-4e-1,2\n");
        try (Dataset d = CsvReader.options().labelColumn("species").read(f)) {
            assertEquals(f.getFileName().toString(), d.name());
            assertEquals(2, d.size());
            assertEquals(2, d.features());
            assertEquals(3, d.classes(), "inferred as largest label + 1");
            assertArrayEquals(new float[] {1, 2, 3.5f, -0.4f}, d.featureMatrix().toArray());
            assertEquals(0, d.label(0));
            assertEquals(2, d.label(1));
        }
    }

    @Test
    void readsAFileWithoutHeaderAndALabelChosenByIndex() throws IOException {
        Path f = csv("1,0.5,0.25\n0,1,2\n");
        try (Dataset d = CsvReader.options().labelColumn(0).read(f)) {
            assertEquals(2, d.size());
            assertArrayEquals(new float[] {0.5f, 0.25f, 1, 2}, d.featureMatrix().toArray());
            assertEquals(1, d.label(0));
            assertEquals(0, d.label(1));
            assertEquals(2, d.classes(), "at least two classes");
        }
    }

    @Test
    void detectsAHeaderFromANonNumericFeatureCell() throws IOException {
        try (Dataset d = CsvReader.options().labelLastColumn().read(csv("x,y,label\n1,2,1\n"))) {
            assertEquals(1, d.size(), "first line taken as a header");
        }
        try (Dataset d = CsvReader.options().labelLastColumn().read(csv(",y,label\n1,2,1\n"))) {
            assertEquals(1, d.size(), "an empty first cell, as pandas writes it, is no evidence either way");
        }
        try (Dataset d = CsvReader.options().labelLastColumn().read(csv("1,2,1\n3,4,0\n"))) {
            assertEquals(2, d.size(), "all numbers: no header");
        }
    }

    @Test
    void takesAnExplicitHeaderEvenWhenItLooksNumeric() throws IOException {
        try (Dataset d = CsvReader.options().labelColumn(2).header(true).read(csv("1,2,3\n4,5,1\n"))) {
            assertEquals(1, d.size());
            assertArrayEquals(new float[] {4, 5}, d.featureMatrix().toArray());
        }
        try (Dataset d = CsvReader.options().labelColumn(1).header(false).read(csv("7,1\n8,0\n"))) {
            assertEquals(2, d.size());
        }
    }

    @Test
    void readsQuotedFieldsWithDoubledQuotes() throws IOException {
        Path f = csv("\"width, \"\"cm\"\"\",\"h\",\"class\"\n\"1.5\" , 2 ,\"1\"\n\"-3\",\"4e1\",0\n");
        try (Dataset d = CsvReader.options().labelColumn("class").read(f)) {
            assertArrayEquals(new float[] {1.5f, 2, -3, 40}, d.featureMatrix().toArray());
            assertEquals(1, d.label(0));
        }
        try (Dataset d = CsvReader.options().labelColumn("width, \"cm\"").regression().read(f)) {
            assertArrayEquals(new float[] {1.5f, -3}, d.targetMatrix().toArray());
        }
    }

    @Test
    void skipsBlankLinesAndAByteOrderMarkAndAcceptsCrlf() throws IOException {
        Path f = csv("\uFEFFa,b\r\n\r\n1,0\r\n   \r\n2,1\r\n\r\n");
        try (Dataset d = CsvReader.options().labelColumn("b").read(f)) {
            assertEquals(2, d.size());
            assertArrayEquals(new float[] {1, 2}, d.featureMatrix().toArray());
            assertEquals(1, d.label(1));
        }
        try (Dataset d = CsvReader.options().labelLastColumn().read(csv("3,1"))) {
            assertEquals(1, d.size(), "no newline at the end");
        }
    }

    @Test
    void acceptsSemicolonAndTabSeparators() throws IOException {
        try (Dataset d = CsvReader.options().separator(';').labelLastColumn().read(csv("1.5;2;1\n3;4;0\n"))) {
            assertArrayEquals(new float[] {1.5f, 2, 3, 4}, d.featureMatrix().toArray());
        }
        try (Dataset d = CsvReader.options().separator('\t').labelColumn("y").read(csv("x\ty\n1\t0\n2\t1\n"))) {
            assertArrayEquals(new float[] {1, 2}, d.featureMatrix().toArray());
        }
        assertThrows(IllegalArgumentException.class, () -> CsvReader.options().separator('|'));
    }

    @Test
    void regressionReadsTheLabelColumnAsOneTarget() throws IOException {
        try (Dataset d = CsvReader.options().labelColumn("price").regression().read(csv("size,price,rooms\n50,1.5e5,2\n80,-2.25,3\n"))) {
            assertFalse(d.isClassification());
            assertEquals(1, d.targetColumns());
            assertArrayEquals(new float[] {50, 2, 80, 3}, d.featureMatrix().toArray());
            assertArrayEquals(new float[] {1.5e5f, -2.25f}, d.targetMatrix().toArray());
        }
    }

    @Test
    void classesGivenOrInferredAndWholeNumberLabelsAccepted() throws IOException {
        Path f = csv("1,2.0\n2,0\n3,1e0\n");
        try (Dataset d = CsvReader.options().labelLastColumn().classes(5).read(f)) {
            assertEquals(5, d.classes());
            assertEquals(2, d.label(0));
            assertEquals(1, d.label(2));
        }
        try (Dataset d = CsvReader.options().labelLastColumn().read(f)) {
            assertEquals(3, d.classes());
        }
        assertThrows(IllegalArgumentException.class, () -> CsvReader.options().classes(1));
        assertThrows(IllegalArgumentException.class, () -> CsvReader.options().labelColumn(-1));
    }

    @Test
    void readsFilesLongerThanOneReadBuffer() throws IOException {
        StringBuilder s = new StringBuilder("f1,f2,f3,label\n");
        int rows = 5000;
        for (int r = 0; r < rows; r++) {
            s.append(r).append(",").append(r * 0.5).append(",\"").append(-r).append("\",").append(r % 4).append("\r\n");
        }
        try (Dataset d = CsvReader.options().labelColumn("label").read(csv(s.toString()))) {
            assertEquals(rows, d.size());
            assertEquals(4, d.classes());
            for (int r = 0; r < rows; r += 997) {
                assertEquals(r, d.feature(r, 0));
                assertEquals(r * 0.5f, d.feature(r, 1));
                assertEquals(-r, d.feature(r, 2));
                assertEquals(r % 4, d.label(r));
            }
        }
    }

    @Test
    void noLabelReadsEveryColumnAsAFeatureBehindADetectedHeader() throws IOException {
        Path f = csv("a,b,c\n1,2,3\n-4.5,5e-1,6\n");
        try (Dataset d = CsvReader.options().noLabel().read(f)) {
            assertFalse(d.isLabeled());
            assertEquals(0, d.classes());
            assertEquals(0, d.targetColumns());
            assertEquals(2, d.size(), "first line taken as a header");
            assertEquals(3, d.features());
            assertArrayEquals(new float[] {1, 2, 3, -4.5f, 0.5f, 6}, d.featureMatrix().toArray());
        }
        Path lastCellText = csv("1,2,x\n3,4,5\n");
        try (Dataset d = CsvReader.options().noLabel().read(lastCellText)) {
            assertEquals(1, d.size(), "the last column is a feature too, so its name makes the line a header");
        }
    }

    @Test
    void noLabelReadsAFileWithoutHeaderAndOfOneColumn() throws IOException {
        try (Dataset d = CsvReader.options().noLabel().read(csv("1,2\n3,4\n"))) {
            assertEquals(2, d.size(), "all numbers: no header");
            assertArrayEquals(new float[] {1, 2, 3, 4}, d.featureMatrix().toArray());
        }
        try (Dataset d = CsvReader.options().noLabel().read(csv("x\n7\n8\n"))) {
            assertEquals(1, d.features(), "one column is enough without a label");
            assertArrayEquals(new float[] {7, 8}, d.featureMatrix().toArray());
        }
        try (Dataset d = CsvReader.options().noLabel().header(true).read(csv("1,2\n3,4\n"))) {
            assertArrayEquals(new float[] {3, 4}, d.featureMatrix().toArray(), "an explicit header, however numeric");
        }
        try (Dataset d = CsvReader.options().separator(';').noLabel().read(csv("1;2\n"))) {
            assertArrayEquals(new float[] {1, 2}, d.featureMatrix().toArray(), "the other options are kept");
        }
    }

    @Test
    void theLastCallAmongNoLabelAndTheLabelledModesWins() throws IOException {
        Path f = csv("1,2,1\n3,4,0\n");
        try (Dataset d = CsvReader.options().labelLastColumn().classes(3).noLabel().read(f)) {
            assertFalse(d.isLabeled());
            assertEquals(3, d.features());
        }
        try (Dataset d = CsvReader.options().noLabel().labelLastColumn().read(f)) {
            assertTrue(d.isClassification());
            assertEquals(2, d.features());
        }
        try (Dataset d = CsvReader.options().noLabel().labelLastColumn().regression().read(f)) {
            assertEquals(1, d.targetColumns());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CsvReader.options().labelLastColumn().noLabel().regression().read(f));
        assertTrue(e.getMessage().contains("expected a label column") && e.getMessage().contains("noLabel()"), e.getMessage());
    }

    // ---- malformed files ----

    @Test
    void rejectsANonNumericCellNamingLineColumnAndName() throws IOException {
        Path f = csv("a,b,y\n1,2,0\n\n3,abc,1\n");
        assertError(f, "line 4, column 2 (\"b\")", "a number", "'abc'", CsvReader.options().labelColumn("y"));
        Path noHeader = csv("1,2,0\n3,4x,1\n");
        assertError(noHeader, "line 2, column 2", "a number", "'4x'", CsvReader.options().labelLastColumn());
        Path empty = csv("1,,0\n");
        assertError(empty, "line 1, column 2", "a number", "an empty cell", CsvReader.options().labelLastColumn());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"NaN", "nan", "Infinity", "-Infinity", "inf", "+INF"})
    void rejectsNaNAndInfinities(String cell) throws IOException {
        Path f = csv("1," + cell + ",0\n");
        assertError(f, "line 1, column 2", "a finite number", "'" + cell + "'", CsvReader.options().labelLastColumn());
    }

    @Test
    void rejectsNumbersBeyondFloatRange() throws IOException {
        Path f = csv("x,t\n1,1e39\n");
        assertError(f, "line 2, column 2 (\"t\")", "a number within float range", "'1e39'",
                CsvReader.options().labelColumn("x").regression());
    }

    @Test
    void rejectsARowWithTheWrongNumberOfColumns() throws IOException {
        Path f = csv("a,b,y\n1,2,0\n3,4,1,5\n");
        assertError(f, "line 3", "3 columns, as on line 1", "4 column(s)", CsvReader.options().labelColumn("y"));
        Path trailing = csv("1,2,0\n3,4,\n");
        assertError(trailing, "line 2, column 3", "a class label", "an empty cell", CsvReader.options().labelLastColumn());
    }

    @Test
    void noLabelStillRejectsANonNumericCellNamingLineAndColumn() throws IOException {
        assertError(csv("a,b\n1,2\n\n3,zz\n"), "line 4, column 2 (\"b\")", "a number", "'zz'", CsvReader.options().noLabel());
        assertError(csv("1,2\n3,4x\n"), "line 2, column 2", "a number", "'4x'", CsvReader.options().noLabel());
        assertError(csv("1,2\n3,\n"), "line 2, column 2", "a number", "an empty cell", CsvReader.options().noLabel());
        assertError(csv("1,NaN\n"), "line 1, column 2", "a finite number", "'NaN'", CsvReader.options().noLabel());
        assertError(csv("a,b\n1,2\n3,4,5\n"), "line 3", "2 columns, as on line 1", "3 column(s)", CsvReader.options().noLabel());
        assertError(csv("a,b\n"), "line 1 (the header)", "at least one data row", "no data rows", CsvReader.options().noLabel());
    }

    @Test
    void rejectsALabelNameNotInTheHeader() throws IOException {
        Path f = csv("a,b,y\n1,2,0\n");
        assertError(f, "line 1 (the header)", "one column named \"label\"", "the columns \"a\", \"b\", \"y\"",
                CsvReader.options().labelColumn("label"));
        Path twice = csv("y,b,y\n1,2,0\n");
        assertError(twice, "line 1 (the header)", "one column named \"y\"", "2 of them, columns [1, 3]",
                CsvReader.options().labelColumn("y"));
    }

    @Test
    void rejectsALabelIndexOutOfRange() throws IOException {
        Path f = csv("\n1,2,0\n");
        assertError(f, "line 2", "a label column index (counted from 0) in [0, 3)", "3: the rows have 3 column(s)",
                CsvReader.options().labelColumn(3));
    }

    @Test
    void rejectsEmptyAndHeaderOnlyFiles() throws IOException {
        assertError(csv(""), "line 1", "a header or a data row", "an empty file", CsvReader.options().labelLastColumn());
        assertError(csv("\n  \r\n"), "line 3", "a header or a data row", "only blank lines", CsvReader.options().labelLastColumn());
        assertError(csv("a,b\n\n"), "line 1 (the header)", "at least one data row", "no data rows",
                CsvReader.options().labelColumn("b"));
    }

    @Test
    void rejectsAFileWithOneColumn() throws IOException {
        assertError(csv("1\n2\n"), "line 1", "at least 2 columns", "1 column", CsvReader.options().labelLastColumn());
    }

    @Test
    void rejectsAnUnterminatedQuote() throws IOException {
        Path f = csv("a,b\n1,0\n\"2,1\n3,0\n");
        assertError(f, "line 3, column 1", "a closing quote for the quote at character 1", "the end of the line",
                CsvReader.options().labelColumn("b"));
    }

    @Test
    void rejectsTextAfterAClosingQuote() throws IOException {
        Path f = csv("1,\"2\"x,0\n");
        assertError(f, "line 1, column 2", "a ',' or the end of the line after the closing quote at character 5", "'x'",
                CsvReader.options().labelLastColumn());
    }

    @Test
    void rejectsBadClassLabelsNamingLineAndColumn() throws IOException {
        CsvReader.Options o = CsvReader.options().labelColumn("y");
        assertError(csv("x,y\n1,0\n2,1.5\n"), "line 3, column 2 (\"y\")", "a class label, a whole number in [0, 65536)",
                "'1.5' (not a whole number)", o);
        assertError(csv("x,y\n1,-1\n"), "line 2, column 2 (\"y\")", "a class label", "'-1' (negative)", o);
        assertError(csv("x,y\n1,cat\n"), "line 2, column 2 (\"y\")", "a class label", "'cat'", o);
        assertError(csv("x,y\n1,NaN\n"), "line 2, column 2 (\"y\")", "a class label", "'NaN'", o);
        assertError(csv("x,y\n1,3\n"), "line 2, column 2 (\"y\")", "a whole number in [0, 3)", "'3'", o.classes(3));
        assertError(csv("x,y\n1,70000\n"), "line 2, column 2 (\"y\")", "in [0, 65536)", "'70000'", o);
    }

    @Test
    void rejectsInvalidUtf8NamingTheLine() throws IOException {
        Path f = dir.resolve("latin1.csv");
        Files.write(f, "x,y\n1,0\ncaf\u00e9,1\n".getBytes(StandardCharsets.ISO_8859_1));
        assertError(f, "line 3", "UTF-8 text", "bytes that are not valid UTF-8", CsvReader.options().labelColumn("y"));
    }

    @Test
    void aMissingOrImpossibleLabelChoiceIsAProgrammingError() throws IOException {
        Path f = csv("a,b\n1,0\n");
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> CsvReader.options().read(f));
        assertTrue(none.getMessage().contains("labelColumn"), none.getMessage());
        IllegalStateException byName = assertThrows(IllegalStateException.class,
                () -> CsvReader.options().labelColumn("b").header(false).read(f));
        assertTrue(byName.getMessage().contains("header(false)"), byName.getMessage());
    }

    // ---- helpers ----

    private static void assertError(Path file, String location, String expected, String found, CsvReader.Options options) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> options.read(file));
        String m = e.getMessage();
        assertEquals(file, e.file(), m);
        assertTrue(m.startsWith(file + ", "), "names the file: " + m);
        assertTrue(e.location().startsWith(location), "location '" + location + "' in: " + m);
        assertTrue(e.expected().contains(expected), "expected '" + expected + "' in: " + m);
        assertTrue(e.found().contains(found), "found '" + found + "' in: " + m);
    }

    private Path csv(String text) throws IOException {
        Path f = dir.resolve("data" + ++files + ".csv");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }
}
