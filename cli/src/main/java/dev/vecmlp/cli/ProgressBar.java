package dev.vecmlp.cli;

import java.io.PrintWriter;
import java.util.Locale;

import dev.vecmlp.train.EpochStats;
import dev.vecmlp.train.Evaluation;
import dev.vecmlp.train.TrainingListener;

/**
 * The training progress the {@code train} command shows: on a terminal, a bar that fills during
 * each epoch; then one line per epoch with its loss, accuracy and speed. Off a terminal (a log, a
 * pipe, CI) only the per-epoch lines, so logs stay readable.
 */
final class ProgressBar implements TrainingListener {
    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private int drawn = -1;

    ProgressBar(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Whether standard output is an interactive terminal. */
    static boolean stdoutIsTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override
    public void batchEnd(int epoch, int batch, int batches, double loss) {
        if (!terminal) {
            return;
        }
        // Redraw only when the bar grows a notch, so the hot loop rarely formats a string.
        int filled = (int) ((long) (batch + 1) * WIDTH / batches);
        if (filled == drawn) {
            return;
        }
        drawn = filled;
        out.printf(Locale.ROOT, "\repoch %3d [%s%s] %3d%%  loss %.4f", epoch + 1, "#".repeat(filled), ".".repeat(WIDTH - filled),
                (batch + 1) * 100 / batches, loss);
        out.flush();
    }

    @Override
    public void epochEnd(EpochStats s) {
        drawn = -1;
        StringBuilder line = new StringBuilder();
        if (terminal) {
            line.append('\r');
        }
        line.append(String.format(Locale.ROOT, "epoch %3d/%d  loss %.4f", s.epoch() + 1, s.epochs(), s.trainLoss()));
        if (!Double.isNaN(s.trainAccuracy())) {
            line.append(String.format(Locale.ROOT, "  accuracy %.4f", s.trainAccuracy()));
        }
        Evaluation v = s.validation();
        if (v != null) {
            line.append(String.format(Locale.ROOT, "  validation loss %.4f", v.loss()));
            if (!Double.isNaN(v.accuracy())) {
                line.append(String.format(Locale.ROOT, " accuracy %.4f", v.accuracy()));
            }
        }
        line.append(String.format(Locale.ROOT, "  %,.0f samples/s  %.2f s", s.examplesPerSecond(), s.seconds()));
        if (terminal) {
            // Clear what is left of the longer progress bar line.
            line.append("\033[K");
        }
        out.println(line);
        out.flush();
    }
}
