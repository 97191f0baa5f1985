package dev.vecmlp.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.Generated;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Predictor;
import dev.vecmlp.train.Evaluation;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vecmlp demo xor} and {@code vecmlp demo patterns}: the lecture's two examples of what a
 * linear model cannot do and a hidden layer can.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
                "The lecture's examples: XOR, translated patterns, Boolean functions.",
                "",
                "xor: XOR three ways. patterns: translated patterns no linear model",
                "separates. boolean: a random Boolean function of D inputs."},
        subcommands = {DemoCommand.Xor.class, DemoCommand.Patterns.class, DemoCommand.BooleanFunction.class})
public final class DemoCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code demo xor}. */
    @Command(
            name = "xor",
            mixinStandardHelpOptions = true,
            description = {
                    "XOR three ways; exits 1 unless every part gets all four cases right.",
                    "",
                    "1. The hand-built network of hard-threshold units: h1 = OR, h2 = AND,",
                    "   y = h1 AND NOT h2.",
                    "2. One linear threshold unit, trained on the features",
                    "   psi(x) = (x1, x2, x1*x2), which make XOR linearly separable",
                    "   (and, for contrast, the same unit on (x1, x2) alone).",
                    "3. A 2-layer network (2-4-1, tanh then logistic) learned by gradient descent."})
    static final class Xor implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the learned parts (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            boolean allRight = true;
            try (Dataset xor = Generated.xor()) {
                out.println("1. Hand-built network of hard-threshold units (the lecture's weights)");
                out.println("   h1 = [x1 + x2 - 0.5 > 0] (OR)   h2 = [x1 + x2 - 1.5 > 0] (AND)   y = [h1 - h2 - 0.5 > 0]");
                Mlp threshold = Mlp.input(2).dense(2, Activation.HARD_THRESHOLD).dense(1, Activation.HARD_THRESHOLD)
                        .loss(Loss.SQUARED_ERROR).build();
                try (Model m = threshold.init(0)) {
                    m.setParameters(new float[] {1, 1, 1, 1, -0.5f, -1.5f, 1, -1, -0.5f});
                    allRight &= table(out, m, xor, xor);
                }

                out.println();
                out.println("2. One linear threshold unit on psi(x) = (x1, x2, x1*x2), trained (logistic, squared error)");
                Mlp linear3 = Mlp.input(3).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).build();
                try (Dataset psi = psiFeatures(xor); Model m = linear3.init(seed)) {
                    train(m, psi, Optimizer.sgd(2.0).momentum(0.9), 4, 2000, seed);
                    float[] p = m.parametersToArray();
                    out.printf(Locale.ROOT, "   learned: y = [%.2f*x1 + %.2f*x2 + %.2f*x1*x2 + %.2f > 0]%n", p[0], p[1], p[2], p[3]);
                    allRight &= table(out, m, psi, xor);
                }
                Mlp linear2 = Mlp.input(2).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).build();
                try (Model m = linear2.init(seed)) {
                    train(m, xor, Optimizer.sgd(2.0).momentum(0.9), 4, 2000, seed);
                    int right = countRight(m, xor);
                    out.printf(Locale.ROOT, "   for contrast, the same unit on (x1, x2) alone gets %d of 4 right:"
                            + " no line separates XOR%n", right);
                }

                out.println();
                out.println("3. A 2-layer network, 2-4-1 (tanh, logistic), learned by gradient descent");
                Mlp learned = Mlp.input(2).dense(4, Activation.TANH).dense(1, Activation.LOGISTIC).loss(Loss.SQUARED_ERROR).build();
                try (Model m = learned.init(seed)) {
                    train(m, xor, Optimizer.sgd(1.0).momentum(0.9), 4, 2000, seed);
                    allRight &= table(out, m, xor, xor);
                }
            }
            out.println();
            out.println(allRight ? "all four cases right in every part" : "FAILED: some part got a case wrong");
            out.flush();
            return allRight ? 0 : 1;
        }

        /** The lecture's feature map ψ(x) = (x1, x2, x1·x2). */
        private static Dataset psiFeatures(Dataset xor) {
            float[] x = new float[xor.size() * 3];
            int[] y = new int[xor.size()];
            for (int r = 0; r < xor.size(); r++) {
                float x1 = xor.feature(r, 0), x2 = xor.feature(r, 1);
                x[r * 3] = x1;
                x[r * 3 + 1] = x2;
                x[r * 3 + 2] = x1 * x2;
                y[r] = xor.label(r);
            }
            return Dataset.ofClassification("xor, psi features", x, 3, y, 2);
        }

        /** Prints each case with the network's output; true when all are right. */
        private static boolean table(PrintWriter out, Model m, Dataset inputs, Dataset xor) {
            out.println("   x1 x2 | output | y | target");
            boolean all = true;
            try (Predictor p = m.predictor(1)) {
                float[] in = new float[inputs.features()], o = new float[1];
                for (int r = 0; r < inputs.size(); r++) {
                    for (int c = 0; c < in.length; c++) {
                        in[c] = inputs.feature(r, c);
                    }
                    p.predict(in, o);
                    int y = o[0] > 0.5f ? 1 : 0;
                    boolean right = y == xor.label(r);
                    all &= right;
                    out.printf(Locale.ROOT, "    %.0f  %.0f | %6.3f | %d | %d %s%n", xor.feature(r, 0), xor.feature(r, 1), o[0], y,
                            xor.label(r), right ? "right" : "WRONG");
                }
            }
            return all;
        }

        private static int countRight(Model m, Dataset d) {
            try (Trainer t = Trainer.builder(m, Optimizer.sgd(1)).threads(1).build()) {
                return (int) Math.round(t.evaluate(d).accuracy() * d.size());
            }
        }
    }

    /** {@code demo patterns}. */
    @Command(
            name = "patterns",
            mixinStandardHelpOptions = true,
            description = {
                    "Patterns A and B in all 16 translations (with wrap-around): a linear",
                    "classifier fails, a small MLP separates them. Exits 1 unless the MLP",
                    "reaches 100 %.",
                    "",
                    "Each pixel is on in as many A's as B's, so both classes have the same",
                    "mean and every linear score has the same sum over A as over B."})
    static final class Patterns implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the initial weights and shuffles (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--hidden", defaultValue = "16", description = "Hidden units of the MLP (default: ${DEFAULT-VALUE}).")
        int hidden;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (hidden < 1) {
                spec.commandLine().getErr().printf("--hidden: expected at least 1 unit, found %d%n", hidden);
                return 2;
            }
            try (Dataset data = Generated.patterns()) {
                out.printf("%d patterns of %d pixels: %s%n", data.size(), data.features(), describe(data));
                Mlp linear = Mlp.input(16).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-3).build();
                Mlp mlp = Mlp.input(16).dense(hidden, Activation.RELU).dense(2, Activation.LINEAR)
                        .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
                Evaluation deep = linearAgainstMlp(out, data, seed,
                        linear, "linear classifier (16-2, softmax)", Optimizer.sgd(0.5).momentum(0.9), 32,
                        mlp, "MLP (16-" + hidden + " ReLU-2, softmax)", Optimizer.adam(0.01), 8, 500);
                return deep.accuracy() == 1.0 ? 0 : 1;
            }
        }

        private static String describe(Dataset d) {
            StringBuilder s = new StringBuilder();
            for (int label = 0; label < 2; label++) {
                for (int r = 0; r < d.size(); r++) {
                    if (d.label(r) == label) {
                        s.append(label == 0 ? "A = " : ", B = ");
                        for (int c = 0; c < d.features(); c++) {
                            s.append(d.feature(r, c) > 0 ? '#' : '.');
                        }
                        break;
                    }
                }
            }
            return s.append(", each in 16 translations").toString();
        }
    }

    /** {@code demo boolean}. */
    @Command(
            name = "boolean",
            mixinStandardHelpOptions = true,
            description = {
                    "A random Boolean function of D inputs (all 2^D input vectors, labels",
                    "from a seeded coin): one linear threshold unit can represent only a few of",
                    "the 2^(2^D) functions, a hidden layer wide enough represents any. Exits 1",
                    "unless the MLP gets every input right."})
    static final class BooleanFunction implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--inputs", defaultValue = "6", description = "D, the inputs, 1 to 8 (default: ${DEFAULT-VALUE}).")
        int inputs;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the truth table and the training (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            if (inputs < 1 || inputs > 8) {
                spec.commandLine().getErr().printf("--inputs: expected 1 to 8 inputs, found %d%n", inputs);
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            // 2^D hidden units are enough for any function (one unit per input vector); far fewer usually do.
            int hidden = Math.max(8, 1 << inputs);
            try (Dataset data = Generated.booleanFunction(inputs, seed)) {
                out.printf("a random Boolean function of %d inputs: %d input vectors%n", inputs, data.size());
                Mlp linear = Mlp.input(inputs).dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
                Mlp mlp = Mlp.input(inputs).dense(hidden, Activation.TANH).dense(2, Activation.LINEAR)
                        .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
                Evaluation deep = linearAgainstMlp(out, data, seed,
                        linear, "linear classifier (" + inputs + "-2, softmax)", Optimizer.adam(0.05), 16,
                        mlp, "MLP (" + inputs + "-" + hidden + " tanh-2, softmax)", Optimizer.adam(0.01), 16, 2000);
                return deep.accuracy() == 1.0 ? 0 : 1;
            }
        }
    }

    /**
     * Trains a linear classifier (300 epochs) and an MLP on the whole set, prints both
     * accuracies, and returns the MLP's figures.
     */
    private static Evaluation linearAgainstMlp(PrintWriter out, Dataset data, long seed,
                                               Mlp linear, String linearName, Optimizer linearOptimizer, int linearBatch,
                                               Mlp mlp, String mlpName, Optimizer mlpOptimizer, int mlpBatch, int mlpEpochs) {
        Evaluation lin, deep;
        try (Model m = linear.init(seed)) {
            lin = train(m, data, linearOptimizer, linearBatch, 300, seed);
        }
        try (Model m = mlp.init(seed)) {
            deep = train(m, data, mlpOptimizer, mlpBatch, mlpEpochs, seed);
        }
        int width = Math.max(linearName.length(), mlpName.length()) + 2;
        out.printf(Locale.ROOT, "%-" + width + "s accuracy %5.1f %% (loss %.3f)%n", linearName + ":", 100 * lin.accuracy(), lin.loss());
        out.printf(Locale.ROOT, "%-" + width + "s accuracy %5.1f %% (loss %.3f)%n", mlpName + ":", 100 * deep.accuracy(), deep.loss());
        out.flush();
        return deep;
    }

    /** Trains on the whole set, one thread (the sets are tiny), and returns the figures on it. */
    static Evaluation train(Model m, Dataset d, Optimizer o, int batch, int epochs, long seed) {
        try (Trainer t = Trainer.builder(m, o).batch(batch).epochs(epochs).seed(seed).threads(1).build()) {
            t.fit(d, null);
            return t.evaluate(d);
        }
    }
}
