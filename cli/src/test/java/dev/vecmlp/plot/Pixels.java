package dev.vecmlp.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;

/** Looking for colours in rendered pictures. */
final class Pixels {
    private Pixels() {
    }

    /** Each channel within {@code tolerance} of the colour's (antialiased edges blend with white). */
    static boolean near(int rgb, Color c, int tolerance) {
        return Math.abs(((rgb >> 16) & 0xFF) - c.getRed()) <= tolerance
                && Math.abs(((rgb >> 8) & 0xFF) - c.getGreen()) <= tolerance
                && Math.abs((rgb & 0xFF) - c.getBlue()) <= tolerance;
    }

    /** Whether some pixel within {@code radius} of (x, y) is near the colour. */
    static boolean colourAround(BufferedImage image, double x, double y, int radius, Color c) {
        int cx = (int) Math.floor(x), cy = (int) Math.floor(y);
        for (int py = cy - radius; py <= cy + radius; py++) {
            for (int px = cx - radius; px <= cx + radius; px++) {
                if (px >= 0 && py >= 0 && px < image.getWidth() && py < image.getHeight()
                        && near(image.getRGB(px, py), c, 40)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** How many pixels of the rectangle are near the colour. */
    static int count(BufferedImage image, int x0, int y0, int x1, int y1, Color c) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(image.getWidth(), x1); x++) {
                if (near(image.getRGB(x, y), c, 40)) {
                    n++;
                }
            }
        }
        return n;
    }
}
