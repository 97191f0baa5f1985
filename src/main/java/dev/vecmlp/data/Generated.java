package dev.vecmlp.data;

import java.util.SplittableRandom;

import dev.vecmlp.memory.Matrix;

/**
 * Small data sets from the lecture, generated rather than read: every one a two-class
 * classification set with labels 0 and 1, and the same every time (seeded where random).
 */
public final class Generated {
    /** Largest number of inputs {@link #booleanFunction} accepts: 2^20 rows is about a million. */
    public static final int MAX_BOOLEAN_INPUTS = 20;

    /** Pixels in the ring of {@link #patterns()}. */
    public static final int RING = 16;

    // A: a solid bar of four pixels. B: four pixels too, but with a gap, so that no cyclic shift
    // of B is A; otherwise one row would carry both labels.
    private static final int[] PATTERN_A = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final int[] PATTERN_B = {1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    private Generated() {
    }

    /** XOR: rows (0,0), (0,1), (1,0), (1,1) with labels 0, 1, 1, 0. */
    public static Dataset xor() {
        return Dataset.ofClassification("xor", new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 2, new int[] {0, 1, 1, 0}, 2);
    }

    /**
     * The translation-invariance example: why a network without hidden units cannot recognise a
     * pattern wherever it appears.
     *
     * <p>Two binary patterns of {@value #RING} pixels on a ring (pixel 15 is next to pixel 0),
     * each with four pixels on:
     * <pre>
     * A = 1111 0000 0000 0000   (a solid bar, label 0)
     * B = 1110 1000 0000 0000   (a bar with a gap, label 1)
     * </pre>
     * B is not a cyclic translation of A. The set holds all 16 cyclic translations of each: row
     * {@code s} is A shifted right by {@code s} pixels, row {@code 16 + s} is B shifted right by
     * {@code s}; 32 rows of 16 features.
     *
     * <p>Over all translations every pixel is on in exactly four A rows and four B rows, so both
     * classes have the same mean, and for any weights {@code w} and bias {@code b} the sum of
     * {@code w·x + b} over the A rows equals its sum over the B rows. A linear threshold unit that
     * put every A row below its threshold and every B row above would make the first sum smaller
     * than the second: no such unit exists, and no single layer separates the two classes.
     */
    public static Dataset patterns() {
        Dataset d = Dataset.classification("translated patterns", 2 * RING, RING, 2);
        Matrix x = d.featureMatrix();
        for (int s = 0; s < RING; s++) {
            for (int i = 0; i < RING; i++) {
                int from = Math.floorMod(i - s, RING);
                x.set(s, i, PATTERN_A[from]);
                x.set(RING + s, i, PATTERN_B[from]);
            }
            d.setLabel(RING + s, 1);
        }
        return d;
    }

    /**
     * All {@code 2^inputs} inputs of a random Boolean function of {@code inputs} inputs. Row
     * {@code r} holds the binary digits of {@code r}, most significant first, as 0/1 features, so
     * the rows are the function's truth table in counting order; the labels are drawn from a
     * {@link SplittableRandom} seeded with {@code seed}, one fair coin per row in row order. The
     * function may happen to be constant (likeliest for one input).
     *
     * @throws IllegalArgumentException if {@code inputs} is not in {@code [1, 20]}
     */
    public static Dataset booleanFunction(int inputs, long seed) {
        if (inputs < 1 || inputs > MAX_BOOLEAN_INPUTS) {
            throw new IllegalArgumentException("boolean function: expected 1 to " + MAX_BOOLEAN_INPUTS
                    + " inputs (2 to 2^" + MAX_BOOLEAN_INPUTS + " rows), found " + inputs);
        }
        int rows = 1 << inputs;
        Dataset d = Dataset.classification("boolean function of " + inputs + " inputs (seed " + seed + ")", rows, inputs, 2);
        Matrix x = d.featureMatrix();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < inputs; j++) {
                x.set(r, j, (r >>> (inputs - 1 - j)) & 1);
            }
            d.setLabel(r, rng.nextInt(2));
        }
        return d;
    }
}
