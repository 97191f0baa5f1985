package dev.vecmlp.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.vecmlp.plot.Canvas.Anchor;
import dev.vecmlp.plot.Ticks.Tick;

/**
 * A line chart of one or more series, written as PNG (or SVG): training curves, benchmark
 * ratios. Built step by step, then rendered at any size:
 *
 * <pre>{@code
 * LineChart.titled("Loss").xLabel("epoch").yLabel("cross-entropy")
 *         .series("training", epochs, trainLoss)
 *         .series("validation", epochs, validationLoss, Style.DASHED)
 *         .writePng(Path.of("loss.png"), 640, 420);
 * }</pre>
 *
 * <p>What it draws:
 * <ul>
 *   <li>axes with ticks at "nice" values (1, 2 or 5 times a power of ten), as many as fit, and
 *       light grid lines; or, with {@link #logX(boolean) logX}, a base-2 x axis with ticks at
 *       powers of two;
 *   <li>each series as a line through its points in the order given, a point marker at each
 *       point (circle, square, triangle, diamond, ... by series) unless {@link #markers(boolean)
 *       markers(false)}; colours from the Okabe-Ito palette, which colour-blind readers can tell
 *       apart, unless a series names its own;
 *   <li>a point whose x or y is NaN or infinite is not drawn and breaks the line there; a point
 *       with no drawn neighbour still gets its marker;
 *   <li>the legend (series with a non-empty name) outside the plot area, below it when it fits
 *       on one line, else on the right, else below over several lines;
 *   <li>y axis range from the data with a small margin, or fixed by {@link #yRange}; data
 *       outside a fixed range are clipped.
 * </ul>
 *
 * <p>Text and line widths grow with the picture, so a 1280x880 picture looks like a 640x440 one
 * at twice the resolution. A chart is not thread-safe while it is being built; rendering does not
 * change it.
 */
public final class LineChart {
    static {
        Headless.ensure();
    }

    /** Okabe and Ito's palette without yellow (unreadable on white), blue first. */
    private static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000),
    };
    private static final int MARKER_SHAPES = 5;
    /** Largest side of a picture: 16384 x 16384 RGB pixels are already 1 GiB. */
    static final int MAX_SIDE = 16384;
    private static final Color INK = new Color(0x222222);
    private static final Color FRAME = new Color(0x555555);
    private static final Color GRID = new Color(0xE3E3E3);

    private final String title;
    private String xLabel = "";
    private String yLabel = "";
    private boolean logX;
    private boolean markers = true;
    private double yMin = Double.NaN;
    private double yMax = Double.NaN;
    private final List<Series> series = new ArrayList<>();
    private int autoColours;

    record Series(String name, double[] xs, double[] ys, Style style, Color colour, int marker) {
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
        series.add(new Series(name, xs.clone(), ys.clone(), style, c, series.size() % MARKER_SHAPES));
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
        Layout layout = layout(width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            draw(new GraphicsCanvas(g), layout);
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
     * Writes the chart as SVG with the same layout as the PNG (text measured with the same font;
     * a viewer without DejaVu Sans substitutes a similar one). Replaces the file like
     * {@link #writePng}.
     *
     * <pre>{@code chart.writeSvg(Path.of("runs/loss.svg"), 640, 440);}</pre>
     *
     * @throws IOException if the directory does not exist or writing fails
     */
    public void writeSvg(Path out, int width, int height) throws IOException {
        Layout layout = layout(width, height);
        SvgCanvas svg = new SvgCanvas(width, height);
        draw(svg, layout);
        byte[] bytes = svg.finish().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(out, o -> o.write(bytes));
    }

    private String describe(String seriesName) {
        return describe() + ", series '" + seriesName + "'";
    }

    private String describe() {
        return title.isEmpty() ? "chart" : "chart '" + title + "'";
    }

    /** Text sizes at one picture scale. */
    record Fonts(Font title, Font label, Font tick, Font legend) {
        static Fonts at(double scale) {
            Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
            return new Fonts(plain.deriveFont(Font.BOLD, (float) (16 * scale)), plain.deriveFont((float) (14 * scale)),
                    plain.deriveFont((float) (12 * scale)), plain.deriveFont((float) (13 * scale)));
        }
    }

    record Box(double x, double y, double w, double h) {
        double right() {
            return x + w;
        }

        double bottom() {
            return y + h;
        }
    }

    /** An axis from {@code lo} to {@code hi} in axis units: data units, or log2 of them. */
    record Axis(double lo, double hi, boolean log, List<Tick> ticks) {
        double position(double v) {
            return log ? log2(v) : v;
        }
    }

    enum LegendPlace { NONE, BELOW, RIGHT }

    /** A legend entry: the swatch starts at {@code x}, centred on {@code centreY}. */
    record LegendItem(Series series, double x, double centreY) {
    }

    /** Where everything goes; the texts are the chart's, cut short with an ellipsis where too long. */
    record Layout(int width, int height, double scale, Fonts fonts, String title, String xLabel, String yLabel,
            Box plot, Axis x, Axis y, LegendPlace legendPlace, Box legend, List<LegendItem> legendItems) {
        double px(double v) {
            return plot.x() + (x.position(v) - x.lo()) / (x.hi() - x.lo()) * plot.w();
        }

        double py(double v) {
            return plot.bottom() - (y.position(v) - y.lo()) / (y.hi() - y.lo()) * plot.h();
        }
    }

    Layout layout(int width, int height) {
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
        double s = Math.clamp(Math.min(width / 640.0, height / 440.0), 0.6, 4.0);
        Fonts fonts = Fonts.at(s);
        double pad = 10 * s;
        double tickLen = 5 * s;
        double tickGap = 4 * s;
        double labelGap = 6 * s;
        double tickH = TextMetrics.height(fonts.tick());
        double labelH = TextMetrics.height(fonts.label());
        double yLabelBlock = yLabel.isEmpty() ? 0 : labelH + labelGap;

        double[] xRange = axisRange(true, logX);
        double[] yRange = Double.isNaN(yMin) ? axisRange(false, false) : new double[] {yMin, yMax};

        double top = Math.round(pad + (title.isEmpty() ? tickH / 2 : TextMetrics.height(fonts.title()) + 8 * s));
        // The legend's place depends on the plot width, which depends on the width of the y tick
        // labels, which depends (through the plot height) on the legend's place. A first pass
        // with a typical label width, a second with the measured one settle it.
        double yTickW = TextMetrics.width(fonts.tick(), "0.000");
        Legend legend = null;
        List<Tick> yTicks = null;
        double bottom = 0;
        for (int pass = 0; pass < 2; pass++) {
            double plotW = width - pad - yLabelBlock - yTickW - tickGap - tickLen - pad;
            legend = Legend.measure(named(), fonts.legend(), s, plotW, width);
            double bottomBlock = tickLen + tickGap + tickH + (xLabel.isEmpty() ? 0 : labelGap + labelH)
                    + (legend.place == LegendPlace.BELOW ? legend.gap + legend.height : 0) + pad;
            bottom = Math.round(height - bottomBlock);
            int yTarget = (int) Math.clamp(Math.round((bottom - top) / (tickH * 3.5)), 2, 10);
            yTicks = Ticks.linear(yRange[0], yRange[1], yTarget);
            yTickW = 0;
            for (Tick t : yTicks) {
                yTickW = Math.max(yTickW, TextMetrics.width(fonts.tick(), t.label()));
            }
        }
        double plotH = bottom - top;
        double left = Math.round(pad + yLabelBlock + yTickW + tickGap + tickLen);

        // The last x tick label may hang past the plot's right edge by half its width.
        double right = width - pad;
        List<Tick> xTicks = xTicks(xRange, right - left, fonts.tick(), s);
        double overhang = xTicks.isEmpty() ? 0 : TextMetrics.width(fonts.tick(), xTicks.getLast().label()) / 2;
        right = Math.round(legend.place == LegendPlace.RIGHT
                ? width - pad - legend.width - Math.max(legend.gap, overhang + 6 * s)
                : width - pad - overhang);
        double plotW = right - left;
        if (plotW < 40 || plotH < 30) {
            throw new IllegalArgumentException(describe() + ": " + width + "x" + height
                    + " pixels is too small for its title, labels and legend (the plot area would be "
                    + Math.round(plotW) + "x" + Math.round(plotH) + ")");
        }
        xTicks = xTicks(xRange, plotW, fonts.tick(), s);

        Box plot = new Box(left, top, plotW, plotH);
        Axis x = new Axis(xRange[0], xRange[1], logX, xTicks);
        Axis y = new Axis(yRange[0], yRange[1], false, yTicks);
        double belowAxis = bottom + tickLen + tickGap + tickH + (xLabel.isEmpty() ? 0 : labelGap + labelH);
        List<LegendItem> items = new ArrayList<>();
        Box legendBox = legend.arrange(plot, belowAxis, items);
        return new Layout(width, height, s, fonts, TextMetrics.fit(fonts.title(), title, width - 2 * pad),
                TextMetrics.fit(fonts.label(), xLabel, width - 2 * pad),
                TextMetrics.fit(fonts.label(), yLabel, height - 2 * pad), plot, x, y, legend.place, legendBox, items);
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    private void checkPositiveX() {
        for (Series sr : series) {
            for (int i = 0; i < sr.xs.length; i++) {
                if (sr.xs[i] <= 0 && Double.isFinite(sr.xs[i]) && Double.isFinite(sr.ys[i])) {
                    throw new IllegalArgumentException(describe(sr.name) + ": a log x axis needs x > 0, found x = "
                            + sr.xs[i] + " at index " + i);
                }
            }
        }
    }

    private List<Series> named() {
        return series.stream().filter(sr -> !sr.name.isEmpty()).toList();
    }

    /**
     * The range of the drawn points in axis units, widened by 4% on each side so that no marker
     * sits on the frame. A log axis also gets at least one power of two inside.
     */
    private double[] axisRange(boolean forX, boolean log) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series sr : series) {
            for (int i = 0; i < sr.xs.length; i++) {
                if (Double.isFinite(sr.xs[i]) && Double.isFinite(sr.ys[i])) {
                    double v = forX ? sr.xs[i] : sr.ys[i];
                    double p = log ? log2(v) : v;
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
        return new double[] {lo, hi};
    }

    /** As many ticks as fit with their labels apart; on a log axis, every k-th power of two. */
    private List<Tick> xTicks(double[] range, double plotW, Font font, double s) {
        double span = range[1] - range[0];
        if (logX) {
            for (int every = 1; ; every++) {
                List<Tick> ticks = Ticks.log2(range[0], range[1], every);
                if (ticks.size() <= 1 || labelsApart(ticks, plotW / span, font, s)) {
                    return ticks;
                }
            }
        }
        for (int target = (int) Math.max(2, plotW / (70 * s)); ; target--) {
            List<Tick> ticks = Ticks.linear(range[0], range[1], target);
            if (target == 2 || labelsApart(ticks, plotW / span, font, s)) {
                return ticks;
            }
        }
    }

    private static boolean labelsApart(List<Tick> ticks, double pixelsPerUnit, Font font, double s) {
        for (int i = 1; i < ticks.size(); i++) {
            Tick a = ticks.get(i - 1), b = ticks.get(i);
            double room = (b.position() - a.position()) * pixelsPerUnit;
            double need = (TextMetrics.width(font, a.label()) + TextMetrics.width(font, b.label())) / 2 + 12 * s;
            if (room < need) {
                return false;
            }
        }
        return true;
    }

    /** The legend's measured entries and where they go. */
    private static final class Legend {
        final List<Series> entries;
        final Font font;
        final double swatch;
        final double swatchGap;
        final double itemGap;
        final double lineH;
        final double gap;
        final double[] itemW;
        LegendPlace place = LegendPlace.NONE;
        double width;
        double height;
        List<List<Integer>> rows = List.of();

        private Legend(List<Series> entries, Font font, double s) {
            this.entries = entries;
            this.font = font;
            this.swatch = 30 * s;
            this.swatchGap = 6 * s;
            this.itemGap = 20 * s;
            this.lineH = TextMetrics.height(font) * 1.3;
            this.gap = 14 * s;
            this.itemW = new double[entries.size()];
            for (int i = 0; i < itemW.length; i++) {
                itemW[i] = swatch + swatchGap + TextMetrics.width(font, entries.get(i).name());
            }
        }

        static Legend measure(List<Series> entries, Font font, double s, double plotW, int width) {
            Legend l = new Legend(entries, font, s);
            if (entries.isEmpty()) {
                return l;
            }
            List<List<Integer>> oneRow = l.wrap(Double.POSITIVE_INFINITY);
            double column = 0;
            for (double w : l.itemW) {
                column = Math.max(column, w);
            }
            if (l.rowWidth(oneRow.getFirst()) <= plotW) {
                l.below(oneRow);
            } else if (plotW - column - l.gap >= 0.5 * width) {
                l.place = LegendPlace.RIGHT;
                l.width = column;
                l.height = entries.size() * l.lineH;
            } else {
                l.below(l.wrap(plotW));
            }
            return l;
        }

        private void below(List<List<Integer>> rows) {
            this.place = LegendPlace.BELOW;
            this.rows = rows;
            this.height = rows.size() * lineH;
            for (List<Integer> row : rows) {
                width = Math.max(width, rowWidth(row));
            }
        }

        private List<List<Integer>> wrap(double maxWidth) {
            List<List<Integer>> result = new ArrayList<>();
            List<Integer> row = new ArrayList<>();
            double used = 0;
            for (int i = 0; i < itemW.length; i++) {
                double add = (row.isEmpty() ? 0 : itemGap) + itemW[i];
                if (!row.isEmpty() && used + add > maxWidth) {
                    result.add(row);
                    row = new ArrayList<>();
                    add = itemW[i];
                    used = 0;
                }
                row.add(i);
                used += add;
            }
            result.add(row);
            return result;
        }

        private double rowWidth(List<Integer> row) {
            double w = (row.size() - 1) * itemGap;
            for (int i : row) {
                w += itemW[i];
            }
            return w;
        }

        /** Fills {@code items} and returns the legend's box ({@code null} if none). */
        Box arrange(Box plot, double belowAxis, List<LegendItem> items) {
            switch (place) {
                case NONE -> {
                    return null;
                }
                case RIGHT -> {
                    double x = plot.right() + gap;
                    for (int i = 0; i < entries.size(); i++) {
                        items.add(new LegendItem(entries.get(i), x, plot.y() + (i + 0.5) * lineH));
                    }
                    return new Box(x, plot.y(), width, height);
                }
                default -> {
                    double top = belowAxis + gap;
                    double centre = plot.x() + plot.w() / 2;
                    for (int r = 0; r < rows.size(); r++) {
                        List<Integer> row = rows.get(r);
                        double x = centre - rowWidth(row) / 2;
                        for (int i : row) {
                            items.add(new LegendItem(entries.get(i), x, top + (r + 0.5) * lineH));
                            x += itemW[i] + itemGap;
                        }
                    }
                    return new Box(centre - width / 2, top, width, height);
                }
            }
        }
    }

    void draw(Canvas c, Layout l) {
        double s = l.scale();
        Fonts fonts = l.fonts();
        Box plot = l.plot();
        double tickLen = 5 * s;
        double tickGap = 4 * s;
        double hair = Math.max(1, Math.round(s));
        c.fillRect(0, 0, l.width(), l.height(), Color.WHITE);

        for (Tick t : l.x().ticks()) {
            double x = crisp(l.px(t.value()), hair);
            c.line(x, plot.y(), x, plot.bottom(), GRID, hair);
        }
        for (Tick t : l.y().ticks()) {
            double y = crisp(l.py(t.value()), hair);
            c.line(plot.x(), y, plot.right(), y, GRID, hair);
        }

        double lineW = 2 * s;
        double markerR = 3.5 * s;
        // Grown so that a line or marker exactly on the frame (accuracy 1.0 with yRange(0, 1))
        // is drawn whole.
        double grow = markerR * 1.3;
        c.clip(plot.x() - grow, plot.y() - grow, plot.w() + 2 * grow, plot.h() + 2 * grow);
        for (Series sr : series) {
            drawSeries(c, l, sr, lineW, markerR);
        }
        c.unclip();

        c.strokeRect(crisp(plot.x(), hair), crisp(plot.y(), hair), Math.round(plot.w()), Math.round(plot.h()), FRAME, hair);
        double tickDigit = TextMetrics.digitHeight(fonts.tick());
        double tickAscent = TextMetrics.ascent(fonts.tick());
        for (Tick t : l.x().ticks()) {
            double x = crisp(l.px(t.value()), hair);
            c.line(x, plot.bottom(), x, plot.bottom() + tickLen, FRAME, hair);
            c.text(t.label(), x, plot.bottom() + tickLen + tickGap + tickAscent, fonts.tick(), INK, Anchor.MIDDLE);
        }
        for (Tick t : l.y().ticks()) {
            double y = crisp(l.py(t.value()), hair);
            c.line(plot.x() - tickLen, y, plot.x(), y, FRAME, hair);
            c.text(t.label(), plot.x() - tickLen - tickGap, y + tickDigit / 2, fonts.tick(), INK, Anchor.END);
        }

        double pad = 10 * s;
        if (!l.xLabel().isEmpty()) {
            double baseline = plot.bottom() + tickLen + tickGap + TextMetrics.height(fonts.tick()) + 6 * s
                    + TextMetrics.ascent(fonts.label());
            c.text(l.xLabel(), centred(plot.x() + plot.w() / 2, l.xLabel(), fonts.label(), pad, l.width()), baseline,
                    fonts.label(), INK, Anchor.MIDDLE);
        }
        if (!l.yLabel().isEmpty()) {
            c.verticalText(l.yLabel(), pad + TextMetrics.ascent(fonts.label()),
                    centred(plot.y() + plot.h() / 2, l.yLabel(), fonts.label(), pad, l.height()), fonts.label(), INK);
        }
        if (!l.title().isEmpty()) {
            c.text(l.title(), centred(plot.x() + plot.w() / 2, l.title(), fonts.title(), pad, l.width()),
                    pad + TextMetrics.ascent(fonts.title()), fonts.title(), INK, Anchor.MIDDLE);
        }

        double legendDigit = TextMetrics.digitHeight(fonts.legend());
        for (LegendItem item : l.legendItems()) {
            Series sr = item.series();
            double swatch = 30 * s;
            double y = item.centreY();
            c.polyline(new double[] {item.x(), item.x() + swatch}, new double[] {y, y}, 2, sr.colour(), lineW,
                    dash(sr.style(), s));
            if (markers) {
                marker(c, sr.marker(), item.x() + swatch / 2, y, markerR, sr.colour());
            }
            c.text(sr.name(), item.x() + swatch + 6 * s, y + legendDigit / 2, fonts.legend(), INK, Anchor.START);
        }
    }

    private void drawSeries(Canvas c, Layout l, Series sr, double lineW, double markerR) {
        int n = sr.xs().length;
        double[] px = new double[n];
        double[] py = new double[n];
        double[] dash = dash(sr.style(), l.scale());
        int run = 0;
        for (int i = 0; i <= n; i++) {
            boolean drawn = i < n && Double.isFinite(sr.xs()[i]) && Double.isFinite(sr.ys()[i]);
            if (drawn) {
                px[run] = l.px(sr.xs()[i]);
                py[run] = l.py(sr.ys()[i]);
                run++;
                continue;
            }
            if (run > 1) {
                c.polyline(px, py, run, sr.colour(), lineW, dash);
            }
            if (markers || run == 1) {
                for (int k = 0; k < run; k++) {
                    marker(c, sr.marker(), px[k], py[k], markerR, sr.colour());
                }
            }
            run = 0;
        }
    }

    private static double[] dash(Style style, double s) {
        return style == Style.DASHED ? new double[] {7 * s, 4 * s} : null;
    }

    private static void marker(Canvas c, int shape, double x, double y, double r, Color colour) {
        switch (shape) {
            case 0 -> c.fillCircle(x, y, r, colour);
            case 1 -> {
                double h = 0.9 * r;
                c.fillPolygon(new double[] {x - h, x + h, x + h, x - h}, new double[] {y - h, y - h, y + h, y + h}, colour);
            }
            case 2 -> c.fillPolygon(new double[] {x, x + 1.15 * r, x - 1.15 * r},
                    new double[] {y - 1.25 * r, y + 0.75 * r, y + 0.75 * r}, colour);
            case 3 -> c.fillPolygon(new double[] {x, x + 1.3 * r, x, x - 1.3 * r},
                    new double[] {y - 1.3 * r, y, y + 1.3 * r, y}, colour);
            default -> c.fillPolygon(new double[] {x - 1.15 * r, x + 1.15 * r, x},
                    new double[] {y - 0.75 * r, y - 0.75 * r, y + 1.25 * r}, colour);
        }
    }

    /** A line of width {@code hair} at {@code v}, put on whole pixels so that it is sharp rather than a grey smear. */
    private static double crisp(double v, double hair) {
        double snapped = Math.round(v);
        return hair % 2 == 1 ? snapped + 0.5 : snapped;
    }

    /** {@code centre}, moved just enough that the text stays inside {@code [pad, extent - pad]}. */
    private static double centred(double centre, String text, Font font, double pad, double extent) {
        double half = TextMetrics.width(font, text) / 2;
        return Math.clamp(centre, pad + half, Math.max(pad + half, extent - pad - half));
    }
}
