package dev.vecmlp.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Mlp;

/**
 * The {@code nn.Linear} modules of a PyTorch {@code nn.Sequential}, found in its state dict
 * saved without vecmlp metadata, and read as the layers of an architecture the caller gives.
 *
 * <pre>{@code
 * TensorFile f = Safetensors.read(Path.of("net.safetensors"));   // save_file(net.state_dict(), ...)
 * TorchSequential net = TorchSequential.of(f);                   // Linear modules 0, 3 and 6, say
 * Mlp spec = Mlp.input(net.inputs()).dense(7, Activation.RELU).dense(6, Activation.TANH)
 *         .dense(net.outputs(), Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
 * try (ModelFile.Contents c = net.read(spec, KernelProvider.best())) { ... }
 * }</pre>
 *
 * <p><b>Numbering.</b> A Sequential names a module's parameters by the module's index, and a
 * module without parameters (an activation, {@code Dropout}, {@code Identity}, {@code Flatten})
 * still takes an index: {@code Linear(5, 7), ReLU(), Dropout(), Linear(7, 3)} saves
 * {@code 0.weight}, {@code 0.bias}, {@code 3.weight}, {@code 3.bias}. vecmlp's own files leave
 * one index for each activation and none for anything else ({@link ModelFile#tensorNames}), so
 * {@link ModelFile#read(java.nio.file.Path, Mlp)} takes only that numbering. Here the Linear
 * modules are the layers in the order of their indices, whatever the gaps between them, and
 * {@link #numberedAs} tells the caller whether that was vecmlp's numbering, so that it can
 * show the mapping when it was not. A gap is not read as an activation: the caller's
 * architecture says which activation each layer has. The one thing a gap proves is checked:
 * two adjacent Linear modules have nothing between them, so the first cannot have an activation.
 *
 * <p><b>Refused</b>, each with a {@link ModelFormatException} naming the tensor or the names
 * found and the names expected: a file with vecmlp metadata (read it with {@link ModelFile});
 * a tensor not named {@code INDEX.weight} or {@code INDEX.bias} (a {@code BatchNorm1d}'s
 * {@code running_mean}, or a Sequential held as a module's attribute, whose names start with
 * the attribute's, such as {@code layers.0.weight}); a weight without its bias ({@code bias=False})
 * or the other way round; a weight that is not 2-D, a bias that is not 1-D or not as long as
 * the weight has rows; a Linear whose inputs are not the previous one's outputs; no tensors.
 */
public final class TorchSequential {
    /** {@code INDEX.weight} or {@code INDEX.bias}, the index as PyTorch writes it: digits, no leading zero. */
    private static final Pattern NAME = Pattern.compile("(0|[1-9][0-9]{0,8})\\.(weight|bias)");
    /** The same after a prefix: the state dict of a module that holds the Sequential as an attribute. */
    private static final Pattern PREFIXED = Pattern.compile("(.+)\\.(0|[1-9][0-9]{0,8})\\.(weight|bias)");

    /**
     * One {@code nn.Linear} module: its index in the Sequential and its shape.
     *
     * @param module  the index, which names its tensors {@code module.weight} and {@code module.bias}
     * @param inputs  its {@code in_features}, the weight's columns
     * @param outputs its {@code out_features}, the weight's rows and the bias's length
     */
    public record Linear(int module, int inputs, int outputs) {
        /** The name of its weight, {@code [outputs][inputs]}. */
        public String weight() {
            return module + ".weight";
        }

        /** The name of its bias, {@code [outputs]}. */
        public String bias() {
            return module + ".bias";
        }
    }

    private final TensorFile file;
    private final List<Linear> linears;

    private TorchSequential(TensorFile file, List<Linear> linears) {
        this.file = file;
        this.linears = List.copyOf(linears);
    }

    /**
     * The Linear modules of {@code file}, in the order of their indices.
     *
     * @throws ModelFormatException if the file is not the state dict of a Sequential of Linear
     *                              and parameter-free modules (see the class comment)
     */
    public static TorchSequential of(TensorFile file) throws ModelFormatException {
        Objects.requireNonNull(file, "file");
        if (ModelFile.hasArchitecture(file)) {
            throw file.error("expected a state dict without vecmlp metadata, found " + ModelFile.LAYERS_KEY
                    + " and the like; a vecmlp model file is read by its metadata (ModelFile.read)");
        }
        Map<String, Tensor> tensors = file.tensors();
        if (tensors.isEmpty()) {
            throw file.error("tensors: expected the Linear modules of an nn.Sequential (0.weight, 0.bias, ...), found none");
        }
        TreeMap<Integer, Tensor[]> modules = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Matcher m = NAME.matcher(e.getKey());
            if (!m.matches()) {
                throw file.tensorError(e.getKey(), "expected only tensors named INDEX.weight and INDEX.bias, as an"
                        + " nn.Sequential of Linear and parameter-free modules (activations, Dropout, Identity) saves"
                        + " them, found this one" + hint(e.getKey()) + "; the file has " + names(tensors.keySet()));
            }
            Tensor[] pair = modules.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new Tensor[2]);
            pair[m.group(2).equals("weight") ? 0 : 1] = e.getValue();
        }
        List<Linear> linears = new ArrayList<>();
        for (Map.Entry<Integer, Tensor[]> e : modules.entrySet()) {
            Linear l = linear(file, e.getKey(), e.getValue()[0], e.getValue()[1]);
            if (!linears.isEmpty() && linears.getLast().outputs() != l.inputs()) {
                Linear previous = linears.getLast();
                throw file.tensorError(l.weight(), "shape: expected [" + l.outputs() + ", " + previous.outputs()
                        + "] (inputs: the " + previous.outputs() + " outputs of Linear module " + previous.module()
                        + "), found " + Arrays.toString(tensors.get(l.weight()).shape()));
            }
            linears.add(l);
        }
        return new TorchSequential(file, linears);
    }

    private static Linear linear(TensorFile file, int module, Tensor weight, Tensor bias) throws ModelFormatException {
        if (weight == null) {
            throw file.tensorError(module + ".bias", "expected the weight " + module + ".weight of the Linear module"
                    + " that has this bias, found none; the file has " + names(file.tensors().keySet()));
        }
        long[] w = weight.shape();
        if (w.length != 2 || w[0] < 1 || w[1] < 1 || w[0] > Mlp.MAX_WIDTH || w[1] > Mlp.MAX_WIDTH) {
            throw file.tensorError(module + ".weight", "shape: expected [outputs, inputs] of a Linear module, each 1 to "
                    + Mlp.MAX_WIDTH + ", found " + Arrays.toString(w));
        }
        if (bias == null) {
            throw new ModelFormatException(file.path(), module + ".bias", -1, "expected the bias [" + w[0] + "] of the"
                    + " Linear module " + module + ", found none (an nn.Linear made with bias=False; every vecmlp layer"
                    + " has a bias)");
        }
        if (bias.shape().length != 1 || bias.shape()[0] != w[0]) {
            throw file.tensorError(module + ".bias", "shape: expected [" + w[0] + "] (the rows of " + module
                    + ".weight), found " + Arrays.toString(bias.shape()));
        }
        return new Linear(module, (int) w[1], (int) w[0]);
    }

    /** What a name that is not a Sequential's may be, or "". */
    private static String hint(String name) {
        Matcher m = PREFIXED.matcher(name);
        if (m.matches()) {
            return " (the state dict of a module that holds the Sequential as \"" + m.group(1) + "\"? save the"
                    + " Sequential's own: save_file(net." + m.group(1) + ".state_dict(), path))";
        }
        return "";
    }

    /** The Linear modules, in the order of their indices. */
    public List<Linear> linears() {
        return linears;
    }

    /** The first Linear module's inputs: the network's. */
    public int inputs() {
        return linears.getFirst().inputs();
    }

    /** The last Linear module's outputs: the network's. */
    public int outputs() {
        return linears.getLast().outputs();
    }

    /** The file's tensor names in parameter order: {@code [w0, b0, w1, b1, ...]}. */
    public List<String> tensorNames() {
        List<String> names = new ArrayList<>(2 * linears.size());
        for (Linear l : linears) {
            names.add(l.weight());
            names.add(l.bias());
        }
        return List.copyOf(names);
    }

    /** Whether the modules are numbered as vecmlp numbers {@code spec}'s layers ({@link ModelFile#tensorNames}). */
    public boolean numberedAs(Mlp spec) {
        return tensorNames().equals(ModelFile.tensorNames(spec));
    }

    /**
     * The model of architecture {@code spec} whose layer {@code l} is the {@code l}-th Linear
     * module, onto {@code kernels}, with no input scaling and the file's metadata other than
     * {@code format}.
     *
     * @throws ModelFormatException if {@code spec} has another number of layers than the file
     *                              has Linear modules (naming both sets of tensors), a layer's
     *                              shape differs from its module's, a layer with an activation
     *                              has its module right before the next Linear's, or a value
     *                              is not a finite float
     */
    public ModelFile.Contents read(Mlp spec, Kernels kernels) throws ModelFormatException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(kernels, "kernels");
        if (spec.depth() != linears.size()) {
            throw file.error("architecture: expected " + spec.depth() + " Linear " + (spec.depth() == 1 ? "module" : "modules")
                    + " for " + spec + " (tensors " + String.join(", ", ModelFile.tensorNames(spec)) + " in vecmlp's"
                    + " numbering), found " + linears.size() + " (tensors " + String.join(", ", tensorNames()) + ")");
        }
        for (int l = 0; l + 1 < linears.size(); l++) {
            Activation a = spec.layer(l).activation();
            Linear here = linears.get(l), next = linears.get(l + 1);
            if (a != Activation.LINEAR && next.module() == here.module() + 1) {
                throw file.tensorError(next.weight(), "layer " + l + ": expected a module between Linear modules "
                        + here.module() + " and " + next.module() + " for its activation " + a.name().toLowerCase(Locale.ROOT)
                        + ", found them adjacent (nothing between them, so layer " + l + " is linear)");
            }
        }
        float[] parameters = ModelFile.tensorsOf(file, spec, tensorNames());
        return new ModelFile.Contents(spec.withParameters(parameters, kernels), Scaling.none(spec.inputs()),
                ModelFile.callersMetadata(file));
    }

    /** The names, quoted, for a message. */
    private static String names(Iterable<String> names) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        int n = 0;
        for (String name : names) {
            if (n++ < 12) {
                j.add(Json.describe(name));
            }
        }
        return j + (n > 12 ? " and " + (n - 12) + " more" : "");
    }
}
