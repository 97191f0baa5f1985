package dev.vecmlp.plot;

import static dev.vecmlp.plot.Pixels.colourAround;
import static dev.vecmlp.plot.Pixels.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import dev.vecmlp.plot.LineChart.Box;
import dev.vecmlp.plot.LineChart.Layout;
import dev.vecmlp.plot.Ticks.Tick;

/** Line charts, checked on their pixels and their layout. */
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

    /** Loss and accuracy curves like a real run's. */
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
        LineChart chart = LineChart.titled("squares").series("x²", xs, ys).series("flat", xs, constant(11, 50));
        Layout l = chart.layout(640, 440);
        BufferedImage image = chart.render(640, 440);
        for (double x = 0; x <= 10; x += 0.25) {
            assertTrue(colourAround(image, l.px(x), l.py(x * x), 2, BLUE), "blue at x = " + x);
            assertTrue(colourAround(image, l.px(x), l.py(50), 1, VERMILLION), "vermillion at x = " + x);
        }
        // Far from both curves: the upper left of the plot area (x = 1, y = 90).
        assertFalse(colourAround(image, l.px(1), l.py(90), 8, BLUE));
        assertFalse(colourAround(image, l.px(1), l.py(90), 8, VERMILLION));
        assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
        assertEquals(0xFFFFFF, image.getRGB(2, 2) & 0xFFFFFF, "white background");
    }

    @Test
    void nanBreaksTheLineAndALonePointKeepsItsMarker() {
        double[] ys = constant(11, 1);
        ys[5] = Double.NaN;
        ys[8] = Double.POSITIVE_INFINITY;
        LineChart chart = LineChart.titled("gaps").markers(false).series("y", range(11), ys)
                .series("lone", new double[] {2}, new double[] {3});
        Layout l = chart.layout(640, 440);
        BufferedImage image = chart.render(640, 440);
        double y = l.py(1);
        assertTrue(colourAround(image, l.px(2.5), y, 1, BLUE), "drawn between 2 and 3");
        assertTrue(colourAround(image, l.px(6.5), y, 1, BLUE), "drawn between 6 and 7");
        for (double x : new double[] {4.5, 5, 5.5, 8}) {
            assertFalse(colourAround(image, l.px(x), y, 2, BLUE), "gap at x = " + x);
        }
        // Point 9 has no drawn neighbour before it but one after; point 7's only neighbour is 6.
        assertTrue(colourAround(image, l.px(9.5), y, 1, BLUE));
        assertTrue(colourAround(image, l.px(2), l.py(3), 1, VERMILLION), "lone point's marker");
    }

    @Test
    void dashedLinesHaveGapsSolidLinesDoNot() {
        LineChart chart = LineChart.titled("styles").markers(false).series("solid", range(2), constant(2, 1))
                .series("dashed", range(2), constant(2, 0), Style.DASHED);
        Layout l = chart.layout(640, 440);
        BufferedImage image = chart.render(640, 440);
        int x0 = (int) l.px(0.1), x1 = (int) l.px(0.9);
        int solidRow = (int) Math.floor(l.py(1)), dashedRow = (int) Math.floor(l.py(0));
        assertEquals(x1 - x0, count(image, x0, solidRow, x1, solidRow + 1, BLUE));
        int dashed = count(image, x0, dashedRow, x1, dashedRow + 1, VERMILLION);
        assertTrue(dashed > 0.5 * (x1 - x0) && dashed < 0.75 * (x1 - x0), "7 on, 4 off: " + dashed + " of " + (x1 - x0));
    }

    @Test
    void paletteColoursAreDistinctAndAnExplicitColourTakesNoneOfThem() {
        LineChart chart = LineChart.titled("").series("a", range(2), range(2))
                .series("model", range(2), range(2), Style.DASHED, Color.BLACK).series("b", range(2), range(2));
        List<Color> colours = chart.layout(640, 440).legendItems().stream().map(i -> i.series().colour()).toList();
        assertEquals(List.of(BLUE, Color.BLACK, VERMILLION), colours);
        LineChart seven = LineChart.titled("");
        for (int i = 0; i < 7; i++) {
            seven.series("s" + i, range(2), range(2));
        }
        assertEquals(7, seven.layout(640, 440).legendItems().stream().map(i -> i.series().colour()).distinct().count());
    }

    @Test
    void aLog2AxisHasTicksAtPowersOfTwoEvenlySpaced() {
        double[] widths = {64, 128, 256, 512, 1024};
        LineChart chart = LineChart.titled("ratio").logX(true).series("batch 32", widths, new double[] {2, 2.1, 2.2, 2.3, 2.4});
        Layout l = chart.layout(800, 500);
        List<Tick> ticks = l.x().ticks();
        assertEquals(List.of("64", "128", "256", "512", "1024"), ticks.stream().map(Tick::label).toList());
        double step = l.px(128) - l.px(64);
        assertTrue(step > 50);
        for (int i = 1; i < ticks.size(); i++) {
            assertEquals(step, l.px(ticks.get(i).value()) - l.px(ticks.get(i - 1).value()), 1e-9);
        }
        BufferedImage image = chart.render(800, 500);
        for (int i = 0; i < widths.length; i++) {
            assertTrue(colourAround(image, l.px(widths[i]), l.py(2 + 0.1 * i), 1, BLUE), "point at width " + widths[i]);
        }
    }

    @Test
    void aLog2AxisRejectsXThatIsNotPositive() {
        LineChart chart = LineChart.titled("r").logX(true).series("b", new double[] {64, 0}, new double[] {1, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chart.render(640, 440));
        assertTrue(e.getMessage().contains("series 'b'") && e.getMessage().contains("x = 0.0 at index 1"), e.getMessage());
    }

    @Test
    void theLegendStaysOutOfThePlotAreaAndInsideThePicture() {
        LineChart few = trainingLoss();
        LineChart many = LineChart.titled("ratio").logX(true);
        for (int b : new int[] {1, 8, 32, 128, 512}) {
            many.series("batch " + b, new double[] {64, 1024}, new double[] {2, 3});
        }
        many.series("FLOP model", new double[] {64, 1024}, new double[] {2, 2}, Style.DASHED, Color.BLACK);
        for (LineChart chart : List.of(few, many)) {
            for (int[] size : new int[][] {{640, 440}, {800, 500}, {400, 300}}) {
                Layout l = chart.layout(size[0], size[1]);
                Box legend = l.legend();
                Box plot = l.plot();
                boolean overlap = legend.x() < plot.right() && plot.x() < legend.right() && legend.y() < plot.bottom()
                        && plot.y() < legend.bottom();
                assertFalse(overlap, l.legendPlace() + " legend at " + size[0] + "x" + size[1]);
                assertTrue(legend.x() >= 0 && legend.y() >= 0 && legend.right() <= size[0] && legend.bottom() <= size[1],
                        legend + " in " + size[0] + "x" + size[1]);
            }
        }
        assertEquals(LineChart.LegendPlace.BELOW, few.layout(640, 440).legendPlace());
        assertEquals(LineChart.LegendPlace.RIGHT, many.layout(800, 500).legendPlace());
    }

    @Test
    void theLegendShowsEachNamedSeriesInItsColour() {
        LineChart chart = trainingLoss();
        Layout l = chart.layout(640, 440);
        BufferedImage image = chart.render(640, 440);
        assertEquals(2, l.legendItems().size());
        LineChart.LegendItem validation = l.legendItems().get(1);
        assertTrue(colourAround(image, validation.x() + 2, validation.centreY(), 1, VERMILLION));
        assertEquals(0, LineChart.titled("").series("", range(2), range(2)).layout(640, 440).legendItems().size(),
                "an unnamed series has no entry");
    }

    @Test
    void xTickLabelsDoNotOverlapEvenWithWideNumbers() {
        LineChart chart = LineChart.titled("").series("big", new double[] {0, 123_456}, new double[] {0, 1});
        for (int width : new int[] {200, 400, 1000}) {
            Layout l = chart.layout(width, 300);
            List<Tick> ticks = l.x().ticks();
            assertTrue(ticks.size() >= 2, width + ": " + ticks);
            for (int i = 1; i < ticks.size(); i++) {
                double gap = l.px(ticks.get(i).value()) - l.px(ticks.get(i - 1).value());
                double halfWidths = (TextMetrics.width(l.fonts().tick(), ticks.get(i).label())
                        + TextMetrics.width(l.fonts().tick(), ticks.get(i - 1).label())) / 2;
                assertTrue(gap > halfWidths, width + ": " + ticks);
            }
        }
    }

    @Test
    void aFixedYRangeIsUsedAsIsAndDataOutsideItAreClipped() {
        LineChart chart = LineChart.titled("fixed").yRange(0, 1).series("a", range(5), new double[] {0.5, 0.9, 1, 5, 5});
        Layout l = chart.layout(640, 440);
        assertEquals(0, l.y().lo());
        assertEquals(1, l.y().hi());
        assertEquals(List.of("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"), l.y().ticks().stream().map(Tick::label).toList());
        BufferedImage image = chart.render(640, 440);
        assertTrue(colourAround(image, l.px(2), l.py(1), 1, BLUE), "a point on the frame is drawn");
        assertEquals(0, count(image, 0, 0, 640, (int) l.plot().y() - 8, BLUE), "nothing above the plot area");
    }

    @Test
    void aChartThatCannotBeDrawnSaysWhy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("Loss").render(640, 440));
        assertTrue(e.getMessage().contains("chart 'Loss' has no series"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("Loss").series("training", range(3), range(2)));
        assertTrue(e.getMessage().contains("series 'training': 3 x values but 2 y values"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("Loss").series("training", new double[0], new double[0]));
        assertTrue(e.getMessage().contains("series 'training' has no points"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> LineChart.titled("").yRange(1, 1));
        assertTrue(e.getMessage().contains("[1.0, 1.0]"), e.getMessage());

        LineChart ok = trainingLoss();
        e = assertThrows(IllegalArgumentException.class, () -> ok.render(90, 60));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ok.render(0, 440));
        assertThrows(IllegalArgumentException.class, () -> ok.render(20_000, 440));
    }

    @Test
    void tooLongTextIsCutWithAnEllipsisToFitThePicture() {
        String title = "A title far too long for a small picture, which would otherwise run off both sides";
        Layout l = LineChart.titled(title).series("a", range(2), range(2)).layout(320, 240);
        assertTrue(l.title().endsWith("…") && title.startsWith(l.title().substring(0, l.title().length() - 1)));
        assertTrue(TextMetrics.width(l.fonts().title(), l.title()) <= 320);
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
    void writeSvgWritesTheSameChartAsWellFormedSvg() throws Exception {
        LineChart chart = trainingLoss().series("a<b & c", range(2), range(2));
        Path out = dir.resolve("loss.svg");
        chart.writeSvg(out, 640, 440);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.toFile());
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals("640", doc.getDocumentElement().getAttribute("width"));
        // Three series and three legend swatches.
        assertEquals(6, doc.getElementsByTagName("polyline").getLength());
        String svg = Files.readString(out);
        assertTrue(svg.contains(">Loss</text>") && svg.contains(">a&lt;b &amp; c</text>"), "escaped text");
        assertTrue(svg.contains("stroke-dasharray"));
        Layout l = chart.layout(640, 440);
        for (Tick t : l.y().ticks()) {
            assertTrue(svg.contains(">" + t.label() + "</text>"), t.label());
        }
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

        assertThrows(IllegalArgumentException.class, () -> Charts.render(2, 300, 200));
        assertThrows(IllegalArgumentException.class, () -> Charts.render(0, 300, 200, a));
        assertThrows(IllegalArgumentException.class, () -> Charts.render(3, 9000, 200, a, b, c));
    }
}
