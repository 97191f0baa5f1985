/**
 * vecmlp: a multilayer-perceptron engine on the Vector API over off-heap memory.
 *
 * <p>The engine ({@code dev.vecmlp.nn}) builds on the kernels ({@code dev.vecmlp.kernel}) and
 * the memory views ({@code dev.vecmlp.memory}). The command line needs picocli at run time; the
 * engine does not.
 */
module dev.vecmlp {
    requires jdk.incubator.vector;
    requires static info.picocli;

    exports dev.vecmlp.memory;
    exports dev.vecmlp.kernel;
    exports dev.vecmlp.nn;
    exports dev.vecmlp.data;
    exports dev.vecmlp.io;

    opens dev.vecmlp.cli to info.picocli;
}
