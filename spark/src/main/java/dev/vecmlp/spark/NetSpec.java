package dev.vecmlp.spark;

import java.io.Serializable;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/** An architecture as it travels to the tasks: the engine's {@link Mlp} is not serialisable. */
record NetSpec(int inputs, int[] widths, Activation[] activations, Loss loss, float l2) implements Serializable {
    static NetSpec of(Mlp spec) {
        int depth = spec.depth();
        int[] widths = new int[depth];
        Activation[] acts = new Activation[depth];
        for (int l = 0; l < depth; l++) {
            Layer layer = spec.layer(l);
            widths[l] = layer.outputs();
            acts[l] = layer.activation();
        }
        return new NetSpec(spec.inputs(), widths, acts, spec.loss(), spec.l2());
    }

    Mlp build() {
        Mlp.Builder b = Mlp.input(inputs);
        for (int l = 0; l < widths.length; l++) {
            b.dense(widths[l], activations[l]);
        }
        return b.loss(loss).l2(l2).build();
    }
}
