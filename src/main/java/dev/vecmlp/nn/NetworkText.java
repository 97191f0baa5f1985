package dev.vecmlp.nn;

import java.util.Locale;


/**
 * The names of layers, activations and losses as the command line writes them
 * ({@code --layers 512:relu,512:relu}, {@code --loss softmax}), for every front end that takes
 * them as text: the command line, and the Spark estimator's parameters.
 */
public final class NetworkText {
    private NetworkText() {
    }

    /** A layer as the command line takes it: {@code 512:relu}. */
    public record LayerText(int width, Activation activation) {
    }

    /** Parses {@code linear, relu, softplus, threshold (step), logistic (sigmoid), tanh}. */
    public static Activation activation(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "linear", "identity" -> Activation.LINEAR;
            case "relu" -> Activation.RELU;
            case "softplus", "softrelu", "soft-relu" -> Activation.SOFTPLUS;
            case "threshold", "step", "hard-threshold", "hard_threshold" -> Activation.HARD_THRESHOLD;
            case "logistic", "sigmoid" -> Activation.LOGISTIC;
            case "tanh" -> Activation.TANH;
            default -> throw new IllegalArgumentException("activation: expected linear, relu, softplus, threshold, logistic or tanh,"
                    + " found '" + s + "'");
        };
    }

    /** Parses {@code softmax} (softmax cross-entropy) or {@code squared} (squared error). */
    public static Loss loss(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "softmax", "cross-entropy", "softmax-cross-entropy", "softmax_cross_entropy", "ce" -> Loss.SOFTMAX_CROSS_ENTROPY;
            case "squared", "squared-error", "squared_error", "mse" -> Loss.SQUARED_ERROR;
            default -> throw new IllegalArgumentException("loss: expected softmax or squared, found '" + s + "'");
        };
    }

    /** Parses hidden layers {@code 512:relu,512:relu}; the activation defaults to relu; empty means none. */
    public static LayerText[] hiddenLayers(String s) {
        String t = s.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("none")) {
            return new LayerText[0];
        }
        String[] parts = t.split(",");
        LayerText[] out = new LayerText[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] wa = parts[i].trim().split(":", -1);
            if (wa.length > 2 || wa[0].isEmpty()) {
                throw new IllegalArgumentException("--layers: expected WIDTH[:ACTIVATION] for hidden layer " + (i + 1)
                        + " (e.g. 512:relu), found '" + parts[i].trim() + "'");
            }
            int width;
            try {
                width = Integer.parseInt(wa[0].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--layers: expected a whole number of units for hidden layer " + (i + 1)
                        + ", found '" + wa[0].trim() + "'");
            }
            if (width < 1) {
                throw new IllegalArgumentException("--layers: expected at least 1 unit in hidden layer " + (i + 1) + ", found " + width);
            }
            out[i] = new LayerText(width, wa.length == 2 ? activation(wa[1]) : Activation.RELU);
        }
        return out;
    }

    /** The command line's name of a loss: what {@link #loss} takes first. */
    public static String name(Loss l) {
        return switch (l) {
            case SOFTMAX_CROSS_ENTROPY -> "softmax";
            case SQUARED_ERROR -> "squared";
        };
    }

    /** The command line's name of an activation. */
    public static String name(Activation a) {
        return switch (a) {
            case LINEAR -> "linear";
            case RELU -> "relu";
            case SOFTPLUS -> "softplus";
            case HARD_THRESHOLD -> "threshold";
            case LOGISTIC -> "logistic";
            case TANH -> "tanh";
        };
    }
}
