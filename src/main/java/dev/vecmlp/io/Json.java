package dev.vecmlp.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * The little JSON a safetensors header needs, strict: a pull reader over UTF-8 bytes that the
 * header parser drives by the header's schema, and the string quoting of the writer.
 *
 * <p>The reader never builds a generic tree: each value is read as what the schema expects
 * there, so nesting deeper than the schema is rejected at its first bracket, with no recursion
 * and nothing allocated for values the schema has no place for.
 */
final class Json {
    /** RFC 8259 number grammar; java's own parsers also take "NaN", hex floats and trailing 'f'. */
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** Strings quoted in messages are cut here: a hostile name may be megabytes long. */
    private static final int DESCRIBE_LIMIT = 64;

    /** Chars decoded at a time while the reader checks that its bytes are UTF-8. */
    private static final int UTF8_CHUNK = 1024;

    private Json() {
    }

    /** Makes the exception for a problem at an absolute byte position. */
    @FunctionalInterface
    interface Failure {
        ModelFormatException at(long position, String message);
    }

    /** Appends {@code s} as a JSON string; rejects unpaired surrogates, which UTF-8 cannot encode. */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        throw new IllegalArgumentException("string " + describe(s)
                                + ": expected valid UTF-16, found an unpaired surrogate U+"
                                + Integer.toHexString(c).toUpperCase(Locale.ROOT) + " at index " + i);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** {@code s} quoted for a message, control characters escaped, cut to a readable length. */
    static String describe(String s) {
        StringBuilder sb = new StringBuilder().append('"');
        int n = Math.min(s.length(), DESCRIBE_LIMIT);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (n < s.length()) {
            sb.append("…(").append(s.length()).append(" chars)");
        }
        return sb.append('"').toString();
    }

    /** Whether {@code s} is a JSON number. */
    static boolean isNumber(String s) {
        return NUMBER.matcher(s).matches();
    }

    /**
     * Reads JSON tokens from {@code bytes[from, to)}; positions in errors are {@code base} plus the
     * index, so that they are offsets in the file.
     */
    static final class Reader {
        private final byte[] b;
        private final int end;
        private final long base;
        private final String textName;
        private final Failure failure;
        private int pos;

        /**
         * @param textName what the bytes are, for "the end of ..." in messages
         */
        Reader(byte[] bytes, int from, int to, long base, String textName, Failure failure) {
            this.b = bytes;
            this.pos = from;
            this.end = to;
            this.base = base;
            this.textName = textName;
            this.failure = failure;
        }

        /** Absolute position of the next token. */
        long position() {
            skipWhitespace();
            return base + pos;
        }

        ModelFormatException fail(String message) {
            return failure.at(position(), message);
        }

        /**
         * Checks that all the bytes are UTF-8 (no overlong forms, surrogates or code points past
         * U+10FFFF), so that strings can be decoded without a replacement character slipping in.
         * The JDK's decoder judges, reporting rather than replacing; the error names the
         * malformed bytes and the position of the first.
         */
        void requireUtf8() throws ModelFormatException {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            // Positions in the buffer are indices in b: wrap, unlike slice, keeps them.
            ByteBuffer in = ByteBuffer.wrap(b, pos, end - pos);
            // The decoded text is not kept (strings are decoded where they are read), so a small
            // buffer is emptied and refilled.
            CharBuffer out = CharBuffer.allocate(UTF8_CHUNK);
            while (true) {
                CoderResult result = decoder.decode(in, out.clear(), false);
                if (result.isError()) {
                    int at = in.position();
                    int n = result.length();
                    throw failure.at(base + at, textName + ": expected valid UTF-8, found "
                            + (result.isMalformed() ? "malformed" : "unmappable") + (n == 1 ? " byte " : " bytes ")
                            + hexBytes(at, n) + (at + n < end ? " (followed by 0x" + hex(b[at + n] & 0xFF) + ")"
                            : " (at the end of " + textName + ")"));
                }
                if (result.isUnderflow()) {
                    if (in.hasRemaining()) {
                        // Told that more input may follow, the decoder waits for the rest of a sequence.
                        int at = in.position();
                        throw failure.at(base + at, textName + ": expected valid UTF-8, found the incomplete sequence "
                                + hexBytes(at, end - at) + " cut off by the end of " + textName);
                    }
                    return;
                }
                // Overflow: the chunk is full, and more of the input is still to be checked.
            }
        }

        /** {@code n} bytes from {@code at}, as "0xE2 0x82". */
        private String hexBytes(int at, int n) {
            StringJoiner j = new StringJoiner(" ");
            for (int i = at; i < at + n; i++) {
                j.add("0x" + hex(b[i] & 0xFF));
            }
            return j.toString();
        }

        /** Consumes {@code c} if it is the next token. */
        boolean consume(char c) {
            skipWhitespace();
            if (pos < end && b[pos] == c) {
                pos++;
                return true;
            }
            return false;
        }

        /** Consumes {@code c} or fails, saying the reader expected {@code what}. */
        void expect(char c, String what) throws ModelFormatException {
            if (!consume(c)) {
                throw fail("expected " + what + ", found " + found());
            }
        }

        /** Fails unless only whitespace is left. */
        void expectEnd() throws ModelFormatException {
            skipWhitespace();
            if (pos < end) {
                throw fail("expected the end of " + textName + " (only spaces may pad it), found " + found());
            }
        }

        /** Whether the next token starts a string. */
        boolean atString() {
            skipWhitespace();
            return pos < end && b[pos] == '"';
        }

        /** Reads a string; {@code what} says what it is for, in messages. */
        String readString(String what) throws ModelFormatException {
            skipWhitespace();
            if (pos >= end || b[pos] != '"') {
                throw fail("expected " + what + " (a string), found " + found());
            }
            int start = pos++;
            StringBuilder sb = new StringBuilder();
            int run = pos;
            while (true) {
                if (pos >= end) {
                    throw failure.at(base + start, what + ": expected a closing '\"', found the end of " + textName);
                }
                int c = b[pos] & 0xFF;
                if (c == '"') {
                    sb.append(new String(b, run, pos - run, StandardCharsets.UTF_8));
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw failure.at(base + pos, what + ": expected control characters to be escaped, found byte 0x" + hex(c));
                }
                if (c == '\\') {
                    sb.append(new String(b, run, pos - run, StandardCharsets.UTF_8));
                    readEscape(sb, what);
                    run = pos;
                } else {
                    pos++;
                }
            }
        }

        private void readEscape(StringBuilder sb, String what) throws ModelFormatException {
            int at = pos;
            int e = pos + 1 < end ? b[pos + 1] & 0xFF : -1;
            pos += 2;
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    char c = hex4(at, what);
                    if (Character.isHighSurrogate(c)) {
                        if (pos + 1 < end && b[pos] == '\\' && b[pos + 1] == 'u') {
                            int low = pos;
                            pos += 2;
                            char d = hex4(low, what);
                            if (Character.isLowSurrogate(d)) {
                                sb.append(c).append(d);
                                return;
                            }
                        }
                        throw failure.at(base + at, what + ": expected a low surrogate escape after \\u"
                                + Integer.toHexString(c) + ", found none");
                    } else if (Character.isLowSurrogate(c)) {
                        throw failure.at(base + at, what + ": expected a high surrogate escape before \\u"
                                + Integer.toHexString(c) + ", found none");
                    } else {
                        sb.append(c);
                    }
                }
                default -> {
                    String found = e < 0 ? "the end of " + textName
                            : "'\\" + (e >= 0x20 && e < 0x7F ? String.valueOf((char) e) : "0x" + hex(e)) + "'";
                    throw failure.at(base + at, what + ": expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found "
                            + found);
                }
            }
        }

        /** Four hex digits at {@code pos}; {@code at} is where the escape began. */
        private char hex4(int at, String what) throws ModelFormatException {
            if (pos + 4 > end) {
                throw failure.at(base + at, what + ": expected 4 hex digits after \\u, found the end of " + textName);
            }
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int d = Character.digit(b[pos + k], 16);
                if (d < 0) {
                    throw failure.at(base + pos + k, what + ": expected 4 hex digits after \\u, found " + found(pos + k));
                }
                v = v << 4 | d;
            }
            pos += 4;
            return (char) v;
        }

        /**
         * Reads an integer in {@code [0, Long.MAX_VALUE]} written with digits only: sizes and
         * offsets are exact counts, so a sign, a fraction or an exponent ({@code 1.0}, {@code 1e3})
         * is rejected, as Rust's safetensors rejects it for its u64 fields.
         */
        long readCount(String what) throws ModelFormatException {
            long at = position();
            String token = numberToken();
            if (token.isEmpty()) {
                throw failure.at(at, what + ": expected a non-negative integer, found " + found());
            }
            boolean digits = !token.startsWith("0") || token.length() == 1;
            for (int i = 0; i < token.length() && digits; i++) {
                digits = token.charAt(i) >= '0' && token.charAt(i) <= '9';
            }
            if (!digits) {
                throw failure.at(at, what + ": expected a non-negative integer in digits only"
                        + " (no sign, leading zero, fraction or exponent), found " + describe(token));
            }
            if (token.length() > 19 || (token.length() == 19 && token.compareTo(Long.toString(Long.MAX_VALUE)) > 0)) {
                throw failure.at(at, what + ": expected at most " + Long.MAX_VALUE + ", found " + describe(token));
            }
            return Long.parseLong(token);
        }

        /** Reads a JSON number and returns its text. */
        String readNumber(String what) throws ModelFormatException {
            long at = position();
            String token = numberToken();
            if (token.isEmpty()) {
                throw failure.at(at, what + ": expected a number, found " + found());
            }
            if (!isNumber(token)) {
                throw failure.at(at, what + ": expected a JSON number, found " + describe(token));
            }
            return token;
        }

        /** The longest run of characters that can belong to a number, consumed. */
        private String numberToken() {
            skipWhitespace();
            int start = pos;
            while (pos < end && isNumberChar(b[pos])) {
                pos++;
            }
            return new String(b, start, pos - start, StandardCharsets.ISO_8859_1);
        }

        private static boolean isNumberChar(byte c) {
            return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
        }

        private void skipWhitespace() {
            while (pos < end && (b[pos] == ' ' || b[pos] == '\n' || b[pos] == '\r' || b[pos] == '\t')) {
                pos++;
            }
        }

        /** The next token, described for a message. */
        String found() {
            skipWhitespace();
            return found(pos);
        }

        private String found(int at) {
            if (at >= end) {
                return "the end of " + textName;
            }
            int stop = at;
            while (stop < end && stop - at < 24 && b[stop] >= 0x20 && b[stop] < 0x7F) {
                stop++;
            }
            if (stop == at) {
                return "byte 0x" + hex(b[at] & 0xFF);
            }
            String more = stop - at == 24 && stop < end ? "…" : "";
            return "'" + new String(b, at, stop - at, StandardCharsets.ISO_8859_1) + more + "'";
        }

        private static String hex(int v) {
            return String.format("%02X", v);
        }
    }
}
