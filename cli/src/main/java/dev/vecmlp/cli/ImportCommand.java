package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.TorchSequential;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Mlp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vecmlp import}: a model saved by PyTorch, written once into a vecmlp model file with its
 * architecture and input scaling in the metadata, so that later commands need no options. The
 * PyTorch file is only read; the copy is a new file, written atomically by {@link ModelFile#write}.
 */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Copy a model saved by PyTorch into a vecmlp model file.",
                "",
                "The copy has the architecture and input scaling in its metadata, so that",
                "eval, predict, features and gradcheck take it with no options. The PyTorch",
                "file is only read.",
                "",
                "It is the safetensors state dict of an nn.Sequential of Linear and",
                "parameter-free modules (activations, Dropout, Identity). Its Linear modules",
                "are the layers in index order; the copy names them as vecmlp numbers layers",
                "(0.weight, 2.weight, ... with an activation module between), prints which",
                "became which, and stores float32 (F64 tensors are rounded)."})
public final class ImportCommand implements Callable<Integer> {
    /** Metadata of the copy: the file it was imported from, and that file's Linear modules in layer order. */
    static final String FROM_KEY = "imported.from";
    static final String MODULES_KEY = "imported.modules";

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true,
            description = "The file saved by PyTorch (safetensors, no vecmlp metadata).")
    Path model;

    @Mixin
    ArchitectureOptions architecture;

    @Mixin
    ScalingOption scaling;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true,
            description = "The vecmlp model file to write; never the PyTorch file itself.")
    Path output;

    @Option(names = "--force", description = "Replace --output if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        checkOutput();
        try (ArchitectureOptions.Loaded loaded = architecture.load(model, KernelProvider.best(), scaling)) {
            TorchSequential net = loaded.sequential();
            if (net == null) {
                throw new IllegalArgumentException(model + ": expected a file without vecmlp metadata (one saved by PyTorch),"
                        + " found vecmlp metadata: it needs no import; eval, predict, features and gradcheck take it as it is");
            }
            Mlp m = loaded.contents().model().spec();
            StringJoiner modules = new StringJoiner(",");
            net.linears().forEach(l -> modules.add(Integer.toString(l.module())));
            Map<String, String> meta = new LinkedHashMap<>(loaded.contents().metadata());
            meta.put(FROM_KEY, String.valueOf(model.getFileName()));
            meta.put(MODULES_KEY, modules.toString());
            ModelFile.write(output, loaded.contents().model(), loaded.contents().scaling(), meta);

            PrintWriter out = spec.commandLine().getOut();
            out.printf("read:    %s, an nn.Sequential state dict with Linear modules %s%n", model, modules.toString().replace(",", ", "));
            for (String line : ArchitectureOptions.mapping(loaded)) {
                out.println(line);
            }
            if (loaded.renumbered()) {
                out.println("         (renumbered: the modules between hold no parameters, such as activations, Dropout, Identity)");
            }
            out.printf(Locale.ROOT, "network: %s; scaling %s%n", m, loaded.contents().scaling().kind().name().toLowerCase(Locale.ROOT));
            out.printf("wrote:   %s; eval, predict, features and gradcheck take it with no architecture options%n", output);
            out.flush();
        }
        return 0;
    }

    /** The copy must be a new file (or --force), and never the file it is made from, whatever --force says. */
    private void checkOutput() throws IOException {
        boolean same = output.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())
                || (Files.exists(output) && Files.exists(model) && Files.isSameFile(output, model));
        if (same) {
            throw new IllegalArgumentException("--output: expected a new file, found " + output + ", the file given as --model;"
                    + " import never replaces the file it reads");
        }
        OutputGuard.checkNew("--output", output, force, "a model file to write");
    }
}
