package dev.vecmlp.perf;

import java.util.SplittableRandom;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/** The benchmark networks of shared/bench/TARGETS.md, by the names used there. */
public final class Networks {
    private Networks() {
    }

    /** Hidden layers of {@code B<w>}, the TARGETS.md network; {@code B<w>x<d>} sets another depth. */
    public static final int B_DEFAULT_DEPTH = 4;
    /** The deepest {@code B<w>x<d>}. */
    public static final int B_MAX_DEPTH = 64;

    /**
     * {@code A}: 784-512-512-10, ReLU, softmax cross-entropy (the MNIST MLP). {@code B<w>}:
     * w-w-w-w-w-10, four tanh hidden layers of width w, softmax cross-entropy. {@code B<w>x<d>}:
     * the B network with {@code d} hidden tanh layers of width w (input w, then d layers w wide,
     * then 10 outputs: d + 1 weight layers), so {@code B256} is {@code B256x4}. {@code C}: 2-8-1,
     * logistic, squared error (XOR).
     */
    public static Mlp byName(String name) {
        if (name.equals("A")) {
            return Mlp.input(784)
                    .dense(512, Activation.RELU)
                    .dense(512, Activation.RELU)
                    .dense(10, Activation.LINEAR)
                    .loss(Loss.SOFTMAX_CROSS_ENTROPY)
                    .build();
        }
        if (name.equals("C")) {
            return Mlp.input(2).dense(8, Activation.LOGISTIC).dense(1, Activation.LOGISTIC)
                    .loss(Loss.SQUARED_ERROR).build();
        }
        if (name.matches("B[1-9][0-9]{0,5}(x[1-9][0-9]?)?")) {
            int x = name.indexOf('x');
            int w = Integer.parseInt(x < 0 ? name.substring(1) : name.substring(1, x));
            int depth = x < 0 ? B_DEFAULT_DEPTH : Integer.parseInt(name.substring(x + 1));
            if (depth > B_MAX_DEPTH) {
                throw new IllegalArgumentException("network " + name + ": expected at most " + B_MAX_DEPTH
                        + " hidden layers, found " + depth);
            }
            Mlp.Builder b = Mlp.input(w);
            for (int i = 0; i < depth; i++) {
                b.dense(w, Activation.TANH);
            }
            return b.dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        }
        throw new IllegalArgumentException("network: expected A, C, B<width> or B<width>x<depth> (e.g. B256, B256x6),"
                + " found '" + name + "'");
    }

    /** The name of the B network of width {@code w} and {@code depth} hidden layers: {@code B<w>x<depth>}. */
    public static String b(int w, int depth) {
        return "B" + w + "x" + depth;
    }

    /** A batch of the benchmarks' data: inputs uniform in [0, 1), labels uniform over the outputs. */
    public record Data(float[] inputs, int[] labels) {
    }

    /** The benchmarks' batch of {@code rows} rows for {@code spec}, the same on every call (seed 7). */
    public static Data data(Mlp spec, int rows) {
        SplittableRandom rng = new SplittableRandom(7);
        float[] inputs = new float[rows * spec.inputs()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = (float) rng.nextDouble();
        }
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = rng.nextInt(spec.outputs());
        }
        return new Data(inputs, labels);
    }

    /**
     * A workspace of {@code model} for {@code rows} rows that a whole forward and backward pass of
     * {@link #data} has filled: every step of the plan finds what the pass left and can run again
     * alone. The caller closes it.
     */
    public static Workspace filled(Model model, int rows) {
        Data d = data(model.spec(), rows);
        Workspace ws = model.workspace(rows);
        ws.setInputs(d.inputs(), rows);
        ws.setLabels(d.labels(), rows);
        model.forwardBackward(ws, rows);
        return ws;
    }
}
