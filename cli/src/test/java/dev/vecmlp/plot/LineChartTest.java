package dev.vecmlp.plot;

import static dev.vecmlp.plot.Pixels.colourAround;
import static dev.vecmlp.plot.Pixels.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** Line charts, checked on their pixels, their SVG text and their axes. */
class LineChartTest {
    private static final Color BLUE = new Color(0x0072B2);
    private static final Color VERMILLION = new Color(0xD55E00);
    private static final Color GREEN = new Color(0x009E73);

    @TempDir
    Path dir;

    private static double[] range(int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static double[] constant(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    /** Loss curves like a real run's. */
    static LineChart trainingLoss() {
        double[] epochs = new double[20], train = new double[20], validation = new double[20];
        for (int i = 0; i < 20; i++) {
            epochs[i] = i + 1;
            train[i] = 0.05 + 2.25 * Math.exp(-i / 4.0);
            validation[i] = 1.1 * train[i] + 0.04;
        }
        return LineChart.titled("Loss").xLabel("epoch").yLabel("cross-entropy").series("training", epochs, train)
                .series("validation", epochs, validation, Style.DASHED);
    }

    /** A chart drawn into an image, with where its data went: pixel positions of data values. */
    record Drawn(BufferedImage image, JFreeChart chart, Rectangle2D plot) {
        static Drawn of(LineChart lineChart, int width, int height) {
            JFreeChart chart = lineChart.chart(width, height);
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            try {
                return new Drawn(image, chart, lineChart.draw(chart, g, width, height));
            } finally {
                g.dispose();
            }
        }

        ValueAxis x() {
            return chart.getXYPlot().getDomainAxis();
        }

        ValueAxis y() {
            return chart.getXYPlot().getRangeAxis();
        }

        double px(double v) {
            return x().valueToJava2D(v, plot, RectangleEdge.BOTTOM);
        }

        double py(double v) {
            return y().valueToJava2D(v, plot, RectangleEdge.LEFT);
        }
    }

    private String svg(LineChart chart, int width, int height) throws IOException {
        Path out = dir.resolve("chart.svg");
        chart.writeSvg(out, width, height);
        return Files.readString(out);
    }

    @Test
    void usingThePackageSelectsHeadlessAwt() {
        LineChart.titled("");
        assertEquals("true", System.getProperty("java.awt.headless"), "the build sets no mode, so the package chose");
    }

    @Test
    void theLineIsDrawnWhereTheDataAreAndNowhereElse() {
        double[] xs = range(11);
        double[] ys = new double[11];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = i * i;
        }
        Drawn d = Drawn.of(LineChart.titled("squares").series("x²", xs, ys).series("flat", xs, constant(11, 50)), 640,
                440);
        for (double x = 0; x <= 10; x += 0.25) {
            assertTrue(colourAround(d.image(), d.px(x), d.py(x * x), 2, BLUE), "blue at x = " + x);
            assertTrue(colourAround(d.image(), d.px(x), d.py(50), 1, VERMILLION), "vermillion at x = " + x);
        }
        // Far from both curves: the upper left of the plot area (x = 1, y = 90).
        assertFalse(colourAround(d.image(), d.px(1), d.py(90), 8, BLUE));
        assertFalse(colourAround(d.image(), d.px(1), d.py(90), 8, VERMILLION));
        assertEquals(0xFFFFFF, d.image().getRGB(2, 2) & 0xFFFFFF, "white background");
        // The axes span the data and a small margin, not zero: 0 to 100 plus 4% each side.
        assertEquals(-4, d.y().getLowerBound(), 1e-9);
        assertEquals(104, d.y().getUpperBound(), 1e-9);
        assertTrue(d.plot().getWidth() > 400 && d.plot().getHeight() > 250, "plot area " + d.plot());
    }

    @Test
    void nanBreaksTheLineAndALonePointKeepsItsMarker() {
        double[] ys = constant(11, 1);
        ys[5] = Double.NaN;
        ys[8] = Double.POSITIVE_INFINITY;
        Drawn d = Drawn.of(LineChart.titled("gaps").markers(false).series("y", range(11), ys)
                .series("lone", new double[] {2}, new double[] {3}), 640, 440);
        double y = d.py(1);
        assertTrue(colourAround(d.image(), d.px(2.5), y, 1, BLUE), "drawn between 2 and 3");
        assertTrue(colourAround(d.image(), d.px(6.5), y, 1, BLUE), "drawn between 6 and 7");
        for (double x : new double[] {4.5, 5, 5.5, 8}) {
            assertFalse(colourAround(d.image(), d.px(x), y, 2, BLUE), "gap at x = " + x);
        }
        assertTrue(colourAround(d.image(), d.px(9.5), y, 1, BLUE), "drawn again after the infinity");
        assertTrue(colourAround(d.image(), d.px(2), d.py(3), 1, VERMILLION), "lone point's marker");
        // The infinity is left out of the y range rather than stretching it.
        assertTrue(d.y().getUpperBound() < 4, "y axis up to " + d.y().getUpperBound());
    }

    @Test
    void dashedLinesHaveGapsSolidLinesDoNot() {
        Drawn d = Drawn.of(LineChart.titled("styles").markers(false).series("solid", range(2), constant(2, 1))
                .series("dashed", range(2), constant(2, 0), Style.DASHED), 640, 440);
        int x0 = (int) d.px(0.1), x1 = (int) d.px(0.9);
        int solidRow = (int) Math.floor(d.py(1)), dashedRow = (int) Math.floor(d.py(0));
        assertEquals(x1 - x0, count(d.image(), x0, solidRow, x1, solidRow + 1, BLUE));
        int dashed = count(d.image(), x0, dashedRow, x1, dashedRow + 1, VERMILLION);
        assertTrue(dashed > 0.5 * (x1 - x0) && dashed < 0.9 * (x1 - x0), "7 on, 5 off: " + dashed + " of " + (x1 - x0));
    }

    @Test
    void seriesTakePaletteColoursInTurnAndAnExplicitColourTakesNoneOfThem() {
        BufferedImage image = LineChart.titled("").series("a", range(2), range(2))
                .series("model", range(2), new double[] {1, 0}, Style.DASHED, Color.BLACK)
                .series("b", range(2), constant(2, 0.5)).render(640, 440);
        assertTrue(count(image, 0, 0, 640, 440, BLUE) > 200, "first palette colour");
        assertTrue(count(image, 0, 0, 640, 440, VERMILLION) > 200, "second palette colour, for the third series");
        assertEquals(0, count(image, 0, 0, 640, 440, GREEN), "no third palette colour");
    }

    @Test
    void aLog2AxisHasTicksAtPowersOfTwoEvenlySpaced() throws IOException {
        double[] widths = {64, 128, 256, 512, 1024};
        LineChart chart = LineChart.titled("ratio").logX(true).series("batch 32", widths, new double[] {2, 2.1, 2.2, 2.3, 2.4});
        Drawn d = Drawn.of(chart, 800, 500);
        assertEquals(7, chart.axisX(128), 1e-12, "the axis is linear in log2(x)");
        double step = d.px(chart.axisX(128)) - d.px(chart.axisX(64));
        assertTrue(step > 50, "step " + step);
        for (int i = 1; i < widths.length; i++) {
            double x = d.px(chart.axisX(widths[i]));
            assertEquals(step, x - d.px(chart.axisX(widths[i - 1])), 1e-6);
            assertTrue(colourAround(d.image(), x, d.py(2 + 0.1 * i), 1, BLUE), "point at " + widths[i]);
        }
        String svg = svg(chart, 800, 500);
        for (double w : widths) {
            assertTrue(svg.contains(">" + (int) w + "</text>"), "tick label " + (int) w);
        }
        assertFalse(svg.contains(">90</text>") || svg.contains(">362</text>"), "no ticks between powers of two");
    }

    @Test
    void aLog2AxisRejectsXThatIsNotPositive() {
        LineChart chart = LineChart.titled("r").logX(true).series("b", new double[] {64, 0}, new double[] {1, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chart.render(640, 440));
        assertTrue(e.getMessage().contains("series 'b'") && e.getMessage().contains("x = 0.0 at index 1"), e.getMessage());
    }

    @Test
    void integerXPutsTicksOnWholeNumbersOnly() {
        double[] epochs = {1, 2, 3};
        LineChart plain = LineChart.titled("").series("a", epochs, epochs);
        LineChart whole = LineChart.titled("").integerX(true).series("a", epochs, epochs);
        double plainStep = ((NumberAxis) Drawn.of(plain, 640, 440).x()).getTickUnit().getSize();
        double wholeStep = ((NumberAxis) Drawn.of(whole, 640, 440).x()).getTickUnit().getSize();
        assertTrue(plainStep < 1, "a 1-to-3 axis gets fractional ticks by default: " + plainStep);
        assertEquals(1, wholeStep);
    }

    @Test
    void aSingleValueGetsRoomAroundItRatherThanAnEmptyAxis() {
        Drawn d = Drawn.of(LineChart.titled("one").series("test", new double[] {3}, new double[] {0.95}), 640, 440);
        assertEquals(2.7, d.x().getLowerBound(), 1e-9);
        assertEquals(3.3, d.x().getUpperBound(), 1e-9);
        assertEquals(0.855, d.y().getLowerBound(), 1e-9);
        assertTrue(colourAround(d.image(), d.px(3), d.py(0.95), 1, BLUE), "its marker");
    }

    @Test
    void theLegendNamesEachNamedSeriesInItsColourBelowThePlot() throws IOException {
        LineChart chart = trainingLoss().series("", range(2), range(2));
        Drawn d = Drawn.of(chart, 640, 440);
        assertEquals(2, d.chart().getXYPlot().getLegendItems().getItemCount(), "an unnamed series has no entry");
        // The legend row: below the plot, with both series' colours in it.
        int top = (int) d.plot().getMaxY() + 30;
        assertTrue(count(d.image(), 0, top, 640, 440, BLUE) > 10);
        assertTrue(count(d.image(), 0, top, 640, 440, VERMILLION) > 10);
        String svg = svg(chart, 640, 440);
        assertTrue(svg.contains(">training</text>") && svg.contains(">validation</text>"), "legend text");
        assertEquals(0, count(Drawn.of(LineChart.titled("").series("", range(2), range(2)), 640, 440).image(), 0,
                440 - 40, 640, 440, BLUE), "no legend at all when no series has a name");
    }

    @Test
    void aFixedYRangeIsUsedAsIsAndDataOutsideItAreClipped() {
        Drawn d = Drawn.of(LineChart.titled("fixed").yRange(0, 1).series("a", range(5), new double[] {0.5, 0.9, 1, 5, 5}),
                640, 440);
        assertEquals(0, d.y().getLowerBound());
        assertEquals(1, d.y().getUpperBound());
        assertTrue(colourAround(d.image(), d.px(1), d.py(0.9), 1, BLUE), "a point inside");
        assertEquals(0, count(d.image(), 0, 0, 640, (int) d.plot().getY() - 1, BLUE), "nothing above the plot area");
    }

    @Test
    void aChartThatCannotBeDrawnSaysWhy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("Loss").render(640, 440));
        assertTrue(e.getMessage().contains("chart 'Loss' has no series"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("Loss").series("training", range(3), range(2)));
        assertTrue(e.getMessage().contains("series 'training': 3 x values but 2 y values; expected one y per x"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("Loss").series("training", new double[0], new double[0]));
        assertTrue(e.getMessage().contains("series 'training' has no points"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> LineChart.titled("").yRange(1, 1));
        assertTrue(e.getMessage().contains("expected finite min < max, found [1.0, 1.0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LineChart.titled("").yRange(Double.NaN, 1));
        assertTrue(e.getMessage().contains("found [NaN, 1.0]"), e.getMessage());

        LineChart ok = trainingLoss();
        e = assertThrows(IllegalArgumentException.class, () -> ok.render(120, 80));
        assertTrue(e.getMessage().contains("chart 'Loss': 120x80 pixels is too small")
                && e.getMessage().contains("expected a plot area of at least 40x30, found "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ok.render(0, 440));
        assertTrue(e.getMessage().contains("expected a size from 1x1 to 16384x16384 pixels, found 0x440"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ok.render(20_000, 440));
        assertTrue(e.getMessage().contains("found 20000x440"), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesTheOldFile() throws IOException {
        Path out = dir.resolve("loss.png");
        trainingLoss().writePng(out, 640, 440);
        byte[] before = Files.readAllBytes(out);
        assertThrows(IllegalArgumentException.class, () -> trainingLoss().writePng(out, 120, 80));
        assertArrayEquals(before, Files.readAllBytes(out));
    }

    @Test
    void writePngRoundTripsThroughImageIo() throws IOException {
        LineChart chart = trainingLoss();
        Path out = dir.resolve("loss.png");
        chart.writePng(out, 640, 440);
        BufferedImage read = ImageIO.read(out.toFile());
        BufferedImage rendered = chart.render(640, 440);
        assertEquals(640, read.getWidth());
        assertEquals(440, read.getHeight());
        for (int y = 0; y < 440; y += 3) {
            for (int x = 0; x < 640; x += 3) {
                assertEquals(rendered.getRGB(x, y), read.getRGB(x, y), "(" + x + ", " + y + ")");
            }
        }
    }

    @Test
    void biggerPicturesHaveBiggerTextAndTheSameLayout() {
        Drawn small = Drawn.of(trainingLoss(), 640, 440), big = Drawn.of(trainingLoss(), 1280, 880);
        assertEquals(2 * small.chart().getTitle().getFont().getSize2D(), big.chart().getTitle().getFont().getSize2D(),
                1e-3);
        assertEquals(small.plot().getWidth() / 640, big.plot().getWidth() / 1280, 0.02);
        assertEquals(small.plot().getHeight() / 440, big.plot().getHeight() / 880, 0.02);
    }

    @Test
    void writeSvgWritesTheSameChartAsWellFormedSvgWithItsText() throws Exception {
        LineChart chart = trainingLoss().series("a<b & c", range(2), range(2));
        Path out = dir.resolve("loss.svg");
        chart.writeSvg(out, 640, 440);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.toFile());
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(640, Double.parseDouble(doc.getDocumentElement().getAttribute("width")));
        assertEquals(440, Double.parseDouble(doc.getDocumentElement().getAttribute("height")));
        String svg = Files.readString(out);
        for (String text : new String[] {"Loss", "epoch", "cross-entropy", "training", "validation", "a&lt;b &amp; c"}) {
            assertTrue(svg.contains(">" + text + "</text>"), text);
        }
        assertTrue(svg.contains("rgb(0,114,178)") && svg.contains("rgb(213,94,0)") && svg.contains("rgb(0,158,115)"),
                "the three series' colours");
        assertTrue(svg.contains("stroke-dasharray"), "the dashed validation line");
        chart.writeSvg(dir.resolve("again.svg"), 640, 440);
        assertEquals(svg, Files.readString(dir.resolve("again.svg")), "the same chart gives the same file");
    }

    @Test
    void chartsPutPanelsInAGridRowByRow() throws IOException {
        LineChart a = LineChart.titled("a").series("a", range(3), range(3), Style.SOLID, BLUE);
        LineChart b = LineChart.titled("b").series("b", range(3), range(3), Style.SOLID, GREEN);
        LineChart c = LineChart.titled("c").series("c", range(3), range(3), Style.SOLID, VERMILLION);
        BufferedImage image = Charts.render(2, 300, 200, a, b, c);
        assertEquals(600, image.getWidth());
        assertEquals(400, image.getHeight());
        assertTrue(count(image, 0, 0, 300, 200, BLUE) > 100);
        assertEquals(0, count(image, 0, 0, 300, 200, GREEN));
        assertTrue(count(image, 300, 0, 600, 200, GREEN) > 100);
        assertTrue(count(image, 0, 200, 300, 400, VERMILLION) > 100);
        for (int y = 200; y < 400; y += 7) {
            for (int x = 300; x < 600; x += 7) {
                assertEquals(0xFFFFFF, image.getRGB(x, y) & 0xFFFFFF, "empty cell is white");
            }
        }
        Path out = dir.resolve("grid.png");
        Charts.writePng(out, 2, 300, 200, a, b, c);
        assertEquals(600, ImageIO.read(out.toFile()).getWidth());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.render(2, 300, 200));
        assertTrue(e.getMessage().contains("expected at least one panel, found none"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.render(0, 300, 200, a));
        assertTrue(e.getMessage().contains("expected at least 1 column, found 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.render(3, 9000, 200, a, b, c));
        assertTrue(e.getMessage().contains("make 27000x200 pixels; expected at most 16384 a side"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.render(2, 100, 60, a, b));
        assertTrue(e.getMessage().contains("chart 'a': 100x60 pixels is too small"), e.getMessage());
    }
}
