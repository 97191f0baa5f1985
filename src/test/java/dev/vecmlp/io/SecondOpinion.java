package dev.vecmlp.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonFactoryBuilder;
import tools.jackson.core.json.JsonReadFeature;

/**
 * A second opinion on a safetensors header: jackson-core, configured strictly, says whether the
 * header's bytes are one JSON value. Our reader may be stricter (it reads a schema, and refuses
 * what JSON allows but the file cannot mean), so the check is one-way: whatever Jackson refuses,
 * ours must refuse too.
 */
final class SecondOpinion {
    /**
     * RFC 8259 and nothing more: every leniency off (comments, single quotes, NaN, leading zeros
     * or '+', trailing commas, unescaped control characters, ...), the bytes read as UTF-8 as the
     * format says rather than guessed at, and no limit on sizes, so that a refusal means malformed
     * JSON and not a name past Jackson's 50,000 characters or a hash-flooding guard.
     */
    static final JsonFactory STRICT = strict();

    private static JsonFactory strict() {
        JsonFactoryBuilder b = JsonFactory.builder();
        // Each of them is an ALLOW_ leniency, off by default; off here whatever the default becomes.
        for (JsonReadFeature f : JsonReadFeature.values()) {
            b.disable(f);
        }
        // CANONICALIZE_PROPERTY_NAMES stays on: without it Jackson reads bytes through a JDK
        // Reader, which replaces malformed UTF-8 instead of refusing it. Document length and token
        // count are unlimited by default.
        return b.disable(TokenStreamFactory.Feature.CHARSET_DETECTION)
                .disable(TokenStreamFactory.Feature.FAIL_ON_SYMBOL_HASH_OVERFLOW)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(Integer.MAX_VALUE)
                        .maxNumberLength(Integer.MAX_VALUE)
                        .maxStringLength(Integer.MAX_VALUE)
                        .maxNameLength(Integer.MAX_VALUE)
                        .build())
                .build();
    }

    private SecondOpinion() {
    }

    /**
     * The header of a safetensors file (the bytes after the 8-byte little-endian length, as
     * many as it says), or null when the length field is out of range: no header to judge.
     */
    static byte[] header(byte[] file) {
        if (file.length < Long.BYTES) {
            return null;
        }
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > Safetensors.MAX_HEADER_BYTES || n > file.length - Long.BYTES) {
            return null;
        }
        byte[] header = new byte[(int) n];
        System.arraycopy(file, Long.BYTES, header, 0, header.length);
        return header;
    }

    /**
     * Why Jackson refuses {@code header} as JSON, or null if it takes it: it must hold exactly
     * one value, with nothing after it but whitespace, as our reader pads it (the safetensors
     * writer pads with spaces; both take any JSON whitespace there). Every string is decoded,
     * for Jackson checks a string's UTF-8 only when it decodes it: skipping past it does not.
     */
    static String refusal(byte[] header) {
        try (JsonParser p = STRICT.createParser(ObjectReadContext.empty(), header)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return "no JSON value, only whitespace";
            }
            for (int depth = 0; ; t = p.nextToken()) {
                if (t == null) {
                    return "the end of the header inside the value";
                }
                depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
                if (t == JsonToken.VALUE_STRING) {
                    p.getString();
                }
                if (depth == 0) {
                    break;
                }
            }
            JsonToken after = p.nextToken();
            return after == null ? null : "a second value after the first, " + after + " at byte "
                    + p.currentTokenLocation().getByteOffset() + " of the header";
        } catch (StreamReadException e) {
            return e.getOriginalMessage() + " at byte " + e.getLocation().getByteOffset() + " of the header";
        }
    }
}
