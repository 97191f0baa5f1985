package dev.vecmlp.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

import org.jfree.chart.JFreeChart;

/**
 * Several {@link LineChart}s in one picture, in a grid filled row by row: loss next to accuracy.
 *
 * <pre>{@code
 * Charts.writePng(Path.of("training.png"), 2, 640, 440, lossChart, accuracyChart);
 * }</pre>
 */
public final class Charts {
    static {
        Headless.ensure();
    }

    private Charts() {
    }

    /**
     * The panels, each {@code panelWidth} x {@code panelHeight} pixels, {@code columns} to a row;
     * cells after the last panel stay white.
     *
     * @throws IllegalArgumentException if there are no panels, {@code columns < 1}, the whole
     *         picture would be larger than 16384 pixels a side, or a panel cannot be rendered at
     *         that size (see {@link LineChart#render})
     */
    public static BufferedImage render(int columns, int panelWidth, int panelHeight, LineChart... panels) {
        Objects.requireNonNull(panels, "panels");
        if (panels.length == 0) {
            throw new IllegalArgumentException("charts: expected at least one panel, found none");
        }
        if (columns < 1) {
            throw new IllegalArgumentException("charts: expected at least 1 column, found " + columns);
        }
        int cols = Math.min(columns, panels.length);
        int rows = (panels.length + cols - 1) / cols;
        long width = (long) cols * panelWidth, height = (long) rows * panelHeight;
        if (width > LineChart.MAX_SIDE || height > LineChart.MAX_SIDE) {
            throw new IllegalArgumentException("charts: " + rows + " rows x " + cols + " columns of " + panelWidth + "x"
                    + panelHeight + " panels make " + width + "x" + height + " pixels; expected at most "
                    + LineChart.MAX_SIDE + " a side");
        }
        JFreeChart[] charts = new JFreeChart[panels.length];
        for (int i = 0; i < panels.length; i++) {
            charts[i] = Objects.requireNonNull(panels[i], "panel " + i).chart(panelWidth, panelHeight);
        }
        BufferedImage image = new BufferedImage((int) width, (int) height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, (int) width, (int) height);
            for (int i = 0; i < panels.length; i++) {
                Graphics2D cell = (Graphics2D) g.create((i % cols) * panelWidth, (i / cols) * panelHeight, panelWidth,
                        panelHeight);
                try {
                    panels[i].draw(charts[i], cell, panelWidth, panelHeight);
                } finally {
                    cell.dispose();
                }
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders the panels as {@link #render} does and writes them to {@code out} as PNG, replacing
     * the file only once the whole picture is written.
     *
     * @throws IOException if the directory does not exist or writing fails
     */
    public static void writePng(Path out, int columns, int panelWidth, int panelHeight, LineChart... panels)
            throws IOException {
        AtomicFile.writePng(out, render(columns, panelWidth, panelHeight, panels));
    }
}
