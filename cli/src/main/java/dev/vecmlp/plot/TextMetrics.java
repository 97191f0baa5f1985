package dev.vecmlp.plot;

import java.awt.Font;
import java.awt.font.FontRenderContext;

/**
 * Text sizes measured the way {@link GraphicsCanvas} draws text (antialiased, fractional metrics),
 * so layout needs no Graphics and the SVG output gets the same layout as the PNG.
 */
final class TextMetrics {
    private static final FontRenderContext FRC = new FontRenderContext(null, true, true);

    private TextMetrics() {
    }

    static double width(Font font, String s) {
        return s.isEmpty() ? 0 : font.getStringBounds(s, FRC).getWidth();
    }

    static double ascent(Font font) {
        return font.getLineMetrics("Xg", FRC).getAscent();
    }

    static double descent(Font font) {
        return font.getLineMetrics("Xg", FRC).getDescent();
    }

    static double height(Font font) {
        return ascent(font) + descent(font);
    }

    /** {@code s}, or as much of it as fits in {@code maxWidth} followed by an ellipsis. */
    static String fit(Font font, String s, double maxWidth) {
        if (width(font, s) <= maxWidth) {
            return s;
        }
        int n = s.length();
        while (n > 0 && width(font, s.substring(0, n) + "…") > maxWidth) {
            n--;
        }
        return s.substring(0, n).stripTrailing() + "…";
    }

    /**
     * Height of a digit above the baseline. Centring on it rather than on ascent and descent puts
     * tick labels level with their tick: the font's ascent includes room for accents.
     */
    static double digitHeight(Font font) {
        return font.createGlyphVector(FRC, "0").getVisualBounds().getHeight();
    }
}
