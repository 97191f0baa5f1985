package dev.vecmlp.io;

import static dev.vecmlp.io.Bytes.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import tools.jackson.core.TokenStreamFactory;

/**
 * Hand-made malformed headers that jackson-core ({@link SecondOpinion}) and our reader must both
 * refuse, and the one kind of JSON that only ours refuses.
 */
class SecondOpinionTest {
    private static final Path NAME = Path.of("t.safetensors");
    private static final String ENTRY = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    private static final String ONE = "{\"a\":" + ENTRY + "}";

    /** A file of {@code header}, each char one byte (U+00FF is the byte 0xFF), and 8 bytes of data. */
    private static byte[] file(String header) {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        return Bytes.file(h.length, h, f32(1, 2));
    }

    @Test
    void theSecondOpinionIsStrictJson() {
        assertEquals(0, SecondOpinion.STRICT.getFormatReadFeatures(), "every JsonReadFeature, each a leniency, is off");
        // With it off, Jackson would decode through a JDK Reader that replaces malformed UTF-8.
        assertTrue(SecondOpinion.STRICT.isEnabled(TokenStreamFactory.Feature.CANONICALIZE_PROPERTY_NAMES));
    }

    @Test
    void aValidHeaderIsTakenByBoth() throws ModelFormatException {
        for (String h : new String[] {ONE, ONE + "    ", " \t\r\n" + ONE + "\n",
            "{\"__metadata__\":{\"k\":\"\\ud83d\\ude00 \u00c3\u00a9 \\u0000\"},\"a\":" + ENTRY + "}"}) {
            byte[] file = file(h);
            assertNull(SecondOpinion.refusal(SecondOpinion.header(file)), h);
            assertEquals(1, Safetensors.read(NAME, file).tensors().size(), h);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "invalid UTF-8 in a value | {\"__metadata__\":{\"k\":\"\u00ff\"},\"a\":ENTRY} | found malformed byte 0xFF",
        "an overlong form in a name | {\"\u00c0\u00af\":ENTRY} | found malformed byte 0xC0",
        "a UTF-8 surrogate in a name | {\"\u00ed\u00a0\u0080\":ENTRY} | found malformed bytes 0xED 0xA0 0x80",
        "a continuation byte missing | {\"\u00c3(\":ENTRY} | found malformed byte 0xC3 (followed by 0x28)",
        "a lone high surrogate in a name | {\"\\ud800x\":ENTRY} | expected a low surrogate escape after \\ud800, found none",
        "a lone low surrogate in a name | {\"\\udc00\":ENTRY} | expected a high surrogate escape before \\udc00, found none",
        "a trailing comma in the object | {\"a\":ENTRY,} | expected a tensor name or __metadata__ (a string), found '}'",
        "a trailing comma in an array | {\"a\":{\"dtype\":\"F32\",\"shape\":[2,],\"data_offsets\":[0,8]}}"
                + " | shape[1]: expected a non-negative integer, found ']",
        "a leading zero | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,08]}} | no sign, leading zero",
        "a raw control char in a value | {\"__metadata__\":{\"k\":\"a\u0001b\"},\"a\":ENTRY}"
                + " | expected control characters to be escaped, found byte 0x01",
        "a raw tab in a name | {\"a\tb\":ENTRY} | expected control characters to be escaped, found byte 0x09",
        "a second value after the object | {\"a\":ENTRY} {} | expected the end of the header",
        "a NUL after the object | `{\"a\":ENTRY}\u0000` | expected the end of the header (only spaces may pad it),"
                + " found byte 0x00",
        "a byte order mark | \u00ef\u00bb\u00bf{\"a\":ENTRY} | expected the header to be a JSON object",
        "the end inside the object | {\"a\":ENTRY | expected ',' or '}', found the end of the header",
        "only spaces | `    ` | expected the header to be a JSON object, '{', found the end of the header"})
    void bothRefuse(String what, String template, String ours) {
        byte[] file = file(template.replace("ENTRY", ENTRY));
        String jackson = SecondOpinion.refusal(SecondOpinion.header(file));
        assertNotNull(jackson, what + ": Jackson took it");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Safetensors.read(NAME, file), what);
        assertTrue(e.getMessage().contains(ours), what + ": " + e.getMessage() + " (Jackson: " + jackson + ")");
    }

    /**
     * RFC 8259 (section 8.2) lets a string escape a lone surrogate (backslash, u, D800, and no
     * low surrogate escape after it): the JSON is valid, and Jackson takes it in a value (in a
     * name it refuses it, above), but the string is no Unicode text. Ours refuses it anywhere, as
     * serde_json does when it reads a Rust string (Rust's safetensors reads its header so),
     * because such a name or value could not be written back as UTF-8 ({@link Json#quote}
     * refuses unpaired surrogates): a file we read is a file we can write.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\\ud800  | expected a low surrogate escape after \\ud800, found none",
        "a\\ud800b | expected a low surrogate escape after \\ud800, found none",
        "\\udc00  | expected a high surrogate escape before \\udc00, found none"})
    void aLoneSurrogateEscapeInAValueIsJsonButOursRefusesIt(String value, String ours) {
        String h = "{\"__metadata__\":{\"k\":\"" + value + "\"},\"a\":" + ENTRY + "}";
        byte[] file = file(h);
        assertNull(SecondOpinion.refusal(SecondOpinion.header(file)), "Jackson takes " + value);
        Bytes.assertRejected(NAME, null, Bytes.at(h, "\\ud"), () -> Safetensors.read(NAME, file),
                "metadata value of \"k\": " + ours);
    }
}
