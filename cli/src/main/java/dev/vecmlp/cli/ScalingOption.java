package dev.vecmlp.cli;

import picocli.CommandLine.Option;

/**
 * The input scaling of a model file, as an option: with {@link ArchitectureOptions}, for the
 * commands that feed a model data ({@code eval}, {@code predict}) or write one ({@code import}).
 * {@code train} has its own {@code --scaling}, with a default per kind of data, as it fits the
 * scaling to its training set.
 */
final class ScalingOption {
    @Option(names = "--scaling", paramLabel = "KIND",
            description = "Input scaling: none or divide (by 255) (default: the file's, or none).")
    String scaling;
}
