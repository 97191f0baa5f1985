package dev.vecmlp.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Predicate;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * A whole model in one safetensors file that PyTorch can load: the parameters named as an
 * {@code nn.Sequential} of {@code nn.Linear} and activation modules names them, and the
 * architecture, the input scaling and the caller's own entries in the metadata.
 *
 * <pre>{@code
 * ModelFile.write(Path.of("mnist.safetensors"), model, scaling, Map.of("test.accuracy", "0.981"));
 * try (ModelFile.Contents saved = ModelFile.read(Path.of("mnist.safetensors"))) {
 *     Model m = saved.model();
 *     saved.scaling().apply(pixels);
 * }
 * }</pre>
 *
 * In Python, for 784-512 relu-512 relu-10 linear:
 *
 * <pre>{@code
 * net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
 * net.load_state_dict(safetensors.torch.load_file("mnist.safetensors"))
 * }</pre>
 *
 * <p><b>Names.</b> Layer {@code l}'s weight {@code [outputs][inputs]} and bias {@code [outputs]}
 * are {@code "k.weight"} and {@code "k.bias"}, where {@code k} is the Linear's index in the
 * Sequential: each layer takes one index, and one more for its activation module unless it is
 * linear (the hard threshold has no torch module but still takes the index, so that the
 * numbering does not depend on how it is rebuilt). So 784-512 relu-512 relu-10 linear is
 * {@code 0.*}, {@code 2.*}, {@code 4.*}; see {@link #tensorNames}. A Sequential numbered
 * otherwise, with a {@code Dropout} or an {@code Identity} between layers, is read by
 * {@link TorchSequential}.
 *
 * <p><b>Metadata</b> (all strings): {@code "format": "pt"} (the tensors are PyTorch's layout; Hugging
 * Face tools look for it), {@code vecmlp.version} ({@value #VERSION}), {@code vecmlp.inputs},
 * {@code vecmlp.layers} ({@code "512:relu,512:relu,10:linear"}), {@code vecmlp.loss}
 * ({@code squared_error} or {@code softmax_cross_entropy}), {@code vecmlp.l2}, and
 * {@code vecmlp.scaling} ({@code none}, {@code divide} or {@code standardize}) with
 * {@code vecmlp.scaling.offset} and {@code vecmlp.scaling.factor} as JSON arrays of one float per
 * input. Floats are written by {@link Float#toString}, which reads back to the same float.
 * Any other key is the caller's and comes back in {@link Contents#metadata()}.
 *
 * <p><b>Reading</b> accepts F32 and F64 tensors (F64 rounded to float32; values beyond its range
 * rejected), and a file without vecmlp metadata, such as one saved by PyTorch, when the caller
 * gives the architecture. Every tensor must be there with its exact shape, no other tensor may
 * be, and every value must be finite; anything else is a {@link ModelFormatException} naming
 * the tensor and, where there is one, the byte offset. The one exception is a training
 * checkpoint ({@code train.CheckpointFile}): its model is stored as here, and its {@code optimizer.*}
 * and {@code best.*} tensors are passed over, so a checkpoint loads as the model it holds.
 */
public final class ModelFile {
    /** The version of this metadata layout. */
    public static final String VERSION = "1";

    private static final String FORMAT = "format";
    private static final String PREFIX = "vecmlp.";
    private static final String KEY_VERSION = PREFIX + "version";
    private static final String KEY_INPUTS = PREFIX + "inputs";
    private static final String KEY_LAYERS = PREFIX + "layers";
    /** The metadata key every vecmlp model file has: its layers. A header with it is a vecmlp model's. */
    public static final String LAYERS_KEY = KEY_LAYERS;
    /**
     * The metadata key that marks a training checkpoint ({@code train.CheckpointFile}): a model
     * file plus the training state, whose model {@link #read} loads as from a model file.
     */
    public static final String CHECKPOINT_VERSION_KEY = "checkpoint.version";
    /** The prefix of a checkpoint's optimizer-state tensors, which {@link #read} passes over. */
    public static final String CHECKPOINT_OPTIMIZER_PREFIX = "optimizer.";
    /** The prefix of a checkpoint's best-epoch parameter tensors, which {@link #read} passes over. */
    public static final String CHECKPOINT_BEST_PREFIX = "best.";
    private static final String KEY_LOSS = PREFIX + "loss";
    private static final String KEY_L2 = PREFIX + "l2";
    private static final String KEY_SCALING = PREFIX + "scaling";
    private static final String KEY_OFFSET = KEY_SCALING + ".offset";
    private static final String KEY_FACTOR = KEY_SCALING + ".factor";
    private static final List<String> KEYS = List.of(KEY_VERSION, KEY_INPUTS, KEY_LAYERS, KEY_LOSS, KEY_L2, KEY_SCALING,
            KEY_OFFSET, KEY_FACTOR);

    /** The width of one layer in {@code vecmlp.layers}: digits, no sign or leading zero. */
    private static final int MAX_WIDTH_DIGITS = Integer.toString(Mlp.MAX_WIDTH).length();

    private ModelFile() {
    }

    /**
     * A model read from a file, with its input scaling and the caller's metadata. The model is
     * the caller's to close; closing the contents closes it.
     *
     * @param model    the restored model, open
     * @param scaling  the input scaling; {@link Scaling#none} when the file has none
     * @param metadata the metadata entries other than {@code format} and {@code vecmlp.*}, in
     *                 file order; unmodifiable
     */
    public record Contents(Model model, Scaling scaling, Map<String, String> metadata) implements AutoCloseable {
        public Contents {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(scaling, "scaling");
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** Closes the model. */
        @Override
        public void close() {
            model.close();
        }
    }

    /**
     * Writes {@code model}, its input {@code scaling} (null for none) and {@code extraMetadata}
     * to {@code file}, atomically replacing any file there.
     *
     * @throws IllegalArgumentException if the scaling is for another input width, or an extra
     *                                  key is {@code format} or starts with {@code vecmlp.}
     * @throws IllegalStateException    if the model is closed
     * @throws IOException              if the directory does not exist or the write fails
     */
    public static void write(Path file, Model model, Scaling scaling, Map<String, String> extraMetadata) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(extraMetadata, "extraMetadata");
        Mlp spec = model.spec();
        Map<String, String> metadata = metadata(spec, scaling);
        checkExtra(extraMetadata, ModelFile::isReserved, FORMAT + " or starting with " + PREFIX);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        putTensors(tensors, "", spec, model.parametersToArray());
        metadata.putAll(extraMetadata);
        Safetensors.write(file, tensors, metadata);
    }

    /**
     * The metadata of a model of {@code spec} with input {@code scaling} (null for none):
     * {@code format} and the {@code vecmlp.*} keys, in the order {@link #write} puts them.
     */
    public static Map<String, String> metadata(Mlp spec, Scaling scaling) {
        Scaling s = scaling == null ? Scaling.none(spec.inputs()) : scaling;
        if (s.features() != spec.inputs()) {
            throw new IllegalArgumentException("scaling: expected one for " + spec.inputs()
                    + " features (the model's inputs), found " + s.features());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(FORMAT, "pt");
        metadata.put(KEY_VERSION, VERSION);
        metadata.put(KEY_INPUTS, Integer.toString(spec.inputs()));
        StringJoiner layers = new StringJoiner(",");
        for (Layer layer : spec.layers()) {
            layers.add(layer.outputs() + ":" + lower(layer.activation()));
        }
        metadata.put(KEY_LAYERS, layers.toString());
        metadata.put(KEY_LOSS, lower(spec.loss()));
        metadata.put(KEY_L2, Float.toString(spec.l2()));
        metadata.put(KEY_SCALING, lower(s.kind()));
        metadata.put(KEY_OFFSET, floatArray(s.offsets()));
        metadata.put(KEY_FACTOR, floatArray(s.factors()));
        return metadata;
    }

    /** Throws unless every entry of {@code extra} has a key and a value, and no key is {@code reserved}. */
    public static void checkExtra(Map<String, String> extra, Predicate<String> reserved, String reservedText) {
        for (Map.Entry<String, String> e : extra.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "metadata key");
            Objects.requireNonNull(e.getValue(), () -> "metadata value of " + Json.describe(key));
            if (reserved.test(key)) {
                throw new IllegalArgumentException("metadata key: expected none named " + reservedText
                        + " (vecmlp's own), found " + Json.describe(key));
            }
        }
    }

    /**
     * Puts {@code values}, in {@link Model#parametersToArray()} order, into {@code tensors} as
     * {@code spec}'s weight and bias tensors, each name preceded by {@code prefix}.
     */
    public static void putTensors(Map<String, Tensor> tensors, String prefix, Mlp spec, float[] values) {
        List<String> names = tensorNames(spec);
        int at = 0;
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            int weights = layer.outputs() * layer.inputs();
            tensors.put(prefix + names.get(2 * l),
                    Tensor.f32(Arrays.copyOfRange(values, at, at + weights), layer.outputs(), layer.inputs()));
            at += weights;
            tensors.put(prefix + names.get(2 * l + 1),
                    Tensor.f32(Arrays.copyOfRange(values, at, at + layer.outputs()), layer.outputs()));
            at += layer.outputs();
        }
    }

    /** Reads a model written by {@link #write}, onto the best kernels of this JVM. */
    public static Contents read(Path file) throws IOException {
        return load(file, null, KernelProvider.best());
    }

    /** Reads a model written by {@link #write}, onto {@code kernels}. */
    public static Contents read(Path file, Kernels kernels) throws IOException {
        return load(file, null, Objects.requireNonNull(kernels, "kernels"));
    }

    /**
     * Reads a model of architecture {@code spec}: from a file with vecmlp metadata, which must
     * describe {@code spec} exactly (l2 included); or from one without, such as
     * {@code safetensors.torch.save_file(net.state_dict(), path)} of an {@code nn.Sequential},
     * whose tensors are mapped by the Sequential naming (see the class comment) and whose
     * scaling is none.
     */
    public static Contents read(Path file, Mlp spec) throws IOException {
        return load(file, Objects.requireNonNull(spec, "spec"), KernelProvider.best());
    }

    /** As {@link #read(Path, Mlp)}, onto {@code kernels}. */
    public static Contents read(Path file, Mlp spec, Kernels kernels) throws IOException {
        return load(file, Objects.requireNonNull(spec, "spec"), Objects.requireNonNull(kernels, "kernels"));
    }

    /**
     * Reads a model with vecmlp metadata from a file already read, onto {@code kernels}: for a
     * caller that looked at the file first, e.g. at {@link #hasArchitecture} to choose between
     * this and {@link TorchSequential}.
     */
    public static Contents read(TensorFile file, Kernels kernels) throws ModelFormatException {
        return load(Objects.requireNonNull(file, "file"), null, Objects.requireNonNull(kernels, "kernels"));
    }

    /**
     * Whether {@code file} describes its architecture in vecmlp metadata (has a {@code vecmlp.*}
     * key); a file saved by PyTorch does not.
     */
    public static boolean hasArchitecture(TensorFile file) {
        return file.metadata().keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
    }

    /**
     * The architecture in {@code file}'s vecmlp metadata.
     *
     * @throws ModelFormatException if the metadata is missing or malformed, naming the key
     */
    public static Mlp architecture(TensorFile file) throws ModelFormatException {
        return specOf(Objects.requireNonNull(file, "file"));
    }

    /**
     * The input scaling in {@code file}'s vecmlp metadata, for {@code inputs} features;
     * {@link Scaling#none} when it has none.
     *
     * @throws ModelFormatException if the scaling keys are incomplete or malformed
     */
    public static Scaling scaling(TensorFile file, int inputs) throws ModelFormatException {
        return scalingOf(Objects.requireNonNull(file, "file"), inputs);
    }

    /**
     * The tensor names of {@code spec}'s parameters as an {@code nn.Sequential} saves them, in
     * parameter order: {@code [w0, b0, w1, b1, ...]}, e.g. {@code ["0.weight", "0.bias",
     * "2.weight", "2.bias"]} for 4-8 relu-2 linear.
     */
    public static List<String> tensorNames(Mlp spec) {
        List<String> names = new ArrayList<>(2 * spec.depth());
        int module = 0;
        for (Layer layer : spec.layers()) {
            names.add(module + ".weight");
            names.add(module + ".bias");
            module += layer.activation() == Activation.LINEAR ? 1 : 2;
        }
        return List.copyOf(names);
    }

    private static Contents load(Path file, Mlp expected, Kernels kernels) throws IOException {
        return load(Safetensors.read(Objects.requireNonNull(file, "file")), expected, kernels);
    }

    private static Contents load(TensorFile f, Mlp expected, Kernels kernels) throws ModelFormatException {
        boolean hasSpec = hasArchitecture(f);
        Mlp spec;
        if (hasSpec) {
            spec = specOf(f);
            if (expected != null && !expected.equals(spec)) {
                throw f.error("architecture: expected " + expected + ", found " + spec + " in the metadata");
            }
        } else if (expected != null) {
            spec = expected;
        } else {
            throw f.error("architecture: expected vecmlp metadata (" + KEY_INPUTS + ", " + KEY_LAYERS
                    + ", ...), found none; for a file saved by PyTorch, give the architecture: ModelFile.read(file, spec),"
                    + " or TorchSequential for a Sequential numbered otherwise");
        }
        Scaling scaling = hasSpec ? scalingOf(f, spec.inputs()) : Scaling.none(spec.inputs());
        float[] parameters = parametersOf(f, spec);
        return new Contents(spec.withParameters(parameters, kernels), scaling, callersMetadata(f));
    }

    /** {@code f}'s metadata other than {@code format} and {@code vecmlp.*}, in file order. */
    static Map<String, String> callersMetadata(TensorFile f) {
        Map<String, String> extra = new LinkedHashMap<>();
        f.metadata().forEach((k, v) -> {
            if (!isReserved(k)) {
                extra.put(k, v);
            }
        });
        return extra;
    }

    static Mlp specOf(TensorFile f) throws ModelFormatException {
        // The version first: a newer file is better told apart by its version than by a new key.
        String version = required(f, KEY_VERSION);
        if (!version.equals(VERSION)) {
            throw f.metadataError(KEY_VERSION, "expected \"" + VERSION + "\", found " + Json.describe(version));
        }
        for (String key : f.metadata().keySet()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw f.metadataError(key, "expected a key of version " + VERSION + " (" + String.join(", ", KEYS)
                        + "), found an unknown one");
            }
        }
        Mlp.Builder b;
        try {
            b = Mlp.input(width(f, KEY_INPUTS, required(f, KEY_INPUTS)));
        } catch (IllegalArgumentException e) {
            throw f.metadataError(KEY_INPUTS, e.getMessage());
        }
        String layers = required(f, KEY_LAYERS);
        int from = 0;
        for (int l = 0; from <= layers.length(); l++) {
            int comma = layers.indexOf(',', from);
            String part = layers.substring(from, comma < 0 ? layers.length() : comma);
            int colon = part.indexOf(':');
            if (colon < 0) {
                throw f.metadataError(KEY_LAYERS, "layer " + l + ": expected width:activation, found " + Json.describe(part));
            }
            int width = width(f, KEY_LAYERS, part.substring(0, colon));
            Activation activation = byLowerName(Activation.values(), part.substring(colon + 1));
            if (activation == null) {
                throw f.metadataError(KEY_LAYERS, "layer " + l + ": expected an activation " + lowerNames(Activation.values())
                        + ", found " + Json.describe(part.substring(colon + 1)));
            }
            try {
                b.dense(width, activation);
            } catch (IllegalArgumentException e) {
                throw f.metadataError(KEY_LAYERS, e.getMessage());
            }
            from = comma < 0 ? layers.length() + 1 : comma + 1;
        }
        String lossName = required(f, KEY_LOSS);
        Loss loss = byLowerName(Loss.values(), lossName);
        if (loss == null) {
            throw f.metadataError(KEY_LOSS, "expected " + lowerNames(Loss.values()) + ", found " + Json.describe(lossName));
        }
        b.loss(loss);
        try {
            b.l2(floatValue(f, KEY_L2, required(f, KEY_L2)));
        } catch (IllegalArgumentException e) {
            throw f.metadataError(KEY_L2, e.getMessage());
        }
        try {
            return b.build();
        } catch (IllegalStateException e) {
            throw f.metadataError(KEY_LAYERS, e.getMessage());
        }
    }

    static Scaling scalingOf(TensorFile f, int inputs) throws ModelFormatException {
        Map<String, String> m = f.metadata();
        String kindName = m.get(KEY_SCALING), offset = m.get(KEY_OFFSET), factor = m.get(KEY_FACTOR);
        if (kindName == null && offset == null && factor == null) {
            return Scaling.none(inputs);
        }
        for (String key : List.of(KEY_SCALING, KEY_OFFSET, KEY_FACTOR)) {
            if (!m.containsKey(key)) {
                throw f.error("metadata: expected " + KEY_SCALING + ", " + KEY_OFFSET + " and " + KEY_FACTOR
                        + " together, found no " + key);
            }
        }
        Scaling.Kind kind = byLowerName(Scaling.Kind.values(), kindName);
        if (kind == null) {
            throw f.metadataError(KEY_SCALING, "expected " + lowerNames(Scaling.Kind.values()) + ", found "
                    + Json.describe(kindName));
        }
        return Scaling.of(kind, floatArray(f, KEY_OFFSET, offset, inputs), floatArray(f, KEY_FACTOR, factor, inputs));
    }

    /**
     * The parameters in {@link Model#setParameters} order, each tensor checked against
     * {@code spec}. A training checkpoint's own tensors ({@code train.CheckpointFile}) are passed over:
     * the model in a checkpoint is stored as in a model file.
     */
    private static float[] parametersOf(TensorFile f, Mlp spec) throws ModelFormatException {
        List<String> names = tensorNames(spec);
        requireTensors(f, spec, "");
        boolean checkpoint = f.metadata().containsKey(CHECKPOINT_VERSION_KEY);
        Set<String> expected = new HashSet<>(names);
        for (String name : f.tensors().keySet()) {
            if (!expected.contains(name) && !(checkpoint && (name.startsWith(CHECKPOINT_OPTIMIZER_PREFIX) || name.startsWith(CHECKPOINT_BEST_PREFIX)))) {
                throw f.tensorError(name, "expected only the tensors " + names + " of " + spec
                        + (checkpoint ? " and a checkpoint's training state" : "") + ", found this one too");
            }
        }
        return tensorsOf(f, spec, "");
    }

    /** Throws unless the file has every tensor of {@code spec}, each name preceded by {@code prefix}. */
    public static void requireTensors(TensorFile f, Mlp spec, String prefix) throws ModelFormatException {
        List<String> names = tensorNames(spec);
        Map<String, Tensor> tensors = f.tensors();
        for (int i = 0; i < names.size(); i++) {
            String name = prefix + names.get(i);
            if (!tensors.containsKey(name)) {
                throw new ModelFormatException(f.path(), name, -1, "expected the tensor of layer " + i / 2 + "'s "
                        + (i % 2 == 0 ? "weights" : "bias") + " " + Arrays.toString(expectedShape(spec, i)) + " for " + spec
                        + ", found none; the file has " + sample(tensors.keySet()));
            }
        }
    }

    /**
     * The values of {@code spec}'s tensors named with {@code prefix}, in {@link Model#setParameters}
     * order, each shape checked; {@link #requireTensors} must have passed.
     */
    public static float[] tensorsOf(TensorFile f, Mlp spec, String prefix) throws ModelFormatException {
        List<String> names = new ArrayList<>();
        for (String name : tensorNames(spec)) {
            names.add(prefix + name);
        }
        return tensorsOf(f, spec, names);
    }

    /**
     * The values of the tensors {@code names} ({@code [w0, b0, w1, b1, ...]}, all in the file)
     * as {@code spec}'s parameters, in {@link Model#setParameters} order, each shape checked.
     */
    static float[] tensorsOf(TensorFile f, Mlp spec, List<String> names) throws ModelFormatException {
        Map<String, Tensor> tensors = f.tensors();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            long[] want = expectedShape(spec, i);
            long[] found = tensors.get(name).shape();
            if (!Arrays.equals(want, found)) {
                throw f.tensorError(name, "shape: expected " + Arrays.toString(want) + " (layer " + i / 2 + "'s "
                        + (i % 2 == 0 ? "weights, outputs x inputs" : "bias") + "), found " + Arrays.toString(found));
            }
        }
        // Every tensor is now in the file at its expected size, so this allocation is backed by data.
        long count = spec.parameterCount();
        if (count > Tensor.MAX_BYTES / Float.BYTES) {
            throw f.error("parameters: expected at most " + Tensor.MAX_BYTES / Float.BYTES
                    + " (one Java array), found " + count);
        }
        float[] out = new float[(int) count];
        int at = 0;
        for (String name : names) {
            float[] v = f.floats(name);
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    private static long[] expectedShape(Mlp spec, int tensor) {
        Layer layer = spec.layer(tensor / 2);
        return tensor % 2 == 0 ? new long[] {layer.outputs(), layer.inputs()} : new long[] {layer.outputs()};
    }

    private static String required(TensorFile f, String key) throws ModelFormatException {
        return f.requiredMetadata(key, "vecmlp version " + VERSION);
    }

    /** A layer width: digits only, range left to {@link Mlp}, which names the limit. */
    private static int width(TensorFile f, String key, String s) throws ModelFormatException {
        boolean digits = !s.isEmpty() && s.length() <= MAX_WIDTH_DIGITS && s.charAt(0) != '0';
        for (int i = 0; i < s.length() && digits; i++) {
            digits = s.charAt(i) >= '0' && s.charAt(i) <= '9';
        }
        if (!digits) {
            throw f.metadataError(key, "expected a width of 1 to " + Mlp.MAX_WIDTH + " in digits, found " + Json.describe(s));
        }
        return Integer.parseInt(s);
    }

    /**
     * A JSON number that is a finite float32, the value {@code s} of metadata entry {@code key}
     * ({@link Float#parseFloat} alone takes "NaN", hex and suffixes).
     */
    public static float floatValue(TensorFile f, String key, String s) throws ModelFormatException {
        if (!Json.isNumber(s)) {
            throw f.metadataError(key, "expected a decimal number, found " + Json.describe(s));
        }
        float v = Float.parseFloat(s);
        if (Float.isInfinite(v)) {
            throw f.metadataError(key, "expected a number within the float32 range, found " + Json.describe(s));
        }
        return v;
    }

    /** A JSON number that is a finite double, the value {@code s} of metadata entry {@code key}. */
    public static double doubleValue(TensorFile f, String key, String s) throws ModelFormatException {
        if (!Json.isNumber(s)) {
            throw f.metadataError(key, "expected a decimal number, found " + Json.describe(s));
        }
        double v = Double.parseDouble(s);
        if (!Double.isFinite(v)) {
            throw f.metadataError(key, "expected a number within the double range, found " + Json.describe(s));
        }
        return v;
    }

    /** A JSON array of exactly {@code n} finite float32 numbers. */
    private static float[] floatArray(TensorFile f, String key, String value, int n) throws ModelFormatException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        Json.Reader r = new Json.Reader(bytes, 0, bytes.length, 0, "the value",
                (position, message) -> f.metadataError(key, "at byte " + position + " of the value: " + message));
        r.expect('[', "a JSON array of " + n + " numbers (one per input), '['");
        float[] out = new float[n];
        int i = 0;
        if (!r.consume(']')) {
            do {
                if (i == n) {
                    throw r.fail("expected " + n + " numbers (one per input), found more");
                }
                out[i] = floatValue(f, key, r.readNumber("element " + i));
                i++;
            } while (r.consume(','));
            r.expect(']', "',' or ']'");
        }
        r.expectEnd();
        if (i != n) {
            throw f.metadataError(key, "expected " + n + " numbers (one per input), found " + i);
        }
        return out;
    }

    private static String floatArray(float[] values) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (float v : values) {
            j.add(Float.toString(v));
        }
        return j.toString();
    }

    /** Whether a metadata key is the model file's own: {@code format} or {@code vecmlp.*}. */
    public static boolean isReserved(String key) {
        return key.equals(FORMAT) || key.startsWith(PREFIX);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static <E extends Enum<E>> E byLowerName(E[] values, String name) {
        for (E e : values) {
            if (lower(e).equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static String lowerNames(Enum<?>[] values) {
        StringJoiner j = new StringJoiner(", ");
        for (Enum<?> e : values) {
            j.add(lower(e));
        }
        return j.toString();
    }

    /** Up to 8 names, for a message. */
    private static String sample(Set<String> names) {
        if (names.isEmpty()) {
            return "no tensors";
        }
        StringJoiner j = new StringJoiner(", ", "[", "]");
        names.stream().limit(8).forEach(n -> j.add(Json.describe(n)));
        return j + (names.size() > 8 ? " and " + (names.size() - 8) + " more" : "");
    }
}
