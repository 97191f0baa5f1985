package dev.vecmlp.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

import dev.vecmlp.memory.Matrix;

/**
 * Reads a CSV file of numbers into a {@link Dataset}: every column but one is a feature, the
 * remaining one is the label (a class) or, in regression mode, the target; or, in no-label mode,
 * every column is a feature (input to predict from).
 *
 * <pre>{@code
 * try (Dataset iris = CsvReader.options().labelColumn("species").classes(3).read(Path.of("iris.csv"))) {
 *     ...
 * }
 * Dataset houses = CsvReader.options().labelLastColumn().regression().separator(';').read(Path.of("houses.csv"));
 * Dataset queries = CsvReader.options().noLabel().read(Path.of("new-houses.csv"));
 * }</pre>
 *
 * <p>The format: UTF-8 text (a byte-order mark is skipped), lines ending in LF or CRLF, cells
 * separated by a comma (or by {@code ;} or a tab, see {@link Options#separator}). A cell may be
 * quoted, with {@code ""} standing for a quote inside it; a quoted cell ends on the line where it
 * starts. Spaces around cells are ignored and blank lines are skipped. Every row has the same
 * number of columns. Feature cells and regression targets are finite decimal numbers
 * ({@code 3}, {@code -0.5}, {@code 1e-3}); NaN and infinities are rejected. Class labels are
 * whole numbers ({@code 2} or {@code 2.0}) in {@code [0, classes)}.
 *
 * <p>The file is read twice and never held in memory: the first pass checks every row and counts
 * them, the second writes the values straight into the data set's off-heap rows. A malformed file
 * is a {@link DataFormatException} naming the file, the line, the column (1-based, with its name
 * when there is a header), what was expected and what was found.
 */
public final class CsvReader {
    /** Largest label accepted when the number of classes is inferred, plus one. */
    private static final int MAX_INFERRED_CLASSES = 1 << 16;
    private static final int LABEL_NONE = -2;
    private static final int LABEL_LAST = -1;

    private CsvReader() {
    }

    /**
     * Default options: comma-separated, header detected, classification with inferred classes,
     * and no label column yet (one must be chosen, or {@link Options#noLabel()} called, before
     * {@link Options#read}).
     */
    public static Options options() {
        return new Options(null, LABEL_NONE, null, ',', false, 0, false);
    }

    /**
     * What to read and how; immutable, each method returns changed options. Choose the label
     * column with {@link #labelColumn(String)}, {@link #labelColumn(int)} or
     * {@link #labelLastColumn()}, or say there is none with {@link #noLabel()}, then
     * {@link #read} a file.
     *
     * <p>The kind of set is decided by the last call among {@link #noLabel()},
     * {@link #regression()}, {@link #classes(int)} and the label-column choices: {@code noLabel()}
     * drops any label column, regression and classes chosen before it, and any of the others
     * after it reads a labelled set again (which then needs a label column).
     */
    public static final class Options {
        private final String labelName;
        private final int labelIndex;
        private final Boolean header;
        private final char separator;
        private final boolean regression;
        private final int classes;
        private final boolean noLabel;

        private Options(String labelName, int labelIndex, Boolean header, char separator, boolean regression,
                int classes, boolean noLabel) {
            this.labelName = labelName;
            this.labelIndex = labelIndex;
            this.header = header;
            this.separator = separator;
            this.regression = regression;
            this.classes = classes;
            this.noLabel = noLabel;
        }

        /** The label is the column of this name in the header (so the file must have one). */
        public Options labelColumn(String name) {
            Objects.requireNonNull(name, "name");
            return new Options(name, LABEL_NONE, header, separator, regression, classes, false);
        }

        /** The label is column {@code index}, counted from 0. */
        public Options labelColumn(int index) {
            if (index < 0) {
                throw new IllegalArgumentException("csv: expected a label column index >= 0, found " + index);
            }
            return new Options(null, index, header, separator, regression, classes, false);
        }

        /** The label is the last column. */
        public Options labelLastColumn() {
            return new Options(null, LABEL_LAST, header, separator, regression, classes, false);
        }

        /**
         * No label column: every column is a feature and {@link #read} returns an
         * {@link Dataset#unlabeled unlabeled} set, input for a predictor. A file of one column is
         * then allowed. The header is detected as with a label (a cell of the first line that is
         * neither empty nor a number makes it a header) unless {@link #header(boolean)} says.
         * Drops any label column, {@link #regression()} and {@link #classes(int)} chosen before;
         * calling one of those afterwards reads a labelled set again.
         */
        public Options noLabel() {
            return new Options(null, LABEL_NONE, header, separator, false, 0, true);
        }

        /**
         * Whether the first non-blank line is a header of column names. Without this call it is
         * one when a feature cell of that line is neither empty nor a number (or NaN/infinity),
         * and always when the label column is chosen by name.
         */
        public Options header(boolean present) {
            return new Options(labelName, labelIndex, present, separator, regression, classes, noLabel);
        }

        /** The cell separator: {@code ','} (the default), {@code ';'} or {@code '\t'}. */
        public Options separator(char c) {
            if (c != ',' && c != ';' && c != '\t') {
                throw new IllegalArgumentException("csv: expected the separator ',', ';' or '\\t', found '" + c + "'");
            }
            return new Options(labelName, labelIndex, header, c, regression, classes, noLabel);
        }

        /**
         * Classification with {@code classes} classes: every label must be in
         * {@code [0, classes)}. Without this call (and without {@link #regression()}) the classes
         * are inferred as {@code max(2, largest label + 1)}, with labels below 65536. Ends
         * {@link #noLabel()} mode.
         */
        public Options classes(int classes) {
            if (classes < 2) {
                throw new IllegalArgumentException("csv: expected at least 2 classes, found " + classes);
            }
            return new Options(labelName, labelIndex, header, separator, false, classes, false);
        }

        /** Regression: the label column is a number, the set's one target column. Ends {@link #noLabel()} mode. */
        public Options regression() {
            return new Options(labelName, labelIndex, header, separator, true, 0, false);
        }

        /**
         * Reads {@code file} into a new data set named after the file: a classification or
         * regression set, or an unlabeled one after {@link #noLabel()}.
         *
         * @throws IllegalStateException if no label column was chosen (and not {@code noLabel()}),
         *                               or one was chosen by name while {@code header(false)} was set
         * @throws DataFormatException   if the file is malformed
         */
        public Dataset read(Path file) throws IOException {
            Objects.requireNonNull(file, "file");
            if (!noLabel && labelName == null && labelIndex == LABEL_NONE) {
                throw new IllegalStateException(file + ": expected a label column, found none chosen: call labelColumn(name),"
                        + " labelColumn(index) or labelLastColumn(), or noLabel() if every column is a feature");
            }
            if (labelName != null && Boolean.FALSE.equals(header)) {
                throw new IllegalStateException(file + ": the label column is chosen by name (\"" + labelName
                        + "\"), which needs a header, but header(false) was set");
            }
            Pass first = new Pass(this, file, null);
            first.run();
            String name = Objects.toString(file.getFileName(), file.toString());
            Dataset d = noLabel ? Dataset.unlabeled(name, first.rows, first.columns)
                    : regression ? Dataset.regression(name, first.rows, first.columns - 1, 1)
                    : Dataset.classification(name, first.rows, first.columns - 1,
                            classes > 0 ? classes : Math.max(2, first.maxLabel + 1));
            try {
                new Pass(this, file, d).run();
            } catch (IOException | RuntimeException e) {
                d.close();
                throw e;
            }
            return d;
        }
    }

    /**
     * One pass over the file. The first pass ({@code out == null}) decides the layout and checks and
     * counts the rows; the second writes them into {@code out}, which is sized from the first.
     */
    private static final class Pass {
        private static final int NO_COLUMN = -1;
        private final Options o;
        private final Path file;
        private final Dataset out;
        private final Matrix x;
        private final Matrix t;
        private final int expectedRows;
        int columns;
        /** Index of the label column, or {@link #NO_COLUMN} in no-label mode. */
        int label;
        String[] names;
        long firstLine;
        int rows;
        int maxLabel = -1;

        Pass(Options o, Path file, Dataset out) {
            this.o = o;
            this.file = file;
            this.out = out;
            this.x = out == null ? null : out.featureMatrix();
            this.t = out == null || !o.regression ? null : out.targetMatrix();
            this.expectedRows = out == null ? -1 : out.size();
        }

        void run() throws IOException {
            try (Lines in = new Lines(file, o.separator)) {
                String[] first = in.next();
                if (first == null) {
                    throw new DataFormatException(file, "line " + (in.line() + 1), "a header or a data row",
                            in.line() == 0 ? "an empty file" : "only blank lines");
                }
                firstLine = in.line();
                columns = first.length;
                label = o.noLabel ? NO_COLUMN : labelIndex(first);
                if (!o.noLabel && columns < 2) {
                    throw new DataFormatException(file, "line " + firstLine,
                            "at least 2 columns: one or more features and the label", "1 column");
                }
                boolean hasHeader = o.labelName != null || (o.header != null ? o.header : looksLikeHeader(first));
                if (hasHeader) {
                    names = first;
                } else {
                    row(first, firstLine);
                }
                for (String[] cells; (cells = in.next()) != null; ) {
                    row(cells, in.line());
                }
                if (rows == 0) {
                    throw new DataFormatException(file, "line " + firstLine + " (the header)",
                            "at least one data row after the header", "no data rows before the end of the file");
                }
                if (out != null && rows != expectedRows) {
                    throw changed(in.line());
                }
            }
        }

        private int labelIndex(String[] first) throws DataFormatException {
            if (o.labelName != null) {
                List<Integer> matches = new ArrayList<>();
                for (int c = 0; c < first.length; c++) {
                    if (first[c].equals(o.labelName)) {
                        matches.add(c + 1);
                    }
                }
                if (matches.size() != 1) {
                    throw new DataFormatException(file, "line " + firstLine + " (the header)",
                            "one column named \"" + o.labelName + "\"", matches.isEmpty() ? "the columns "
                                    + Arrays.stream(first).map(n -> "\"" + n + "\"").collect(Collectors.joining(", "))
                                    : matches.size() + " of them, columns " + matches);
                }
                return matches.getFirst() - 1;
            }
            if (o.labelIndex == LABEL_LAST) {
                return first.length - 1;
            }
            if (o.labelIndex >= first.length) {
                throw new DataFormatException(file, "line " + firstLine,
                        "a label column index (counted from 0) in [0, " + first.length + ")",
                        o.labelIndex + ": the rows have " + first.length + " column(s)");
            }
            return o.labelIndex;
        }

        private boolean looksLikeHeader(String[] first) {
            for (int c = 0; c < first.length; c++) {
                String cell = first[c].strip();
                if (c != label && !cell.isEmpty() && !isDecimal(cell) && !isNonFinite(cell)) {
                    return true;
                }
            }
            return false;
        }

        private void row(String[] cells, long line) throws DataFormatException {
            if (cells.length != columns) {
                throw new DataFormatException(file, "line " + line, columns + " columns, as on line " + firstLine,
                        cells.length + " column(s)");
            }
            if (out != null && rows == expectedRows) {
                throw changed(line);
            }
            for (int c = 0, j = 0; c < columns; c++) {
                if (c != label) {
                    float v = number(cells[c], line, c);
                    if (x != null) {
                        x.set(rows, j, v);
                    }
                    j++;
                }
            }
            if (o.regression) {
                float target = number(cells[label], line, label);
                if (t != null) {
                    t.set(rows, 0, target);
                }
            } else if (!o.noLabel) {
                int y = classLabel(cells[label], line);
                maxLabel = Math.max(maxLabel, y);
                if (out != null) {
                    out.setLabel(rows, y);
                }
            }
            rows++;
            if (rows == Integer.MAX_VALUE) {
                throw new DataFormatException(file, "line " + line, "fewer than " + Integer.MAX_VALUE + " data rows",
                        "more");
            }
        }

        private float number(String raw, long line, int col) throws DataFormatException {
            String cell = raw.strip();
            if (!isDecimal(cell)) {
                throw new DataFormatException(file, where(line, col), isNonFinite(cell) ? "a finite number" : "a number",
                        cell.isEmpty() ? "an empty cell" : quote(raw));
            }
            float v = Float.parseFloat(cell);
            if (Float.isInfinite(v)) {
                throw new DataFormatException(file, where(line, col), "a number within float range (magnitude below "
                        + Float.MAX_VALUE + ")", quote(raw));
            }
            return v;
        }

        private int classLabel(String raw, long line) throws DataFormatException {
            String cell = raw.strip();
            int limit = o.classes > 0 ? o.classes : MAX_INFERRED_CLASSES;
            String expected = "a class label, a whole number in [0, " + limit + ")";
            if (!isDecimal(cell)) {
                throw new DataFormatException(file, where(line, label), expected, cell.isEmpty() ? "an empty cell" : quote(raw));
            }
            double v = Double.parseDouble(cell);
            if (v != Math.rint(v) || v < 0 || v >= limit) {
                throw new DataFormatException(file, where(line, label), expected, quote(raw)
                        + (v != Math.rint(v) ? " (not a whole number)" : v < 0 ? " (negative)" : ""));
            }
            return (int) v;
        }

        private String where(long line, int col) {
            String name = names == null || names[col].isBlank() ? "" : " (\"" + names[col] + "\")";
            return "line " + line + ", column " + (col + 1) + name;
        }

        private DataFormatException changed(long line) {
            return new DataFormatException(file, "line " + line, expectedRows + " data rows, as counted by the first pass",
                    (rows < expectedRows ? rows : "more") + " data rows: the file changed while it was being read");
        }
    }

    /** "'text'", so that spaces and empty strings show. */
    private static String quote(String cell) {
        return "'" + cell + "'";
    }

    /** A finite decimal: {@code [+-] digits [. digits] [(e|E) [+-] digits]}, at least one mantissa digit. */
    private static boolean isDecimal(String s) {
        int i = 0, n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int digits = 0;
        for (; i < n && isDigit(s.charAt(i)); i++) {
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            for (i++; i < n && isDigit(s.charAt(i)); i++) {
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exponent = 0;
            for (; i < n && isDigit(s.charAt(i)); i++) {
                exponent++;
            }
            if (exponent == 0) {
                return false;
            }
        }
        return i == n;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** NaN and the infinities as spreadsheets and numeric libraries write them. */
    private static boolean isNonFinite(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        if (t.startsWith("+") || t.startsWith("-")) {
            t = t.substring(1);
        }
        return t.equals("nan") || t.equals("inf") || t.equals("infinity");
    }

    /**
     * The records of a CSV file, one per non-blank line. Lines are split on bytes and decoded one
     * at a time, so that invalid UTF-8 is reported at its own line rather than somewhere in a
     * read-ahead buffer.
     */
    private static final class Lines implements Closeable {
        private final Path file;
        private final char separator;
        private final InputStream in;
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
        private final List<String> cells = new ArrayList<>();
        private final StringBuilder quoted = new StringBuilder();
        private final byte[] buffer = new byte[1 << 16];
        private int position;
        private int limit;
        private byte[] bytes = new byte[256];
        private long line;

        Lines(Path file, char separator) throws IOException {
            this.file = file;
            this.separator = separator;
            this.in = Files.newInputStream(file);
        }

        /** Number of the line last returned (1-based), or of the last line when at the end. */
        long line() {
            return line;
        }

        /** The cells of the next non-blank line, or null at the end of the file. */
        String[] next() throws IOException {
            for (String s; (s = readLine()) != null; ) {
                if (line == 1 && s.startsWith("\uFEFF")) {
                    s = s.substring(1);
                }
                if (!s.isBlank()) {
                    return split(s);
                }
            }
            return null;
        }

        private String readLine() throws IOException {
            int len = 0;
            boolean newline = false;
            while (!newline) {
                if (position == limit) {
                    limit = Math.max(0, in.read(buffer));
                    position = 0;
                    if (limit == 0) {
                        break;
                    }
                }
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                int n = position - start;
                if (len + n > bytes.length) {
                    bytes = Arrays.copyOf(bytes, Math.max(len + n, bytes.length * 2));
                }
                System.arraycopy(buffer, start, bytes, len, n);
                len += n;
                if (position < limit) {
                    newline = true;
                    position++;
                }
            }
            if (!newline && len == 0) {
                return null;
            }
            line++;
            if (len > 0 && bytes[len - 1] == '\r') {
                len--;
            }
            try {
                return utf8.decode(ByteBuffer.wrap(bytes, 0, len)).toString();
            } catch (CharacterCodingException e) {
                throw new DataFormatException(file, "line " + line, "UTF-8 text", "bytes that are not valid UTF-8", e);
            }
        }

        private String[] split(String s) throws DataFormatException {
            cells.clear();
            int n = s.length();
            int i = 0;
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i < n && s.charAt(i) == '"') {
                    i = quotedCell(s, i);
                } else {
                    int end = s.indexOf(separator, i);
                    end = end < 0 ? n : end;
                    cells.add(s.substring(i, end).strip());
                    i = end;
                }
                if (i >= n) {
                    return cells.toArray(String[]::new);
                }
                i++; // the separator
            }
        }

        /** Adds the quoted cell opening at {@code open}; returns the index of what follows it. */
        private int quotedCell(String s, int open) throws DataFormatException {
            int n = s.length();
            String where = "line " + line + ", column " + (cells.size() + 1);
            quoted.setLength(0);
            int i = open + 1;
            while (true) {
                if (i >= n) {
                    throw new DataFormatException(file, where, "a closing quote for the quote at character " + (open + 1)
                            + " (a quoted cell ends on the line where it starts)", "the end of the line");
                }
                char c = s.charAt(i);
                if (c == '"' && i + 1 < n && s.charAt(i + 1) == '"') {
                    quoted.append('"');
                    i += 2;
                } else if (c == '"') {
                    break;
                } else {
                    quoted.append(c);
                    i++;
                }
            }
            int close = i++;
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            if (i < n && s.charAt(i) != separator) {
                throw new DataFormatException(file, where, (separator == '\t' ? "a tab" : "a '" + separator + "'")
                        + " or the end of the line after the closing quote at character " + (close + 1),
                        quote(String.valueOf(s.charAt(i))));
            }
            cells.add(quoted.toString());
            return i;
        }

        private boolean isSpace(char c) {
            return c == ' ' || (c == '\t' && separator != '\t');
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
