package dev.vecmlp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.Scaling;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.train.CheckpointFile;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Trainer;
import dev.vecmlp.train.TrainingState;

/**
 * Seeded mutations of a valid model file, and of a valid training checkpoint: each must load
 * correctly or fail with a {@link ModelFormatException}; never another exception, an error, or a
 * hang. A mutant whose header jackson-core refuses as JSON ({@link SecondOpinion}) must fail.
 * Each test prints how many cases it ran and how they ended. Rerun a failure with
 * {@code -Dvecmlp.fuzz.seed=<seed>}; {@code -Dvecmlp.fuzz.cases=<n>} runs {@code n} cases of the
 * model file ({@code ./build fuzz [n]} does, a million by default) and {@code n / 2} of the
 * checkpoint.
 */
class ModelFileFuzzTest {
    private static final long SEED = Long.getLong("vecmlp.fuzz.seed", 0x5AFE_7E45L);
    private static final int CASES = Integer.getInteger("vecmlp.fuzz.cases", 4000);

    private static final Mlp SPEC = Mlp.input(3).dense(4, Activation.TANH).dense(2, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-3).build();

    private static final Pattern NUMBER = Pattern.compile("[0-9]+(\\.[0-9]+)?(E-?[0-9]+)?");
    private static final Pattern DTYPE = Pattern.compile("\"F32\"");
    private static final Pattern OFFSETS = Pattern.compile("\"data_offsets\":\\[[0-9]+,[0-9]+\\]");
    private static final Pattern VECMLP_VALUE = Pattern.compile("\"vecmlp\\.[a-z0-9.]+\":\"([^\"]*)\"");
    private static final Pattern CHECKPOINT_VALUE = Pattern.compile("\"(?:vecmlp|checkpoint)\\.[a-z0-9._]+\":\"([^\"]*)\"");

    private static final String[] NUMBERS = {"0", "-1", "1.5", "1e3", "01", "-0", "18446744073709551615",
        "9223372036854775807", "9223372036854775808", "4294967296", "2147483648", "1048577", "99999999999999999999999"};
    private static final String[] DTYPES = {"\"F64\"", "\"F16\"", "\"BF16\"", "\"I8\"", "\"U64\"", "\"BOOL\"", "\"F5\"",
        "\"f32\"", "\"\"", "\"F32 \"", "32", "null", "[\"F32\"]"};
    private static final String[] TOKENS = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", " ", "\t", "\n",
        "null", "true", "1", "-", "e", ".", "\"__metadata__\"", "\"x\":{},", "\u00c3\u00a9", "\u0080", "\u00ff", "\u00c0\u00af",
        "\u0000"};
    private static final String[] VALUES = {"", "0", "-1", "1e39", "NaN", "Infinity", "[", "[1,2", "[0,0,0]", "[0.0,0.0]",
        "4:relu,2:linear", "4:gelu,2:linear", "2:linear", "4:tanh,2:linear,", "1048576:relu,2:linear", "none", "divide",
        "standardize", "squared_error", "softmax_cross_entropy", "2", "1", "3", "4", "0x1p3", "1.0E-3", "[1e-50,0,0]"};
    private static final String[] CHECKPOINT_VALUES = {"sgd", "adam", "true", "false", "-1", "01", "-0", "1.0", "0.999",
        "cosine", "cosine:0.0", "step:1:0.5", "constant", "9223372036854775807", "2147483648", "1e-300", "0.5"};

    /** Where a file's metadata values are, and what to put there. */
    private record Dictionary(Pattern metadataValue, String[] values) {
    }

    private static final Dictionary MODEL = new Dictionary(VECMLP_VALUE, VALUES);
    private static final Dictionary CHECKPOINT = new Dictionary(CHECKPOINT_VALUE,
            Stream.concat(Arrays.stream(VALUES), Arrays.stream(CHECKPOINT_VALUES)).toArray(String[]::new));

    /** Reads mutant {@code i}; returns normally only for a correct load. */
    @FunctionalInterface
    private interface Reader {
        void read(Path mutant, int i, boolean unchanged, String where) throws IOException;
    }

    @TempDir
    Path dir;

    @Test
    void everyMutationLoadsCorrectlyOrFailsWithAModelFormatException() throws IOException {
        Path original = dir.resolve("original.safetensors");
        float[] parameters;
        try (Model model = SPEC.init(9L)) {
            parameters = model.parametersToArray();
            // The metadata in a fixed order: Map.of's order changes from one JVM to the next, and
            // with it the file's bytes and so every mutant of a seed.
            ModelFile.write(original, model, Scaling.of(Scaling.Kind.STANDARDIZE, new float[] {1, 2, 3},
                    new float[] {0.5f, 0.25f, 4}), new TreeMap<>(Map.of("acc", "0.9", "note", "\u00e9t\u00e9")));
        }
        fuzz("model file", Files.readAllBytes(original), CASES, MODEL, (p, i, unchanged, where) -> {
            boolean withSpec = i % 2 == 1;
            try (ModelFile.Contents c = withSpec ? ModelFile.read(p, SPEC) : ModelFile.read(p)) {
                float[] loaded = c.model().parametersToArray();
                for (int k = 0; k < loaded.length; k++) {
                    assertTrue(Float.isFinite(loaded[k]), where + ": parameter " + k + " = " + loaded[k]);
                }
                assertEquals(c.model().spec().inputs(), c.scaling().features(), where);
                if (unchanged) {
                    assertArrayEquals(parameters, loaded, where);
                }
            }
        });
    }

    @Test
    void everyMutationOfACheckpointLoadsCorrectlyOrFailsWithAModelFormatException() throws IOException {
        Path original = dir.resolve("original.safetensors");
        TrainingState state;
        try (Dataset d = Dataset.ofClassification("d", new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, 3, new int[] {0, 1, 0}, 2);
             Model model = SPEC.init(9L);
             Trainer t = Trainer.builder(model, Optimizer.adam(0.01)).batch(2).epochs(3).seed(1).earlyStopping(1).threads(1)
                     .build()) {
            t.fit(d, d);
            state = t.state();
        }
        CheckpointFile.write(original, state, Scaling.of(Scaling.Kind.STANDARDIZE, new float[] {1, 2, 3},
                new float[] {0.5f, 0.25f, 4}), Map.of("note", "\u00e9t\u00e9"));
        fuzz("checkpoint", Files.readAllBytes(original), Math.max(1, CASES / 2), CHECKPOINT, (p, i, unchanged, where) -> {
            // Odd cases read it as the model file a checkpoint also is.
            if (i % 2 == 1) {
                try (ModelFile.Contents c = ModelFile.read(p)) {
                    assertEquals(c.model().spec().inputs(), c.scaling().features(), where);
                }
                return;
            }
            CheckpointFile.Contents c = CheckpointFile.read(p);
            TrainingState loaded = c.state();
            assertEquals(loaded.spec().inputs(), c.scaling().features(), where);
            if (unchanged) {
                assertArrayEquals(state.parameters(), loaded.parameters(), where);
                assertEquals(state.steps(), loaded.steps(), where);
            }
        });
    }

    /**
     * Runs {@code cases} seeded mutations of {@code valid} through {@code reader}, and prints
     * how many loaded and how many were rejected.
     */
    private void fuzz(String kind, byte[] valid, int cases, Dictionary dictionary, Reader reader) {
        Path p = dir.resolve("mutant.safetensors");
        // Loaded, rejected, and (among the rejected) refused as JSON by jackson-core too.
        long[] outcomes = new long[3];
        long t0 = System.nanoTime();
        // About a millisecond a case; the guard is loose because the build shares its cores,
        // and it is there to turn a hang into a failure.
        assertTimeoutPreemptively(Duration.ofSeconds(60).plusMillis(10L * cases), () -> {
            for (int i = 0; i < cases; i++) {
                SplittableRandom rng = new SplittableRandom(SEED ^ (i * 0x9E37_79B9_7F4A_7C15L));
                List<String> what = new ArrayList<>();
                byte[] mutant = valid;
                int rounds = 1 + (rng.nextInt(4) == 0 ? 1 + rng.nextInt(2) : 0);
                for (int r = 0; r < rounds; r++) {
                    mutant = mutate(mutant, rng, what, dictionary);
                }
                Files.write(p, mutant);
                String where = kind + ": seed " + SEED + ", case " + i + ", mutations " + what;
                byte[] header = SecondOpinion.header(mutant);
                String jackson = header == null ? null : SecondOpinion.refusal(header);
                boolean loaded = false;
                try {
                    reader.read(p, i, Arrays.equals(mutant, valid), where);
                    loaded = true;
                } catch (ModelFormatException e) {
                    assertTrue(e.getMessage().startsWith(p + ":"), where + ": " + e.getMessage());
                } catch (Throwable t) {
                    fail(where + ": expected a correct load or a ModelFormatException, found " + t, t);
                }
                outcomes[loaded ? 0 : 1]++;
                if (jackson != null) {
                    outcomes[2]++;
                    assertFalse(loaded, where + ": expected a ModelFormatException, as jackson-core refuses the header as"
                            + " JSON (" + jackson + "), found a correct load");
                }
            }
        }, kind + ", seed " + SEED + ": the fuzz cases did not finish in time (a hang?)");
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "fuzz %s: %,d cases (seed %d): %,d loaded correctly, %,d rejected with a"
                        + " ModelFormatException (%,d of them refused as JSON by jackson-core too, which refused"
                        + " none that loaded), none ended otherwise; %.1f s, %,.0f cases/s%n", kind, cases, SEED,
                outcomes[0], outcomes[1], outcomes[2], seconds, cases / seconds);
        assertTrue(outcomes[0] > 0 && outcomes[1] > 0, kind + ", seed " + SEED + ": expected both loads and rejections, found "
                + outcomes[0] + " loads and " + outcomes[1] + " rejections");
        // Else the second opinion checked nothing: no mutant it refuses, or a header it cannot read.
        assertTrue(outcomes[2] > 0, kind + ", seed " + SEED
                + ": expected jackson-core to refuse some headers as JSON, found none");
    }

    /** One seeded mutation of {@code b}, described in {@code what}. */
    private static byte[] mutate(byte[] b, SplittableRandom rng, List<String> what, Dictionary dictionary) {
        int kind = rng.nextInt(11);
        switch (kind) {
            case 0 -> {
                byte[] m = b.clone();
                int flips = 1 + rng.nextInt(8);
                for (int k = 0; k < flips && m.length > 0; k++) {
                    int at = rng.nextInt(m.length);
                    int bit = rng.nextInt(8);
                    m[at] ^= (byte) (1 << bit);
                    what.add("flip bit " + bit + " of byte " + at);
                }
                return m;
            }
            case 1 -> {
                int length = b.length == 0 ? 0 : rng.nextInt(b.length);
                what.add("truncate to " + length);
                return Arrays.copyOf(b, length);
            }
            case 2 -> {
                byte[] extra = new byte[1 + rng.nextInt(64)];
                rng.nextBytes(extra);
                what.add("append " + extra.length + " random bytes");
                byte[] m = Arrays.copyOf(b, b.length + extra.length);
                System.arraycopy(extra, 0, m, b.length, extra.length);
                return m;
            }
            case 3 -> {
                long n = headerLength(b);
                long[] choices = {0, 1, n - 1, n + 1, n + 8, b.length - 8, b.length - 7, 100_000_000, 100_000_001,
                    Long.MAX_VALUE, -1, 1L << 32, rng.nextLong()};
                long v = choices[rng.nextInt(choices.length)];
                what.add("header length " + Long.toUnsignedString(v));
                if (b.length < 8) {
                    return b;
                }
                byte[] m = b.clone();
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
                return m;
            }
            case 4 -> {
                int at = 8 + (int) headerLength(b) + rng.nextInt(Math.max(1, b.length - 8 - (int) headerLength(b)) + 1);
                int bits = switch (rng.nextInt(5)) {
                    case 0 -> 0x7FC0_0000;
                    case 1 -> 0x7F80_0000;
                    case 2 -> 0xFF80_0000;
                    case 3 -> 0x7F7F_FFFF;
                    default -> rng.nextInt();
                };
                what.add("data bits 0x" + Integer.toHexString(bits) + " at " + at);
                if (at + 4 > b.length || at < 8) {
                    return b;
                }
                byte[] m = b.clone();
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(at, bits);
                return m;
            }
            default -> {
                return editHeader(b, kind, rng, what, dictionary);
            }
        }
    }

    /** Edits the header text; usually fixes the length field, so that the edit itself is what is read. */
    private static byte[] editHeader(byte[] b, int kind, SplittableRandom rng, List<String> what, Dictionary dictionary) {
        long n = headerLength(b);
        if (b.length < 8 || n < 0 || n > b.length - 8) {
            what.add("header edit skipped: no header");
            return b;
        }
        String h = new String(b, 8, (int) n, StandardCharsets.ISO_8859_1);
        String edited = switch (kind) {
            case 5 -> replaceOne(h, NUMBER, NUMBERS[rng.nextInt(NUMBERS.length)], rng, what);
            case 6 -> replaceOne(h, DTYPE, DTYPES[rng.nextInt(DTYPES.length)], rng, what);
            case 7 -> {
                int a = rng.nextInt(140), c = rng.nextInt(140);
                yield replaceOne(h, OFFSETS, "\"data_offsets\":[" + a + "," + c + "]", rng, what);
            }
            case 8 -> {
                int depth = new int[] {1, 10, 64, 65, 1000, 100_000}[rng.nextInt(6)];
                String open = rng.nextBoolean() ? "[" : "{\"a\":";
                String nest = open.repeat(depth) + (rng.nextBoolean() ? (open.equals("[") ? "]" : "}").repeat(depth) : "");
                int at = rng.nextInt(h.length() + 1);
                what.add("nest " + depth + " x " + open + " at " + at);
                yield h.substring(0, at) + nest + h.substring(at);
            }
            case 9 -> {
                int at = rng.nextInt(h.length() + 1);
                if (rng.nextBoolean()) {
                    int end = Math.min(h.length(), at + 1 + rng.nextInt(24));
                    what.add("delete [" + at + ", " + end + ")");
                    yield h.substring(0, at) + h.substring(end);
                }
                String token = TOKENS[rng.nextInt(TOKENS.length)];
                what.add("insert " + Json.describe(token) + " at " + at);
                yield h.substring(0, at) + token + h.substring(at);
            }
            default -> {
                if (rng.nextBoolean()) {
                    int from = rng.nextInt(h.length() + 1);
                    int to = Math.min(h.length(), from + rng.nextInt(80));
                    int at = rng.nextInt(h.length() + 1);
                    what.add("copy [" + from + ", " + to + ") to " + at);
                    yield h.substring(0, at) + h.substring(from, to) + h.substring(at);
                }
                yield replaceValue(h, dictionary, rng, what);
            }
        };
        byte[] header = edited.getBytes(StandardCharsets.ISO_8859_1);
        boolean fixLength = rng.nextInt(5) != 0;
        if (!fixLength) {
            what.add("length field kept");
        }
        byte[] data = Arrays.copyOfRange(b, 8 + (int) n, b.length);
        return Bytes.file(fixLength ? header.length : n, header, data);
    }

    private static String replaceOne(String h, Pattern p, String replacement, SplittableRandom rng, List<String> what) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = p.matcher(h);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        if (spans.isEmpty()) {
            what.add("nothing to replace with " + replacement);
            return h;
        }
        int[] s = spans.get(rng.nextInt(spans.size()));
        what.add("replace " + Json.describe(h.substring(s[0], s[1])) + " at " + s[0] + " with " + Json.describe(replacement));
        return h.substring(0, s[0]) + replacement + h.substring(s[1]);
    }

    private static String replaceValue(String h, Dictionary dictionary, SplittableRandom rng, List<String> what) {
        String value = dictionary.values()[rng.nextInt(dictionary.values().length)];
        List<int[]> spans = new ArrayList<>();
        Matcher m = dictionary.metadataValue().matcher(h);
        while (m.find()) {
            spans.add(new int[] {m.start(1), m.end(1)});
        }
        if (spans.isEmpty()) {
            what.add("no metadata value to replace");
            return h;
        }
        int[] s = spans.get(rng.nextInt(spans.size()));
        what.add("metadata value " + Json.describe(h.substring(s[0], s[1])) + " -> " + Json.describe(value));
        return h.substring(0, s[0]) + value + h.substring(s[1]);
    }

    private static long headerLength(byte[] b) {
        return b.length < 8 ? -1 : ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }
}
