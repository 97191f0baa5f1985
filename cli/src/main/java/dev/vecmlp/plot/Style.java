package dev.vecmlp.plot;

/** How a {@link LineChart} series' line is stroked. */
public enum Style {
    /** A continuous line. */
    SOLID,
    /** A dashed line: for a second curve of the same kind (validation next to training) or a model. */
    DASHED
}
