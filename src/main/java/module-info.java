/**
 * vecmlp: a multilayer-perceptron engine on the Vector API over off-heap memory.
 *
 * <p>The engine ({@code dev.vecmlp.nn}) builds on the kernels ({@code dev.vecmlp.kernel}) and
 * the memory views ({@code dev.vecmlp.memory}). It needs nothing beyond {@code java.base} and
 * {@code jdk.incubator.vector}: the command line and its pictures are the module
 * {@code dev.vecmlp.cli}. The JIT's counters in {@code java.management} and
 * {@code jdk.management} sharpen {@link dev.vecmlp.nn.WarmUp}'s rule where they are present (on
 * the class path they always are); without them it falls back to the rounds' own times.
 */
module dev.vecmlp {
    requires jdk.incubator.vector;
    requires static java.management;
    requires static jdk.management;

    exports dev.vecmlp.memory;
    exports dev.vecmlp.kernel;
    exports dev.vecmlp.nn;
    exports dev.vecmlp.data;
    exports dev.vecmlp.train;
    exports dev.vecmlp.io;
    exports dev.vecmlp.check;
}
