/**
 * vecmlp: a multilayer-perceptron engine on the Vector API over off-heap memory.
 *
 * <p>The engine ({@code dev.vecmlp.nn}) builds on the kernels ({@code dev.vecmlp.kernel}) and
 * the memory views ({@code dev.vecmlp.memory}). The command line needs picocli at run time; the
 * engine does not. The pictures ({@code dev.vecmlp.plot}: charts, weight images) take plain
 * arrays and use nothing else of vecmlp; nothing in the engine uses them, so training never
 * loads AWT unless asked for a picture.
 */
module dev.vecmlp {
    requires jdk.incubator.vector;
    requires java.desktop;
    requires java.management;
    requires jdk.management;
    requires static info.picocli;

    exports dev.vecmlp.memory;
    exports dev.vecmlp.kernel;
    exports dev.vecmlp.nn;
    exports dev.vecmlp.data;
    exports dev.vecmlp.train;
    exports dev.vecmlp.plot;
    exports dev.vecmlp.io;
    exports dev.vecmlp.check;

    opens dev.vecmlp.cli to info.picocli;
}
