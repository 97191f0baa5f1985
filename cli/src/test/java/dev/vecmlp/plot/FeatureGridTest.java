package dev.vecmlp.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** First-layer weights as tiles: size, colour map, layouts and errors. */
class FeatureGridTest {
    private static final int WHITE = 0xFFFFFF;

    @TempDir
    Path dir;

    private static int grey(BufferedImage image, int x, int y) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        int g = rgb & 0xFF;
        assertEquals(g * 0x010101, rgb, "grey at (" + x + ", " + y + ")");
        return g;
    }

    /** Unit u's pixel (x, y) of a 4x3 image, at magnification m, separator s, in a grid of cols columns. */
    private static int tilePixel(BufferedImage image, int u, int x, int y, int m, int s, int cols) {
        int left = s + (u % cols) * (4 * m + s), top = s + (u / cols) * (3 * m + s);
        int g = grey(image, left + x * m, top + y * m);
        for (int dy = 0; dy < m; dy++) {
            for (int dx = 0; dx < m; dx++) {
                assertEquals(g, grey(image, left + x * m + dx, top + y * m + dy), "a weight is an m x m block");
            }
        }
        return g;
    }

    private static void assertRejected(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void theGridHasTheSizeOfItsTilesAndSeparators() {
        BufferedImage image = FeatureGrid.of(new float[10 * 784], 10, 784).imageSize(28, 28).columns(4)
                .magnification(3).separator(2).render();
        assertEquals(4 * 84 + 5 * 2, image.getWidth());
        assertEquals(3 * 84 + 4 * 2, image.getHeight());
        BufferedImage square = FeatureGrid.of(new float[64 * 784], 64, 784).render();
        assertEquals(8 * 84 + 9 * 2, square.getWidth(), "default: a square grid of 28x28 tiles at 3x, 2 px apart");
        assertEquals(square.getWidth(), square.getHeight());
    }

    @Test
    void mostPositiveIsWhiteMostNegativeBlackZeroGreyPerTile() {
        // Two 4x3 units: the first with max |w| = 2 on both sides, the second with +4 and -1.
        float[] w = new float[2 * 12];
        w[0] = 2f;
        w[1] = -2f;
        w[2] = 0f;
        w[3] = 1f;
        w[12] = 4f;
        w[13] = -1f;
        w[14] = -4f * 0.5f;
        BufferedImage image = FeatureGrid.of(w, 2, 12).imageSize(4, 3).columns(2).magnification(2).separator(1).render();
        assertEquals(255, tilePixel(image, 0, 0, 0, 2, 1, 2));
        assertEquals(0, tilePixel(image, 0, 1, 0, 2, 1, 2));
        assertEquals(128, tilePixel(image, 0, 2, 0, 2, 1, 2));
        assertEquals(192, tilePixel(image, 0, 3, 0, 2, 1, 2), "half of +max");
        assertEquals(128, tilePixel(image, 0, 0, 2, 2, 1, 2), "pixel (0, 2) is input 8: zero");
        assertEquals(255, tilePixel(image, 1, 0, 0, 2, 1, 2));
        assertEquals(96, tilePixel(image, 1, 1, 0, 2, 1, 2), "-1 of 4 is a quarter of the way to black");
        assertEquals(64, tilePixel(image, 1, 2, 0, 2, 1, 2));
        assertEquals(WHITE, image.getRGB(0, 0) & 0xFFFFFF, "separator");
        assertEquals(WHITE, image.getRGB(1 + 8, 1) & 0xFFFFFF, "separator between the tiles");
    }

    @Test
    void aGlobalScaleMakesTilesComparable() {
        float[] w = new float[2 * 12];
        w[0] = 1f;
        w[12] = 4f;
        w[13] = -4f;
        BufferedImage local = FeatureGrid.of(w, 2, 12).imageSize(4, 3).columns(2).magnification(1).separator(1).render();
        BufferedImage global = FeatureGrid.of(w, 2, 12).imageSize(4, 3).columns(2).magnification(1).separator(1)
                .globalScale(true).render();
        assertEquals(255, tilePixel(local, 0, 0, 0, 1, 1, 2));
        assertEquals(160, tilePixel(global, 0, 0, 0, 1, 1, 2), "1 of 4");
        assertEquals(0, tilePixel(global, 1, 1, 0, 1, 1, 2));
    }

    @Test
    void anAllZeroTileIsGrey() {
        BufferedImage image = FeatureGrid.of(new float[12], 1, 12).imageSize(4, 3).magnification(1).separator(0).render();
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(128, grey(image, x, y));
            }
        }
    }

    @Test
    void aStridedMatrixInsideALargerArrayReadsOnlyItsRows() {
        // Rows of 12 weights padded to 16, after 5 floats of something else; padding and the
        // rest hold huge values that would change every scale if they were read.
        float[] a = new float[5 + 3 * 16 + 7];
        Arrays.fill(a, 1e6f);
        for (int u = 0; u < 3; u++) {
            for (int i = 0; i < 12; i++) {
                a[5 + u * 16 + i] = i == u ? 1f : 0f;
            }
        }
        BufferedImage image = FeatureGrid.of(a, 5, 16, 3, 12).imageSize(4, 3).columns(3).magnification(1).separator(1).render();
        for (int u = 0; u < 3; u++) {
            for (int i = 0; i < 12; i++) {
                assertEquals(i == u ? 255 : 128, tilePixel(image, u, i % 4, i / 4, 1, 1, 3), "unit " + u + " input " + i);
            }
        }
    }

    @Test
    void firstNUnitsLeaveTheRestOutAndEmptyCellsWhite() {
        float[] w = new float[5 * 12];
        Arrays.fill(w, -1f);
        BufferedImage image = FeatureGrid.of(w, 5, 12).imageSize(4, 3).first(3).columns(2).magnification(1).separator(1)
                .render();
        assertEquals(2 * 5 + 1, image.getWidth());
        assertEquals(2 * 4 + 1, image.getHeight());
        assertEquals(0, tilePixel(image, 2, 0, 0, 1, 1, 2));
        for (int y = 5; y < 8; y++) {
            for (int x = 6; x < 10; x++) {
                assertEquals(WHITE, image.getRGB(x, y) & 0xFFFFFF, "cell 3 is empty");
            }
        }
    }

    @Test
    void writePngRoundTrips() throws IOException {
        float[] w = new float[4 * 784];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i * 0.01);
        }
        FeatureGrid grid = FeatureGrid.of(w, 4, 784);
        Path out = dir.resolve("features.png");
        grid.writePng(out);
        BufferedImage read = ImageIO.read(out.toFile());
        BufferedImage rendered = grid.render();
        assertEquals(rendered.getWidth(), read.getWidth());
        assertEquals(rendered.getHeight(), read.getHeight());
        for (int y = 0; y < read.getHeight(); y++) {
            for (int x = 0; x < read.getWidth(); x++) {
                assertEquals(rendered.getRGB(x, y), read.getRGB(x, y));
            }
        }
        assertTrue(Files.size(out) > 0);
    }

    @Test
    void aNanWeightNamesItsUnitAndPixel() {
        float[] w = new float[4 * 784];
        w[3 * 784 + 5 * 28 + 7] = Float.NaN;
        assertRejected(() -> FeatureGrid.of(w, 4, 784).render(), "unit 3", "pixel (7, 5)", "input 147", "NaN");
        assertEquals(2 * 84 + 3 * 2, FeatureGrid.of(w, 4, 784).first(3).render().getWidth(), "unit 3 is not shown");
    }

    @Test
    void shapeErrorsSayWhatWasExpectedAndFound() {
        assertRejected(() -> FeatureGrid.of(new float[784], 1, 784).imageSize(28, 27), "28x27 = 756 pixels", "784 inputs");
        assertRejected(() -> FeatureGrid.of(new float[100], 2, 49), "2 units x 49 inputs = 98 weights, found 100");
        assertRejected(() -> FeatureGrid.of(new float[768], 1, 768).render(), "768 inputs are not a square image",
                "imageSize");
        assertRejected(() -> FeatureGrid.of(new float[40], 0, 16, 3, 12), "need 44 floats, found 40");
        assertRejected(() -> FeatureGrid.of(new float[40], 0, 10, 3, 12), "stride >= inputs (12)");
        assertRejected(() -> FeatureGrid.of(new float[12], 1, 12).first(2), "1 to 1 units");
        assertRejected(() -> FeatureGrid.of(new float[12], 1, 12).magnification(0), "magnification");
        assertRejected(() -> FeatureGrid.of(new float[10_000 * 784], 10_000, 784).columns(10_000).render(),
                "at most 16384");
    }
}
