package dev.vecmlp.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.StringJoiner;

import dev.vecmlp.data.Dataset;

/**
 * Catches a mistyped class label before it becomes a network with thousands of outputs. When the
 * classes are inferred from the labels (the largest label plus one), one label of 50000 among
 * labels 0-2 makes 50,001 classes, 49,997 of them with no example, and training would go ahead
 * without a word. A training set where most classes have no example is refused, naming the
 * labels seen and where the largest one is, unless the user says it is meant
 * ({@code --allow-sparse-labels}); a set where only some classes are empty trains with a note.
 */
final class LabelCheck {
    /** Labels listed in a message, at most. */
    private static final int LISTED = 12;

    private LabelCheck() {
    }

    /**
     * Checks the labels of {@code train}, read from {@code source}: throws when more than half of
     * its classes have no example (unless {@code allowSparse}), and prints a note to {@code err}
     * when some do. Nothing for a regression or an unlabeled set.
     */
    static void check(String source, Dataset train, boolean allowSparse, PrintWriter err) {
        if (!train.isClassification()) {
            return;
        }
        int classes = train.classes();
        int[] count = new int[classes];
        int maxRow = 0;
        for (int r = 0; r < train.size(); r++) {
            int label = train.label(r);
            count[label]++;
            if (label > train.label(maxRow)) {
                maxRow = r;
            }
        }
        int empty = 0;
        for (int c : count) {
            empty += c == 0 ? 1 : 0;
        }
        if (empty == 0) {
            return;
        }
        int seen = classes - empty;
        if (2 * empty > classes && !allowSparse) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s, labels: expected most of the classes 0 to %d to have examples (the classes are the largest"
                            + " label plus one), found %,d distinct labels (%s) for %,d classes, %,d of them with no"
                            + " example; the largest label, %d, is on example %,d of %,d. Is a label mistyped? Fix it,"
                            + " or pass --allow-sparse-labels to train %,d outputs anyway.",
                    source, classes - 1, seen, list(count, true), classes, empty, train.label(maxRow), maxRow + 1,
                    train.size(), classes));
        }
        err.printf(Locale.ROOT, "note: %s: %,d of %,d classes have no training example (%s); the network still has"
                + " an output for each.%n", source, empty, classes, list(count, false));
        err.flush();
    }

    /** The classes with ({@code present}) or without examples, the first {@value #LISTED} and a count of the rest. */
    private static String list(int[] count, boolean present) {
        StringJoiner j = new StringJoiner(", ");
        int listed = 0, more = 0;
        for (int c = 0; c < count.length; c++) {
            if ((count[c] > 0) == present) {
                if (listed < LISTED) {
                    j.add(Integer.toString(c));
                    listed++;
                } else {
                    more++;
                }
            }
        }
        return more == 0 ? j.toString() : j + String.format(Locale.ROOT, " and %,d more", more);
    }
}
