package dev.vecmlp.plot;

import java.awt.Color;
import java.awt.Font;

/** The drawing operations a chart needs, so one layout drives both the PNG and the SVG output. */
interface Canvas {
    /** Horizontal placement of text relative to its x coordinate. */
    enum Anchor { START, MIDDLE, END }

    void fillRect(double x, double y, double w, double h, Color color);

    void strokeRect(double x, double y, double w, double h, Color color, double width);

    /** A straight segment with square-cut ends. */
    void line(double x1, double y1, double x2, double y2, Color color, double width);

    /** A connected line through the first {@code n} points; {@code dash} is null for solid. */
    void polyline(double[] xs, double[] ys, int n, Color color, double width, double[] dash);

    void fillCircle(double cx, double cy, double r, Color color);

    void fillPolygon(double[] xs, double[] ys, Color color);

    /** Text with its baseline at {@code y}. */
    void text(String s, double x, double y, Font font, Color color, Anchor anchor);

    /** Text reading upwards, its baseline on the vertical line {@code baselineX}, centred on {@code centreY}. */
    void verticalText(String s, double baselineX, double centreY, Font font, Color color);

    /** Restricts drawing to a rectangle until {@link #unclip}; clips do not nest. */
    void clip(double x, double y, double w, double h);

    void unclip();
}
