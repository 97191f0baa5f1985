package dev.vecmlp.plot;

import java.awt.Color;
import java.awt.Font;
import java.math.BigDecimal;

/** A {@link Canvas} that writes SVG 1.1 elements. */
final class SvgCanvas implements Canvas {
    /** The font Java's logical SansSerif maps to on Linux first, then ones of similar widths. */
    private static final String FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif";

    private final StringBuilder out = new StringBuilder();
    private int clips;

    SvgCanvas(int width, int height) {
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\">\n");
    }

    /** The finished document. */
    String finish() {
        return out + "</svg>\n";
    }

    @Override
    public void fillRect(double x, double y, double w, double h, Color color) {
        out.append("<rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"")
                .append(num(w)).append("\" height=\"").append(num(h)).append("\" fill=\"").append(hex(color))
                .append("\"/>\n");
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, Color color, double width) {
        out.append("<rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"")
                .append(num(w)).append("\" height=\"").append(num(h)).append("\" fill=\"none\" stroke=\"")
                .append(hex(color)).append("\" stroke-width=\"").append(num(width)).append("\"/>\n");
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, Color color, double width) {
        out.append("<line x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1)).append("\" x2=\"")
                .append(num(x2)).append("\" y2=\"").append(num(y2)).append("\" stroke=\"").append(hex(color))
                .append("\" stroke-width=\"").append(num(width)).append("\"/>\n");
    }

    @Override
    public void polyline(double[] xs, double[] ys, int n, Color color, double width, double[] dash) {
        out.append("<polyline fill=\"none\" stroke=\"").append(hex(color)).append("\" stroke-width=\"")
                .append(num(width)).append("\" stroke-linejoin=\"round\"");
        if (dash == null) {
            out.append(" stroke-linecap=\"round\"");
        } else {
            out.append(" stroke-dasharray=\"");
            for (int i = 0; i < dash.length; i++) {
                out.append(i == 0 ? "" : " ").append(num(dash[i]));
            }
            out.append('"');
        }
        out.append(" points=\"");
        for (int i = 0; i < n; i++) {
            out.append(i == 0 ? "" : " ").append(num(xs[i])).append(',').append(num(ys[i]));
        }
        out.append("\"/>\n");
    }

    @Override
    public void fillCircle(double cx, double cy, double r, Color color) {
        out.append("<circle cx=\"").append(num(cx)).append("\" cy=\"").append(num(cy)).append("\" r=\"")
                .append(num(r)).append("\" fill=\"").append(hex(color)).append("\"/>\n");
    }

    @Override
    public void fillPolygon(double[] xs, double[] ys, Color color) {
        out.append("<polygon fill=\"").append(hex(color)).append("\" points=\"");
        for (int i = 0; i < xs.length; i++) {
            out.append(i == 0 ? "" : " ").append(num(xs[i])).append(',').append(num(ys[i]));
        }
        out.append("\"/>\n");
    }

    @Override
    public void text(String s, double x, double y, Font font, Color color, Anchor anchor) {
        openText(x, y, font, color, anchor);
        out.append('>').append(escape(s)).append("</text>\n");
    }

    @Override
    public void verticalText(String s, double baselineX, double centreY, Font font, Color color) {
        openText(baselineX, centreY, font, color, Anchor.MIDDLE);
        out.append(" transform=\"rotate(-90 ").append(num(baselineX)).append(' ').append(num(centreY))
                .append(")\">").append(escape(s)).append("</text>\n");
    }

    private void openText(double x, double y, Font font, Color color, Anchor anchor) {
        out.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" font-family=\"")
                .append(FONT_FAMILY).append("\" font-size=\"").append(num(font.getSize2D())).append('"');
        if (font.isBold()) {
            out.append(" font-weight=\"bold\"");
        }
        out.append(" fill=\"").append(hex(color)).append('"');
        switch (anchor) {
            case START -> { }
            case MIDDLE -> out.append(" text-anchor=\"middle\"");
            case END -> out.append(" text-anchor=\"end\"");
        }
    }

    @Override
    public void clip(double x, double y, double w, double h) {
        String id = "clip" + clips++;
        out.append("<clipPath id=\"").append(id).append("\"><rect x=\"").append(num(x)).append("\" y=\"")
                .append(num(y)).append("\" width=\"").append(num(w)).append("\" height=\"").append(num(h))
                .append("\"/></clipPath>\n<g clip-path=\"url(#").append(id).append(")\">\n");
    }

    @Override
    public void unclip() {
        out.append("</g>\n");
    }

    /** Two decimals are a hundredth of a pixel: finer than any renderer shows. */
    private static String num(double v) {
        return BigDecimal.valueOf(Math.round(v * 100), 2).stripTrailingZeros().toPlainString();
    }

    private static String hex(Color c) {
        return String.format("#%06x", c.getRGB() & 0xFFFFFF);
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
