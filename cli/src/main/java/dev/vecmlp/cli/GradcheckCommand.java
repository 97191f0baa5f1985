package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

import dev.vecmlp.check.Batch;
import dev.vecmlp.check.GradientCheck;
import dev.vecmlp.check.GradientReport;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vecmlp gradcheck}: the engine's gradients against a float64 reference network, and the
 * reference against finite differences ({@link GradientCheck}), on random networks, a network
 * given by options, or a model file.
 */
@Command(
        name = "gradcheck",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Prove the gradients right: backprop against finite differences, the engine against backprop.",
                "",
                "(1) A float64 reference network's backprop against central finite differences;",
                "(2) the engine's float32 gradients against the reference, within float32 rounding.",
                "",
                "With no network options: --networks random networks (depth 1-4, widths",
                "1-33, every activation and loss). Network options without --model check",
                "one network (--layers default 16:tanh); with --model they describe a file",
                "without vecmlp metadata, such as one saved by PyTorch. Prints a table per",
                "tensor for each verdict; exits 0 when every network passes, 1 when one",
                "fails, 2 on a usage error."})
public final class GradcheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** What the engine runs on, given the kernels chosen: the kernels themselves, except in tests of a failing check. */
    private final UnaryOperator<Kernels> engine;

    public GradcheckCommand() {
        this(UnaryOperator.identity());
    }

    GradcheckCommand(UnaryOperator<Kernels> engine) {
        this.engine = engine;
    }

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "Check this model file (safetensors) at its parameters.")
    Path model;

    @Mixin
    ArchitectureOptions architecture;

    @Option(names = "--inputs", paramLabel = "N", description = "Input width of a network without --model (default: 8).")
    Integer inputs;

    @Option(names = "--outputs", paramLabel = "N", description = "Output width of a network without --model (default: 3).")
    Integer outputs;

    @Option(names = "--networks", paramLabel = "N", defaultValue = "5",
            description = "Random networks to check when no network is given (default: ${DEFAULT-VALUE}).")
    int networks;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of the networks, their weights and the batch (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Rows of random data per check (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--kernels", paramLabel = "NAME", defaultValue = "best",
            description = "The engine's kernels: simd, scalar or best (default: ${DEFAULT-VALUE}).")
    String kernels;

    @Option(names = "--max-coordinates", paramLabel = "N", defaultValue = "200",
            description = "Finite differences at most this many coordinates per tensor, drawn at random (default: ${DEFAULT-VALUE}).")
    int maxCoordinates;

    /** Networks of this run whose check passed but tested nothing. */
    private int vacuous;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        checkUsage();
        Kernels k = kernels();
        GradientCheck.Options options = GradientCheck.Options.ALL.withMaxCoordinatesPerTensor(maxCoordinates).withSeed(seed);
        List<String> failed = new ArrayList<>();
        int checked = 0;
        if (model != null) {
            try (ModelFile.Contents contents = readModel(k)) {
                checked++;
                if (!check(out, contents.model(), options)) {
                    failed.add(model.toString());
                }
            }
        } else {
            SplittableRandom rng = new SplittableRandom(seed);
            List<Mlp> nets = hasNetworkOptions() ? List.of(givenNetwork()) : randomNetworks(rng, networks);
            for (Mlp net : nets) {
                checked++;
                try (Model m = net.init(rng.nextLong(), k)) {
                    if (!check(out, m, options)) {
                        failed.add(net.toString());
                    }
                }
            }
        }
        out.print(GradientReport.legend());
        out.println();
        if (vacuous > 0) {
            out.printf(Locale.ROOT, "gradcheck: %d of the networks passed vacuously: every gradient compared was exactly 0%n",
                    vacuous);
        }
        if (failed.isEmpty()) {
            out.printf(Locale.ROOT, "gradcheck: %d %s passed on %s%n", checked, checked == 1 ? "network" : "networks", k.name());
        } else {
            out.printf(Locale.ROOT, "gradcheck: %d of %d %s failed on %s: %s%n", failed.size(), checked,
                    checked == 1 ? "network" : "networks", k.name(), String.join("; ", failed));
        }
        out.flush();
        return failed.isEmpty() ? 0 : 1;
    }

    private boolean check(PrintWriter out, Model m, GradientCheck.Options options) {
        Batch b = Batch.random(m.spec(), batch, seed);
        GradientReport report = GradientCheck.check(m, b, options);
        out.print(report.format());
        out.println();
        out.flush();
        if (report.passed() && report.vacuous()) {
            vacuous++;
        }
        return report.passed();
    }

    private boolean hasNetworkOptions() {
        return architecture.given() || inputs != null || outputs != null;
    }

    /** The model file; options that disagree with it, or are missing for a PyTorch file, are a usage error. */
    private ModelFile.Contents readModel(Kernels k) throws IOException {
        // A wrong path is no usage error: checked before the options' errors get the usage text.
        PathArgument.requireFile("--model", model, PathArgument.MODEL);
        try {
            return architecture.read(model, k, null, spec.commandLine().getErr());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private void checkUsage() {
        if (model != null && (inputs != null || outputs != null)) {
            throw usage("--model: the model file's tensors give the widths; leave out --inputs and --outputs");
        }
        if (batch < 1 || batch > 4096) {
            throw usage("--batch: expected 1 to 4096, found " + batch);
        }
        if (networks < 1 || networks > 10_000) {
            throw usage("--networks: expected 1 to 10000, found " + networks);
        }
        if (maxCoordinates < 1) {
            throw usage("--max-coordinates: expected at least 1, found " + maxCoordinates);
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private Kernels kernels() {
        return engine.apply(switch (kernels.trim().toLowerCase(Locale.ROOT)) {
            case "simd" -> KernelProvider.simd();
            case "scalar" -> KernelProvider.scalar();
            case "best" -> KernelProvider.best();
            default -> throw usage("--kernels: expected simd, scalar or best, found '" + kernels + "'");
        });
    }

    /** The network the options describe; a malformed one is a usage error. */
    private Mlp givenNetwork() {
        try {
            int in = inputs != null ? inputs : 8, outs = outputs != null ? outputs : 3;
            if (in < 1 || outs < 1) {
                throw new IllegalArgumentException("--inputs and --outputs: expected at least 1, found " + in + " and " + outs);
            }
            return architecture.network(in, "16:tanh", outs);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw usage(e.getMessage());
        }
    }

    /**
     * {@code count} random networks: depth 1 to 4, widths 1 to 33, the hidden activation and the
     * output activation drawn from all six, either loss, λ 0, 1e-3 or 0.1.
     */
    static List<Mlp> randomNetworks(SplittableRandom rng, int count) {
        Activation[] acts = Activation.values();
        double[] l2s = {0, 1e-3, 0.1};
        List<Mlp> out = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            int depth = 1 + rng.nextInt(4);
            Mlp.Builder b = Mlp.input(1 + rng.nextInt(33));
            Activation hidden = acts[rng.nextInt(acts.length)];
            for (int l = 0; l < depth - 1; l++) {
                b.dense(1 + rng.nextInt(33), hidden);
            }
            Loss lossFn = rng.nextBoolean() ? Loss.SOFTMAX_CROSS_ENTROPY : Loss.SQUARED_ERROR;
            Activation outAct = rng.nextBoolean() ? Activation.LINEAR : acts[rng.nextInt(acts.length)];
            int outs = lossFn == Loss.SOFTMAX_CROSS_ENTROPY ? 2 + rng.nextInt(9) : 1 + rng.nextInt(9);
            out.add(b.dense(outs, outAct).loss(lossFn).l2(l2s[rng.nextInt(l2s.length)]).build());
        }
        return out;
    }
}
