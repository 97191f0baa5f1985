package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.vecmlp.io.ModelFile;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.memory.Matrix;
import dev.vecmlp.plot.FeatureGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vecmlp features}: the first-layer weights of a trained model as a grid of images, as in
 * the lecture's feature-learning slides: each hidden unit's incoming weights drawn in the shape of
 * the input image, gray for 0, white for positive, black for negative.
 */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Draw the first-layer weights of a model as a PNG grid of images.",
                "",
                "One tile per hidden unit: gray = 0, white = positive, black = negative",
                "(each tile scaled to its own largest |w| unless --global-scale).",
                "",
                "A file saved by PyTorch (no vecmlp metadata) needs --layers; or write it",
                "into a copy once with vecmlp import."})
public final class FeaturesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "The model file (safetensors).")
    Path model;

    @Mixin
    ArchitectureOptions architecture;

    @Option(names = {"-o", "--output"}, paramLabel = "PNG", defaultValue = "features.png",
            description = "The picture to write (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--image", paramLabel = "WxH",
            description = "Shape of an input image, e.g. 28x28 (default: square, when the input width is a square).")
    String image;

    @Option(names = "--units", paramLabel = "N", description = "Show the first N hidden units (default: all, at most 256).")
    Integer units;

    @Option(names = "--columns", paramLabel = "N", description = "Tiles per row (default: about the square root of the tiles).")
    Integer columns;

    @Option(names = "--zoom", paramLabel = "N", defaultValue = "3", description = "Pixels per weight (default: ${DEFAULT-VALUE}).")
    int zoom;

    @Option(names = "--global-scale", description = "Scale every tile by the largest |w| of all tiles shown, not its own.")
    boolean globalScale;

    @Option(names = "--force", description = "Replace --output even if it is not a PNG.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        OutputGuard.checkPicture("--output", output, force, model);
        try (ModelFile.Contents contents = architecture.read(model, KernelProvider.best(), null, spec.commandLine().getErr())) {
            Matrix w = contents.model().weights(0);
            int inputs = w.cols(), hidden = w.rows();
            int[] shape = shape(inputs);
            int shown = units != null ? units : Math.min(hidden, 256);
            if (shown < 1 || shown > hidden) {
                throw new IllegalArgumentException("--units: expected 1 to " + hidden + " (the first layer's units), found " + shown);
            }
            FeatureGrid grid = FeatureGrid.of(w.toArray(), hidden, inputs).imageSize(shape[0], shape[1]).first(shown)
                    .magnification(zoom).globalScale(globalScale);
            if (columns != null) {
                grid = grid.columns(columns);
            }
            grid.writePng(output);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("features: %s (%d units of layer 0, %dx%d images)%n", output, shown, shape[0], shape[1]);
            out.flush();
        }
        return 0;
    }

    private int[] shape(int inputs) {
        if (image == null) {
            int side = (int) Math.round(Math.sqrt(inputs));
            if (side * side != inputs) {
                throw new IllegalArgumentException("--image: the model has " + inputs
                        + " inputs, not a square number; give the image shape as WxH with W*H = " + inputs);
            }
            return new int[] {side, side};
        }
        String[] wh = image.toLowerCase(java.util.Locale.ROOT).split("x", -1);
        try {
            if (wh.length == 2) {
                int width = Integer.parseInt(wh[0].trim()), height = Integer.parseInt(wh[1].trim());
                if (width > 0 && height > 0 && (long) width * height == inputs) {
                    return new int[] {width, height};
                }
                throw new IllegalArgumentException("--image: expected W*H = " + inputs + " (the model's inputs), found " + width
                        + "x" + height + " = " + (long) width * height);
            }
        } catch (NumberFormatException e) {
            // Falls through to the message about the form.
        }
        throw new IllegalArgumentException("--image: expected WxH such as 28x28, found '" + image + "'");
    }
}
