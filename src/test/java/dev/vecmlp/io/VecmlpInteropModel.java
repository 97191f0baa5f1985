package dev.vecmlp.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * The model file vecmlp writes for PyTorch to read in {@link PyTorchInteropTest}: every
 * activation torch has a module for, an L2 term and a standardising input scaling, so that
 * interop/pytorch/check_vecmlp_file.py has to use all of the metadata. Nothing is trained; the
 * biases are drawn too, as init leaves them 0 and a bias read into the wrong place would go
 * unseen.
 *
 * <p>Regenerate the committed file, then its PyTorch fixture, from the repository root:
 *
 * <pre>{@code
 * ./build -o -q test-compile
 * . bin/jdk-env.sh && java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     dev.vecmlp.io.VecmlpInteropModel src/test/resources/interop/pytorch/vecmlp_model.safetensors
 * /usr/bin/python3 interop/pytorch/check_vecmlp_file.py
 * }</pre>
 */
final class VecmlpInteropModel {
    static final Mlp SPEC = Mlp.input(10).dense(13, Activation.RELU).dense(11, Activation.TANH)
            .dense(9, Activation.LOGISTIC).dense(6, Activation.SOFTPLUS).dense(4, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(0.001).build();

    private static final long SEED = 6L;

    private VecmlpInteropModel() {
    }

    static void write(Path file) throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED);
        float[] offset = new float[SPEC.inputs()], factor = new float[SPEC.inputs()];
        for (int c = 0; c < offset.length; c++) {
            offset[c] = (float) (4 * rng.nextDouble() - 2);
            factor[c] = (float) (0.25 + rng.nextDouble());
        }
        try (Model model = SPEC.init(SEED)) {
            for (int l = 0; l < SPEC.depth(); l++) {
                for (int u = 0; u < SPEC.layer(l).outputs(); u++) {
                    model.setBias(l, u, (float) (rng.nextDouble() - 0.5));
                }
            }
            ModelFile.write(file, model, Scaling.of(Scaling.Kind.STANDARDIZE, offset, factor), Map.of());
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: VecmlpInteropModel OUTPUT.safetensors");
            System.exit(2);
        }
        write(Path.of(args[0]));
    }
}
