package dev.vecmlp.perf;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/** The benchmark networks of shared/bench/TARGETS.md, by the names used there. */
public final class Networks {
    private Networks() {
    }

    /**
     * {@code A}: 784-512-512-10, ReLU, softmax cross-entropy (the MNIST MLP). {@code B<w>}:
     * w-w-w-w-w-10, four tanh hidden layers of width w, softmax cross-entropy. {@code C}: 2-8-1,
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
        if (name.startsWith("B")) {
            int w = Integer.parseInt(name.substring(1));
            Mlp.Builder b = Mlp.input(w);
            for (int i = 0; i < 4; i++) {
                b.dense(w, Activation.TANH);
            }
            return b.dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        }
        throw new IllegalArgumentException("network: expected A, C or B<width> (e.g. B256), found '" + name + "'");
    }
}
