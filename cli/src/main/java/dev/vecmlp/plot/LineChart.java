package dev.vecmlp.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.text.TextUtils;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.data.Range;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * A line chart of one or more series, drawn by JFreeChart and written as PNG (or SVG): training
 * curves, benchmark ratios. Built step by step, then rendered at any size:
 *
 * <pre>{@code
 * LineChart.titled("Loss").xLabel("epoch").yLabel("cross-entropy")
 *         .series("training", epochs, trainLoss)
 *         .series("validation", epochs, validationLoss, Style.DASHED)
 *         .writePng(Path.of("loss.png"), 640, 440);
 * }</pre>
 *
 * <p>What it draws:
 * <ul>
 *   <li>axes with JFreeChart's ticks and light grid lines; with {@link #integerX(boolean)
 *       integerX}, x ticks on whole numbers only (epochs); with {@link #logX(boolean) logX}, a
 *       base-2 x axis with ticks at powers of two;
 *   <li>each series as a line through its points in the order given, a point marker at each
 *       point (circle, square, triangle, diamond, ... by series) unless {@link #markers(boolean)
 *       markers(false)}; colours from the Okabe-Ito palette, which colour-blind readers can tell
 *       apart, unless a series names its own;
 *   <li>a point whose x or y is NaN or infinite is not drawn and breaks the line there; a point
 *       with no drawn neighbour still gets its marker;
 *   <li>the legend (series with a non-empty name) below the plot;
 *   <li>axis ranges from the data with a 4% margin on each side, or y fixed by {@link #yRange};
 *       data outside a fixed range are clipped.
 * </ul>
 *
 * <p>Text and line widths grow with the picture, so a 1280x880 picture looks like a 640x440 one
 * at twice the resolution. A chart is not thread-safe while it is being built; rendering does not
 * change it.
 */
public final class LineChart {
    static {
        Headless.ensure();
        // JFreeChart draws rotated text (the y axis label) as a TextLayout by default, a
        // workaround for a JDK 1.4 bug; in SVG that makes glyph outlines instead of text. The JDK
        // has long drawn rotated strings itself. The switch is JFreeChart-wide, and this package
        // is its only user.
        TextUtils.setUseDrawRotatedStringWorkaround(false);
    }

    /** Okabe and Ito's palette without yellow (unreadable on white), blue first. */
    private static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000),
    };
    private static final int MARKER_SHAPES = 5;
    /** Largest side of a picture: 16384 x 16384 RGB pixels are already 1 GiB. */
    static final int MAX_SIDE = 16384;
    /** The smallest plot area (inside the axes) worth drawing. */
    private static final int MIN_PLOT_WIDTH = 40, MIN_PLOT_HEIGHT = 30;
    private static final Color INK = new Color(0x222222);
    private static final Color FRAME = new Color(0x555555);
    private static final Color GRID = new Color(0xE3E3E3);

    private final String title;
    private String xLabel = "";
    private String yLabel = "";
    private boolean logX;
    private boolean integerX;
    private boolean markers = true;
    private double yMin = Double.NaN;
    private double yMax = Double.NaN;
    private final List<Series> series = new ArrayList<>();
    private int autoColours;

    record Series(String name, double[] xs, double[] ys, Style style, Color colour) {
        boolean drawn(int i) {
            return i >= 0 && i < xs.length && Double.isFinite(xs[i]) && Double.isFinite(ys[i]);
        }
    }

    /**
     * A series' key in JFreeChart's dataset, which must be unique: two series may share a name.
     * The legend shows {@link #toString}.
     */
    private record Key(int index, String name) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return Integer.compare(index, o.index);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private LineChart(String title) {
        this.title = Objects.requireNonNull(title, "title");
    }

    /**
     * A new, empty chart; {@code ""} for no title.
     *
     * <pre>{@code LineChart chart = LineChart.titled("Accuracy").yLabel("fraction correct");}</pre>
     */
    public static LineChart titled(String title) {
        return new LineChart(title);
    }

    /** The x axis label; {@code ""} (the default) for none. */
    public LineChart xLabel(String label) {
        this.xLabel = Objects.requireNonNull(label, "xLabel");
        return this;
    }

    /** The y axis label, drawn reading upwards; {@code ""} (the default) for none. */
    public LineChart yLabel(String label) {
        this.yLabel = Objects.requireNonNull(label, "yLabel");
        return this;
    }

    /**
     * A base-2 logarithmic x axis with ticks at powers of two (for widths and batch sizes), or
     * linear (the default). On a log axis every drawn x must be positive.
     *
     * <pre>{@code chart.logX(true).series("batch 32", new double[] {64, 128, 256}, ratios);}</pre>
     */
    public LineChart logX(boolean log) {
        this.logX = log;
        return this;
    }

    /** Ticks of a linear x axis on whole numbers only (epochs, steps), or anywhere (the default). */
    public LineChart integerX(boolean integer) {
        this.integerX = integer;
        return this;
    }

    /** Whether points get markers (default yes); long curves read better without. */
    public LineChart markers(boolean on) {
        this.markers = on;
        return this;
    }

    /**
     * A fixed y axis range instead of one fitted to the data, e.g. {@code yRange(0, 1)} for
     * accuracy; {@code min < max}, both finite.
     */
    public LineChart yRange(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(min < max)) {
            throw new IllegalArgumentException("y range: expected finite min < max, found [" + min + ", " + max + "]");
        }
        this.yMin = min;
        this.yMax = max;
        return this;
    }

    /**
     * The palette's colour {@code i} (counted from 0, wrapping): the colour the i-th series
     * without a colour of its own gets, so a second series can be drawn in the same colour.
     */
    public static Color paletteColour(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** A solid series in the next palette colour; see {@link #series(String, double[], double[], Style, Color)}. */
    public LineChart series(String name, double[] xs, double[] ys) {
        return series(name, xs, ys, Style.SOLID);
    }

    /** A series in the next palette colour; see {@link #series(String, double[], double[], Style, Color)}. */
    public LineChart series(String name, double[] xs, double[] ys, Style style) {
        return add(name, xs, ys, style, null);
    }

    /**
     * A series: points {@code (xs[i], ys[i])} joined in order, in the given colour (which takes no
     * palette colour from the others). The arrays are copied. {@code name} is its legend entry,
     * {@code ""} for none.
     *
     * <pre>{@code chart.series("FLOP model", widths, model, Style.DASHED, Color.BLACK);}</pre>
     *
     * @throws IllegalArgumentException if the arrays are empty or differ in length
     */
    public LineChart series(String name, double[] xs, double[] ys, Style style, Color colour) {
        return add(name, xs, ys, style, Objects.requireNonNull(colour, "colour"));
    }

    private LineChart add(String name, double[] xs, double[] ys, Style style, Color colour) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(xs, "xs");
        Objects.requireNonNull(ys, "ys");
        Objects.requireNonNull(style, "style");
        if (xs.length != ys.length) {
            throw new IllegalArgumentException(describe(name) + ": " + xs.length + " x values but " + ys.length
                    + " y values; expected one y per x");
        }
        if (xs.length == 0) {
            throw new IllegalArgumentException(describe(name) + " has no points");
        }
        Color c = colour != null ? colour : PALETTE[autoColours++ % PALETTE.length];
        series.add(new Series(name, xs.clone(), ys.clone(), style, c));
        return this;
    }

    /**
     * The chart as an RGB image {@code width} x {@code height} pixels.
     *
     * <pre>{@code BufferedImage image = chart.render(640, 440);}</pre>
     *
     * @throws IllegalArgumentException if the chart has no series, the size is not in
     *         {@code [1, 16384]}, the picture is too small for its text, or a log x axis meets an
     *         x that is not positive
     */
    public BufferedImage render(int width, int height) {
        JFreeChart chart = chart(width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            draw(chart, g, width, height);
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders the chart and writes it to {@code out} as PNG, replacing the file only once the
     * whole picture is written (an existing file survives a failed write).
     *
     * <pre>{@code chart.writePng(Path.of("runs/loss.png"), 640, 440);}</pre>
     *
     * @throws IOException if the directory does not exist or writing fails
     */
    public void writePng(Path out, int width, int height) throws IOException {
        AtomicFile.writePng(out, render(width, height));
    }

    /**
     * Writes the chart as SVG, drawn by the same JFreeChart code as the PNG through JFreeSVG's
     * {@code SVGGraphics2D}; text stays text (a viewer without DejaVu Sans substitutes a similar
     * sans-serif font). Replaces the file like {@link #writePng}.
     *
     * <pre>{@code chart.writeSvg(Path.of("runs/loss.svg"), 640, 440);}</pre>
     *
     * @throws IOException if the directory does not exist or writing fails
     */
    public void writeSvg(Path out, int width, int height) throws IOException {
        JFreeChart chart = chart(width, height);
        SVGGraphics2D svg = new SVGGraphics2D(width, height);
        // The same chart gives the same file: clip ids from a fixed prefix rather than the clock,
        // and coordinates to 1/100 pixel rather than the shortest exact double.
        svg.setDefsKeyPrefix("chart");
        svg.setGeomDoubleConverter(v -> Double.toString(Math.round(v * 100) / 100.0));
        draw(chart, svg, width, height);
        // getSVGDocument() would add a DOCTYPE naming an SVG 1.0 DTD on the web, which XML
        // parsers then try to fetch; the element alone with an XML declaration is enough.
        byte[] bytes = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg.getSVGElement() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(out, o -> o.write(bytes));
    }

    /**
     * Draws the chart into {@code g} at {@code (0, 0)}, {@code width} x {@code height}, and
     * returns where the plot area (inside the axes) went.
     *
     * @throws IllegalArgumentException if the plot area left by the title, labels and legend is
     *         too small to read
     */
    Rectangle2D draw(JFreeChart chart, Graphics2D g, int width, int height) {
        ChartRenderingInfo info = new ChartRenderingInfo();
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height), info);
        Rectangle2D plot = info.getPlotInfo().getDataArea();
        if (plot.getWidth() < MIN_PLOT_WIDTH || plot.getHeight() < MIN_PLOT_HEIGHT) {
            throw new IllegalArgumentException(describe() + ": " + width + "x" + height
                    + " pixels is too small for its title, labels and legend (expected a plot area of at least "
                    + MIN_PLOT_WIDTH + "x" + MIN_PLOT_HEIGHT + ", found " + Math.round(plot.getWidth()) + "x"
                    + Math.round(plot.getHeight()) + ")");
        }
        return plot;
    }

    private String describe(String seriesName) {
        return describe() + ", series '" + seriesName + "'";
    }

    private String describe() {
        return title.isEmpty() ? "chart" : "chart '" + title + "'";
    }

    /**
     * The JFreeChart for a picture of this size, its text and lines scaled to it.
     *
     * @throws IllegalArgumentException as {@link #render} does, except for a too small plot area
     */
    JFreeChart chart(int width, int height) {
        if (series.isEmpty()) {
            throw new IllegalArgumentException(describe() + " has no series: add one with series(name, xs, ys)");
        }
        if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
            throw new IllegalArgumentException(describe() + ": expected a size from 1x1 to " + MAX_SIDE + "x"
                    + MAX_SIDE + " pixels, found " + width + "x" + height);
        }
        if (logX) {
            checkPositiveX();
        }
        float s = (float) Math.clamp(Math.min(width / 640.0, height / 440.0), 0.6, 4.0);
        Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font labelFont = plain.deriveFont(14 * s), tickFont = plain.deriveFont(12 * s);

        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, markers) {
            @Override
            public boolean getItemShapeVisible(int seriesIndex, int item) {
                Series sr = series.get(seriesIndex);
                return markers || !sr.drawn(item - 1) && !sr.drawn(item + 1);
            }
        };
        renderer.setDrawSeriesLineAsPath(true);
        renderer.setAutoPopulateSeriesPaint(false);
        renderer.setAutoPopulateSeriesShape(false);
        renderer.setAutoPopulateSeriesStroke(false);
        renderer.setLegendLine(new Line2D.Double(-15 * s, 0, 15 * s, 0));
        for (int i = 0; i < series.size(); i++) {
            Series sr = series.get(i);
            XYSeries xy = new XYSeries(new Key(i, sr.name()), false, true);
            for (int k = 0; k < sr.xs().length; k++) {
                // NaN in both coordinates: JFreeChart skips the point and breaks the line there.
                // A log axis is a linear one over log2(x), labelled with powers of two.
                xy.add(sr.drawn(k) ? axisX(sr.xs()[k]) : Double.NaN, sr.drawn(k) ? sr.ys()[k] : Double.NaN);
            }
            data.addSeries(xy);
            renderer.setSeriesPaint(i, sr.colour());
            renderer.setSeriesStroke(i, new BasicStroke(2 * s, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10,
                    sr.style() == Style.DASHED ? new float[] {7 * s, 5 * s} : null, 0));
            renderer.setSeriesShape(i, marker(i % MARKER_SHAPES, 3.5 * s));
            renderer.setSeriesVisibleInLegend(i, !sr.name().isEmpty());
        }

        NumberAxis x = new NumberAxis(xLabel);
        if (integerX || logX) {
            x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        }
        if (logX) {
            x.setNumberFormatOverride(new PowerOfTwo());
        }
        NumberAxis y = new NumberAxis(yLabel);
        for (NumberAxis axis : List.of(x, y)) {
            axis.setLabelFont(labelFont);
            axis.setLabelPaint(INK);
            axis.setTickLabelFont(tickFont);
            axis.setTickLabelPaint(INK);
            axis.setTickMarkPaint(FRAME);
            axis.setTickMarkStroke(new BasicStroke(Math.max(1, Math.round(s))));
            axis.setTickMarkOutsideLength(5 * s);
            axis.setTickMarkInsideLength(0);
            axis.setLabelInsets(new RectangleInsets(4 * s, 4 * s, 4 * s, 4 * s));
            axis.setAxisLineVisible(false);
        }
        // JFreeChart takes the most ticks whose labels, with these insets around them, do not
        // touch: the wide vertical insets keep y ticks about three text lines apart.
        x.setTickLabelInsets(new RectangleInsets(4 * s, 8 * s, 4 * s, 8 * s));
        y.setTickLabelInsets(new RectangleInsets(14 * s, 4 * s, 14 * s, 4 * s));
        x.setRange(range(true));
        y.setRange(Double.isNaN(yMin) ? range(false) : new Range(yMin, yMax));

        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD); // the last series added on top
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlinePaint(FRAME);
        plot.setOutlineStroke(new BasicStroke(Math.max(1, Math.round(s))));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setInsets(new RectangleInsets(6 * s, 2 * s, 2 * s, 14 * s));
        BasicStroke grid = new BasicStroke(Math.max(1, Math.round(s)));
        plot.setDomainGridlinePaint(GRID);
        plot.setDomainGridlineStroke(grid);
        plot.setRangeGridlinePaint(GRID);
        plot.setRangeGridlineStroke(grid);

        JFreeChart chart = new JFreeChart(null, null, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        // JFreeChart antialiases lines but not text unless asked; fractional metrics space the
        // letters as the font means them rather than on whole pixels.
        chart.setTextAntiAlias(true);
        chart.getRenderingHints().put(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        chart.setPadding(new RectangleInsets(8 * s, 8 * s, 8 * s, 8 * s));
        if (!title.isEmpty()) {
            TextTitle t = new TextTitle(title, plain.deriveFont(Font.BOLD, 16 * s));
            t.setPaint(INK);
            t.setMargin(0, 0, 4 * s, 0);
            chart.setTitle(t);
        }
        if (series.stream().anyMatch(sr -> !sr.name().isEmpty())) {
            LegendTitle legend = new LegendTitle(plot);
            legend.setPosition(RectangleEdge.BOTTOM);
            legend.setItemFont(plain.deriveFont(13 * s));
            legend.setItemPaint(INK);
            legend.setFrame(BlockBorder.NONE);
            legend.setBackgroundPaint(Color.WHITE);
            legend.setMargin(new RectangleInsets(8 * s, 0, 0, 0));
            legend.setItemLabelPadding(new RectangleInsets(2 * s, 6 * s, 2 * s, 14 * s));
            chart.addLegend(legend);
        }
        return chart;
    }

    /** Where x goes on the x axis: itself, or log2 of it on a log axis. */
    double axisX(double x) {
        return logX ? Math.log(x) / Math.log(2) : x;
    }

    /**
     * Labels a tick at exponent {@code e} of a base-2 axis (a whole number) as the plain number
     * 2^e: {@code 64}, {@code 1024}, {@code 1/4}. JFreeChart's LogAxis would draw such labels as
     * attributed text, which becomes glyph outlines rather than text in SVG.
     */
    private static final class PowerOfTwo extends NumberFormat {
        @Override
        public StringBuffer format(double e, StringBuffer to, FieldPosition pos) {
            long power = 1L << Math.min(62, Math.round(Math.abs(e)));
            return to.append(e < 0 ? "1/" + power : Long.toString(power));
        }

        @Override
        public StringBuffer format(long e, StringBuffer to, FieldPosition pos) {
            return format((double) e, to, pos);
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            throw new UnsupportedOperationException("tick labels are only written");
        }
    }

    private static Shape marker(int shape, double r) {
        float f = (float) r;
        return switch (shape) {
            case 0 -> new Ellipse2D.Double(-r, -r, 2 * r, 2 * r);
            case 1 -> new Rectangle2D.Double(-0.9 * r, -0.9 * r, 1.8 * r, 1.8 * r);
            case 2 -> ShapeUtils.createUpTriangle(1.2f * f);
            case 3 -> ShapeUtils.createDiamond(1.3f * f);
            default -> ShapeUtils.createDownTriangle(1.2f * f);
        };
    }

    private void checkPositiveX() {
        for (Series sr : series) {
            for (int i = 0; i < sr.xs.length; i++) {
                if (sr.xs[i] <= 0 && sr.drawn(i)) {
                    throw new IllegalArgumentException(describe(sr.name) + ": a log x axis needs x > 0, found x = "
                            + sr.xs[i] + " at index " + i);
                }
            }
        }
    }

    /**
     * The range of the drawn points, widened by 4% on each side so that no marker sits on the
     * frame; a single value gets room around it. On a log axis the margins are in powers of two
     * and the range holds at least one power of two, so that it has a tick.
     */
    private Range range(boolean forX) {
        boolean log = forX && logX; // in log2 units
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series sr : series) {
            for (int i = 0; i < sr.xs.length; i++) {
                if (sr.drawn(i)) {
                    double v = forX ? sr.xs[i] : sr.ys[i];
                    double p = forX ? axisX(v) : v;
                    lo = Math.min(lo, p);
                    hi = Math.max(hi, p);
                }
            }
        }
        if (lo > hi) {
            lo = 0;
            hi = 1;
        } else if (lo == hi) {
            double half = log ? 0.5 : lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= half;
            hi += half;
        } else {
            double margin = (hi - lo) * 0.04;
            lo -= margin;
            hi += margin;
        }
        if (log && Math.ceil(lo) > Math.floor(hi)) {
            lo = Math.floor(lo);
            hi = Math.ceil(hi);
        }
        return new Range(lo, hi);
    }
}
