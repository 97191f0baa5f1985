package dev.vecmlp.plot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A network's first-layer weights drawn as a grid of small grey images, one per hidden unit: the
 * weights from the input pixels to a unit, laid out like the input picture, show what the unit
 * responds to.
 *
 * <pre>{@code
 * // 100 hidden units over 28x28 MNIST digits, weights row-major [units][784]
 * FeatureGrid.of(w, 100, 784).imageSize(28, 28).columns(10).magnification(3)
 *         .writePng(Path.of("features.png"));
 * }</pre>
 *
 * <p>Unit {@code u}'s weight from input {@code i} is {@code weights[offset + u * stride + i]};
 * input {@code i} is pixel {@code (i % imageWidth, i / imageWidth)}, row by row as in MNIST.
 *
 * <p>Colours: weight 0 is mid-grey (128), {@code +m} white and {@code -m} black, linear in
 * between, where {@code m} is the largest {@code |w|} of the unit's own tile: each tile uses the
 * full range, so weak units stay visible, but brightness cannot be compared across tiles. With
 * {@link #globalScale(boolean) globalScale(true)}, {@code m} is the largest {@code |w|} of all
 * the units shown, and it can. A tile of zeros is all grey.
 *
 * <p>Tiles are {@code magnification} pixels per weight, {@code separator} white pixels apart and
 * from the edge, filled row by row; cells after the last unit stay white. The weights are read
 * when the grid is rendered, not before.
 */
public final class FeatureGrid {
    static {
        Headless.ensure();
    }

    private static final int SEPARATOR_RGB = 0xFFFFFF;

    private final float[] weights;
    private final int offset;
    private final int stride;
    private final int units;
    private final int inputs;
    private int imageWidth;
    private int imageHeight;
    private int shown;
    private int columns;
    private int magnification = 3;
    private int separator = 2;
    private boolean globalScale;

    private FeatureGrid(float[] weights, int offset, int stride, int units, int inputs) {
        this.weights = weights;
        this.offset = offset;
        this.stride = stride;
        this.units = units;
        this.inputs = inputs;
        this.shown = units;
        int side = (int) Math.round(Math.sqrt(inputs));
        if (side * side == inputs) {
            imageWidth = side;
            imageHeight = side;
        }
    }

    /**
     * The weights of {@code units} units with {@code inputs} inputs each, row-major
     * {@code [units][inputs]} with nothing in between. Square images ({@code inputs} a perfect
     * square) need no {@link #imageSize}.
     *
     * <pre>{@code FeatureGrid grid = FeatureGrid.of(w, 64, 784);}</pre>
     *
     * @throws IllegalArgumentException if {@code weights.length != units * inputs}
     */
    public static FeatureGrid of(float[] weights, int units, int inputs) {
        Objects.requireNonNull(weights, "weights");
        checkShape(units, inputs);
        if (weights.length != (long) units * inputs) {
            throw new IllegalArgumentException("feature grid: expected " + units + " units x " + inputs + " inputs = "
                    + (long) units * inputs + " weights, found " + weights.length);
        }
        return new FeatureGrid(weights, 0, inputs, units, inputs);
    }

    /**
     * The weights of {@code units} units with {@code inputs} inputs each, unit {@code u}'s row
     * starting at {@code offset + u * stride}: a padded matrix, or one inside a larger array
     * (a layer within a network's whole parameter vector).
     *
     * <pre>{@code FeatureGrid grid = FeatureGrid.of(parameters, 0, 784, 64, 784);}</pre>
     *
     * @throws IllegalArgumentException if {@code stride < inputs} or the rows run past the array
     */
    public static FeatureGrid of(float[] weights, int offset, int stride, int units, int inputs) {
        Objects.requireNonNull(weights, "weights");
        checkShape(units, inputs);
        if (offset < 0 || stride < inputs) {
            throw new IllegalArgumentException("feature grid: expected offset >= 0 and stride >= inputs (" + inputs
                    + "), found offset " + offset + ", stride " + stride);
        }
        long end = offset + (long) (units - 1) * stride + inputs;
        if (end > weights.length) {
            throw new IllegalArgumentException("feature grid: " + units + " rows of " + inputs + " from offset " + offset
                    + " with stride " + stride + " need " + end + " floats, found " + weights.length);
        }
        return new FeatureGrid(weights, offset, stride, units, inputs);
    }

    private static void checkShape(int units, int inputs) {
        if (units < 1 || inputs < 1) {
            throw new IllegalArgumentException("feature grid: expected at least 1 unit and 1 input, found " + units
                    + " units, " + inputs + " inputs");
        }
    }

    /**
     * The input picture's size: {@code width * height} must equal the number of inputs.
     *
     * <pre>{@code grid.imageSize(32, 24);   // 768 inputs}</pre>
     */
    public FeatureGrid imageSize(int width, int height) {
        if (width < 1 || height < 1 || (long) width * height != inputs) {
            throw new IllegalArgumentException("feature grid: an image of " + width + "x" + height + " = "
                    + (long) width * height + " pixels, but each unit has " + inputs + " inputs");
        }
        this.imageWidth = width;
        this.imageHeight = height;
        return this;
    }

    /** Shows only units {@code 0 .. n-1} (default: all). */
    public FeatureGrid first(int n) {
        if (n < 1 || n > units) {
            throw new IllegalArgumentException("feature grid: expected 1 to " + units + " units to show, found " + n);
        }
        this.shown = n;
        return this;
    }

    /** Tiles per row (default: the square root of the units shown, rounded up). */
    public FeatureGrid columns(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("feature grid: expected at least 1 column, found " + n);
        }
        this.columns = n;
        return this;
    }

    /** Pixels per weight along each side, 1 to 64 (default 3: a 28x28 tile is 84x84). */
    public FeatureGrid magnification(int m) {
        if (m < 1 || m > 64) {
            throw new IllegalArgumentException("feature grid: expected a magnification from 1 to 64, found " + m);
        }
        this.magnification = m;
        return this;
    }

    /** Pixels between tiles and around the grid, 0 to 16 (default 2). */
    public FeatureGrid separator(int px) {
        if (px < 0 || px > 16) {
            throw new IllegalArgumentException("feature grid: expected a separator from 0 to 16 pixels, found " + px);
        }
        this.separator = px;
        return this;
    }

    /** One scale for all tiles (comparable brightness) instead of one per tile (the default). */
    public FeatureGrid globalScale(boolean global) {
        this.globalScale = global;
        return this;
    }

    /**
     * The grid as an RGB image.
     *
     * <pre>{@code BufferedImage image = grid.render();}</pre>
     *
     * @throws IllegalArgumentException if a weight shown is NaN or infinite (naming the unit and
     *         pixel), the image size is unknown, or the grid would be over 16384 pixels a side
     */
    public BufferedImage render() {
        if (imageWidth == 0) {
            throw new IllegalArgumentException("feature grid: " + inputs
                    + " inputs are not a square image; give its size with imageSize(width, height)");
        }
        int cols = Math.min(shown, columns > 0 ? columns : (int) Math.ceil(Math.sqrt(shown)));
        int rows = (shown + cols - 1) / cols;
        int tileW = imageWidth * magnification, tileH = imageHeight * magnification;
        long width = (long) cols * (tileW + separator) + separator;
        long height = (long) rows * (tileH + separator) + separator;
        if (width > LineChart.MAX_SIDE || height > LineChart.MAX_SIDE) {
            throw new IllegalArgumentException("feature grid: " + rows + " rows x " + cols + " columns of " + tileW + "x"
                    + tileH + " tiles make " + width + "x" + height + " pixels; expected at most " + LineChart.MAX_SIDE
                    + " a side (fewer units, columns or a smaller magnification)");
        }
        float[] scale = scales();
        BufferedImage image = new BufferedImage((int) width, (int) height, BufferedImage.TYPE_INT_RGB);
        int[] background = new int[(int) width];
        Arrays.fill(background, SEPARATOR_RGB);
        for (int y = 0; y < height; y++) {
            image.setRGB(0, y, (int) width, 1, background, 0, 0);
        }
        int[] tile = new int[tileW * tileH];
        for (int u = 0; u < shown; u++) {
            int row = offset + u * stride;
            for (int i = 0; i < inputs; i++) {
                int g = grey(weights[row + i], scale[u]);
                int rgb = (g << 16) | (g << 8) | g;
                int x0 = (i % imageWidth) * magnification, y0 = (i / imageWidth) * magnification;
                for (int dy = 0; dy < magnification; dy++) {
                    Arrays.fill(tile, (y0 + dy) * tileW + x0, (y0 + dy) * tileW + x0 + magnification, rgb);
                }
            }
            int left = separator + (u % cols) * (tileW + separator);
            int top = separator + (u / cols) * (tileH + separator);
            image.setRGB(left, top, tileW, tileH, tile, 0, tileW);
        }
        return image;
    }

    /**
     * Renders the grid and writes it to {@code out} as PNG, replacing the file only once the whole
     * picture is written (an existing file survives a failed write).
     *
     * <pre>{@code grid.writePng(Path.of("runs/features.png"));}</pre>
     *
     * @throws IOException if the directory does not exist or writing fails
     */
    public void writePng(Path out) throws IOException {
        AtomicFile.writePng(out, render());
    }

    /** Each shown unit's largest |w| (or all units' largest, for a global scale); checks every weight is finite. */
    private float[] scales() {
        float[] scale = new float[shown];
        float all = 0;
        for (int u = 0; u < shown; u++) {
            int row = offset + u * stride;
            float max = 0;
            for (int i = 0; i < inputs; i++) {
                float w = weights[row + i];
                if (!Float.isFinite(w)) {
                    throw new IllegalArgumentException("feature grid: unit " + u + ", pixel (" + i % imageWidth + ", "
                            + i / imageWidth + ") (input " + i + ") has weight " + w + "; expected a finite number");
                }
                max = Math.max(max, Math.abs(w));
            }
            scale[u] = max;
            all = Math.max(all, max);
        }
        if (globalScale) {
            Arrays.fill(scale, all);
        }
        return scale;
    }

    /** 128 at 0, 255 at {@code +scale}, 0 at {@code -scale}. */
    private static int grey(float w, float scale) {
        if (scale == 0) {
            return 128;
        }
        double v = w / (double) scale;
        return (int) Math.round(v >= 0 ? 128 + 127 * v : 128 + 128 * v);
    }
}
