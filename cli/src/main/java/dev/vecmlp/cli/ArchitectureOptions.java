package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.Safetensors;
import dev.vecmlp.io.TensorFile;
import dev.vecmlp.io.TorchSequential;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.NetworkText;
import picocli.CommandLine.Option;

/**
 * The architecture of a model file, as options: what a file saved by PyTorch (the state dict of
 * an {@code nn.Sequential}, tensors only) does not say, so that {@code eval}, {@code predict},
 * {@code features}, {@code gradcheck} and {@code import} take such a file as it is. A file with
 * vecmlp metadata needs none of them; one given anyway must agree with the file.
 *
 * <p>{@code train} has options of the same names with defaults of its own: there they define a
 * new network, here they describe a file, so none has a default that would contradict a file's
 * metadata: an option left out takes the file's value, or for a PyTorch file the default its
 * description gives. Widths come from the file's tensors, so {@code --layers} only has to agree
 * with them.
 */
final class ArchitectureOptions {
    @Option(names = "--layers", paramLabel = "LIST",
            description = "Hidden layers as WIDTH:ACTIVATION,... (linear relu softplus threshold logistic tanh; none for no"
                    + " hidden layer). Needed for a model file without vecmlp metadata, such as one saved by PyTorch; a file"
                    + " with metadata needs none of these options, and one given must agree with it.")
    String layers;

    @Option(names = "--output-activation", paramLabel = "ACT", description = "Activation of the output layer (default: the file's, or linear).")
    String outputActivation;

    @Option(names = "--loss", paramLabel = "LOSS",
            description = "softmax (cross-entropy) or squared (error) (default: the file's, or softmax; squared for one output).")
    String loss;

    @Option(names = "--l2", paramLabel = "LAMBDA", description = "The L2 penalty lambda/2 * |W|^2 on the weights, part of the loss (default: the file's, or 0).")
    Double l2;

    /** A model file read with these options; for a PyTorch file, also how its modules were taken. */
    record Loaded(ModelFile.Contents contents, TorchSequential sequential) implements AutoCloseable {
        /** Whether the file is a PyTorch state dict whose modules are not numbered as vecmlp numbers the layers. */
        boolean renumbered() {
            return sequential != null && !sequential.numberedAs(contents.model().spec());
        }

        @Override
        public void close() {
            contents.close();
        }
    }

    /** Whether any of these options was given. */
    boolean given() {
        return layers != null || outputActivation != null || loss != null || l2 != null;
    }

    /** The options given, as typed, for a message: {@code --layers 16:relu --loss squared}. */
    String givenText() {
        StringJoiner j = new StringJoiner(" ");
        if (layers != null) {
            j.add("--layers " + layers);
        }
        if (outputActivation != null) {
            j.add("--output-activation " + outputActivation);
        }
        if (loss != null) {
            j.add("--loss " + loss);
        }
        if (l2 != null) {
            j.add("--l2 " + l2);
        }
        return j.toString();
    }

    /**
     * A new network of {@code inputs} and {@code outputs} as these options describe it, with
     * {@code defaultLayers} when {@code --layers} is not given.
     */
    Mlp network(int inputs, String defaultLayers, int outputs) {
        return network(inputs, NetworkText.hiddenLayers(layers != null ? layers : defaultLayers), outputs, null);
    }

    /**
     * The network the options describe, of the widths given; an option left out takes its value
     * from {@code saved}, or without one its default.
     */
    private Mlp network(int inputs, NetworkText.LayerText[] hidden, int outputs, Mlp saved) {
        Mlp.Builder b = Mlp.input(inputs);
        for (NetworkText.LayerText l : hidden) {
            b.dense(l.width(), l.activation());
        }
        Activation outAct = outputActivation != null ? NetworkText.activation(outputActivation)
                : saved != null ? saved.layer(saved.depth() - 1).activation() : Activation.LINEAR;
        Loss lossFn = loss != null ? NetworkText.loss(loss) : saved != null ? saved.loss() : defaultLoss(outputs);
        return b.dense(outputs, outAct).loss(lossFn).l2(l2 != null ? l2 : saved != null ? saved.l2() : 0).build();
    }

    private static Loss defaultLoss(int outputs) {
        return outputs >= 2 ? Loss.SOFTMAX_CROSS_ENTROPY : Loss.SQUARED_ERROR;
    }

    /**
     * Reads {@code file}, printing to {@code notes} how a PyTorch file's modules were mapped
     * when their numbering is not vecmlp's.
     *
     * @param scaling the command's {@code --scaling}, or null when it has none
     */
    ModelFile.Contents read(Path file, Kernels kernels, ScalingOption scaling, PrintWriter notes) throws IOException {
        Loaded loaded = load(file, kernels, scaling, true);
        if (loaded.renumbered()) {
            notes.println("note: " + file + ": " + renumbering(loaded));
            notes.flush();
        }
        return loaded.contents();
    }

    /**
     * Reads {@code file}: by its vecmlp metadata, which the options given must agree with; or,
     * without metadata, as a PyTorch {@code nn.Sequential}'s state dict of the architecture the
     * options describe.
     *
     * @param option the command's {@code --scaling}, or null when it has none
     * @throws IllegalArgumentException if the options disagree with the file's metadata, or the
     *                                  file has none and no {@code --layers} is given (the
     *                                  message says which options to give)
     * @throws IOException              if the file cannot be read, is malformed, or its tensors
     *                                  do not fit the architecture
     */
    Loaded load(Path file, Kernels kernels, ScalingOption option) throws IOException {
        return load(file, kernels, option, false);
    }

    /** As {@link #load(Path, Kernels, ScalingOption)}; with {@code importHint} a missing option's message suggests import. */
    private Loaded load(Path file, Kernels kernels, ScalingOption option, boolean importHint) throws IOException {
        // Options first: a typo costs no reading.
        NetworkText.LayerText[] hidden = layers != null ? NetworkText.hiddenLayers(layers) : null;
        String scaling = option != null ? option.scaling : null;
        Scaling.Kind kind = scaling != null ? Scaling.Kind.parse(scaling) : null;
        return PathArgument.readFile("--model", file, PathArgument.MODEL,
                f -> load(Safetensors.read(f), f, kernels, hidden, option, scaling, kind, importHint));
    }

    private Loaded load(TensorFile f, Path file, Kernels kernels, NetworkText.LayerText[] hidden, ScalingOption option,
            String scaling, Scaling.Kind kind, boolean importHint) throws IOException {
        if (ModelFile.hasArchitecture(f)) {
            Mlp saved = ModelFile.architecture(f);
            if (given()) {
                Mlp asked = describe(file, saved.inputs(), hidden != null ? hidden : hiddenOf(saved), saved.outputs(), saved);
                if (!asked.equals(saved)) {
                    throw new IllegalArgumentException(file + ": architecture: expected " + asked + " (" + givenText()
                            + "), found " + saved + " in the file's vecmlp metadata; leave the options out to use the file's");
                }
            }
            Scaling.Kind savedKind = ModelFile.scaling(f, saved.inputs()).kind();
            if (kind != null && kind != savedKind) {
                throw new IllegalArgumentException(file + ": scaling: expected " + lower(kind) + " (--scaling " + scaling
                        + "), found " + lower(savedKind) + " in the file's vecmlp metadata; leave --scaling out to use the file's");
            }
            return new Loaded(ModelFile.read(f, kernels), null);
        }
        TorchSequential net = TorchSequential.of(f);
        if (hidden == null) {
            throw new IllegalArgumentException(missingOptions(file, net, option != null, importHint));
        }
        if (kind == Scaling.Kind.STANDARDIZE) {
            throw new IllegalArgumentException("--scaling: expected none or divide for " + file + ", which has no vecmlp"
                    + " metadata, found standardize: its column means and deviations come from the training data, which"
                    + " the file does not hold; standardize the data as in training and leave --scaling out");
        }
        Mlp spec = describe(file, net.inputs(), hidden, net.outputs(), null);
        ModelFile.Contents read = net.read(spec, kernels);
        Scaling s = Scaling.ofKind(kind != null ? kind : Scaling.Kind.NONE, spec.inputs());
        return new Loaded(new ModelFile.Contents(read.model(), s, read.metadata()), net);
    }

    /** The network the options describe; one that cannot be built is the options' fault, named with the file. */
    private Mlp describe(Path file, int inputs, NetworkText.LayerText[] hidden, int outputs, Mlp saved) {
        try {
            return network(inputs, hidden, outputs, saved);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(file + ": architecture (" + givenText() + "): " + e.getMessage(), e);
        }
    }

    private static NetworkText.LayerText[] hiddenOf(Mlp spec) {
        NetworkText.LayerText[] hidden = new NetworkText.LayerText[spec.depth() - 1];
        for (int l = 0; l < hidden.length; l++) {
            hidden[l] = new NetworkText.LayerText(spec.layer(l).outputs(), spec.layer(l).activation());
        }
        return hidden;
    }

    /**
     * What to give for a file without metadata, in the command line's terms, with the hidden
     * widths its tensors show: {@code FILE: architecture: expected ..., found neither; ...}.
     */
    private static String missingOptions(Path file, TorchSequential net, boolean hasScaling, boolean importHint) {
        List<TorchSequential.Linear> linears = net.linears();
        StringJoiner modules = new StringJoiner(", ");
        for (TorchSequential.Linear l : linears) {
            modules.add(l.module() + " (" + l.inputs() + " -> " + l.outputs() + ")");
        }
        StringJoiner widths = new StringJoiner(",");
        for (int i = 0; i + 1 < linears.size(); i++) {
            widths.add(linears.get(i).outputs() + ":ACT");
        }
        String example = linears.size() == 1 ? "none" : widths.toString();
        return file + ": architecture: expected vecmlp metadata or --layers, found neither (a file saved by PyTorch holds"
                + " tensors only); its Linear modules are " + modules + ", so give --layers " + example
                + (linears.size() == 1 ? "" : " with each ACT one of linear, relu, softplus, threshold, logistic, tanh")
                + ", and --output-activation, --loss" + (hasScaling ? ", --scaling" : "") + " where the defaults (linear, "
                + NetworkText.name(defaultLoss(net.outputs())) + (hasScaling ? ", none" : "") + ") do not fit"
                + (importHint ? "; or write them into a copy once with: vecmlp import -m " + file + " --layers " + example
                + " -o COPY" : "");
    }

    /** One line: which modules became which layers, and why that is not vecmlp's numbering. */
    static String renumbering(Loaded loaded) {
        Mlp spec = loaded.contents().model().spec();
        StringJoiner found = new StringJoiner(", "), layers = new StringJoiner(", "), ours = new StringJoiner(", ");
        List<String> names = ModelFile.tensorNames(spec);
        for (int l = 0; l < spec.depth(); l++) {
            found.add(Integer.toString(loaded.sequential().linears().get(l).module()));
            layers.add(Integer.toString(l));
            ours.add(names.get(2 * l).substring(0, names.get(2 * l).indexOf('.')));
        }
        return "Linear modules " + found + " read in order as layers " + layers + " (vecmlp numbers them " + ours
                + "; the modules between hold no parameters: activations, Dropout, Identity)";
    }

    /** Per layer: the file's tensors, the layer's shape and activation, and vecmlp's names for them. */
    static List<String> mapping(Loaded loaded) {
        Mlp spec = loaded.contents().model().spec();
        List<String> names = ModelFile.tensorNames(spec);
        List<String> lines = new ArrayList<>();
        for (int l = 0; l < spec.depth(); l++) {
            TorchSequential.Linear linear = loaded.sequential().linears().get(l);
            Layer layer = spec.layer(l);
            lines.add(String.format(Locale.ROOT, "layer %d: %s, %s (%d -> %d, %s) as %s, %s", l, linear.weight(), linear.bias(),
                    layer.inputs(), layer.outputs(), NetworkText.name(layer.activation()), names.get(2 * l), names.get(2 * l + 1)));
        }
        return lines;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
