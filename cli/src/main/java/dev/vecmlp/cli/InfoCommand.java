package dev.vecmlp.cli;

import java.io.PrintWriter;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vecmlp info}: the Java runtime, the kernels this machine gets, and a self-check that runs
 * network A forward and backward on those kernels and on the scalar reference kernels and compares
 * the gradients.
 */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = {
                "Show the Java runtime and kernels of this machine, and check the kernels.",
                "",
                "Network A (784-512-512-10, ReLU, softmax cross-entropy) runs forward",
                "and backward on the selected kernels and on the scalar reference",
                "kernels; the gradients must agree to float32 rounding. Exits 1 if not."})
public final class InfoCommand implements Callable<Integer> {
    /** Largest gradient difference accepted, relative to the largest gradient of the tensor. */
    private static final double TOLERANCE = 1e-4;

    @Spec
    CommandSpec spec;

    @Option(names = "--batch", defaultValue = "8", description = "Batch size of the self-check (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--no-check", description = "Only describe the runtime; skip the self-check.")
    boolean noCheck;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Java:       %s (%s)%n", Runtime.version(), System.getProperty("java.vendor"));
        out.printf("Java home:  %s%n", System.getProperty("java.home"));
        out.printf("Processors: %d%n", Runtime.getRuntime().availableProcessors());
        out.printf("Engine:     %s%n", KernelProvider.describe());
        out.flush();
        if (noCheck) {
            return 0;
        }
        if (batch < 1) {
            spec.commandLine().getErr().printf("--batch: expected a batch of at least 1, found %d%n", batch);
            return 2;
        }
        Mlp a = Mlp.input(784)
                .dense(512, Activation.RELU)
                .dense(512, Activation.RELU)
                .dense(10, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY)
                .l2(1e-4)
                .build();
        Kernels best = KernelProvider.best();
        double[] loss = new double[2];
        float[][] grads = new float[2][];
        Kernels[] kernels = {best, KernelProvider.scalar()};
        for (int i = 0; i < 2; i++) {
            try (Model model = a.init(42L, kernels[i]); Workspace ws = model.workspace(batch)) {
                fill(ws, a, batch);
                loss[i] = model.forwardBackward(ws, batch);
                grads[i] = model.gradientsToArray();
            }
        }
        double worst = worstRelativeDifference(grads[0], grads[1]);
        boolean ok = worst <= TOLERANCE && Math.abs(loss[0] - loss[1]) <= TOLERANCE * Math.abs(loss[1]);
        out.printf("Self-check: network A, batch %d, %s against scalar: loss %.6f vs %.6f, "
                        + "largest gradient difference %.2e of the largest gradient: %s%n",
                batch, best.name(), loss[0], loss[1], worst, ok ? "ok" : "MISMATCH");
        out.flush();
        return ok ? 0 : 1;
    }

    /** Inputs like MNIST pixels (in [0, 1], most of them 0) and random labels, from a fixed seed. */
    private static void fill(Workspace ws, Mlp spec, int batch) {
        SplittableRandom rng = new SplittableRandom(7);
        float[] x = new float[batch * spec.inputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextInt(4) == 0 ? (float) rng.nextDouble() : 0f;
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rng.nextInt(spec.outputs());
        }
        ws.setInputs(x, batch);
        ws.setLabels(labels, batch);
    }

    private static double worstRelativeDifference(float[] a, float[] b) {
        double scale = 0, diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(b[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }
}
