package dev.vecmlp.kernel;

import java.lang.reflect.Constructor;

/**
 * Chooses the kernels once per JVM: the Vector API kernels when {@code jdk.incubator.vector} is
 * readable, else the scalar ones with one log line that says how to get the fast path.
 *
 * <p>{@code -Dvecmlp.kernels=scalar} forces the scalar kernels; {@code -Dvecmlp.kernels=simd}
 * makes a missing Vector API an error instead of a fallback.
 */
public final class KernelProvider {
    private static final System.Logger LOG = System.getLogger(KernelProvider.class.getName());
    private static final String VECTOR_MODULE = "jdk.incubator.vector";

    private KernelProvider() {
    }

    private static final class Holder {
        static final Kernels BEST = choose();
    }

    /** The kernels this JVM should use. */
    public static Kernels best() {
        return Holder.BEST;
    }

    /** The scalar kernels. */
    public static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** Whether the Vector API module is present and readable from this code. */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE)
                .map(m -> KernelProvider.class.getModule().canRead(m))
                .orElse(false);
    }

    /**
     * The Vector API kernels.
     *
     * @throws IllegalStateException if {@code jdk.incubator.vector} is not readable
     */
    public static Kernels simd() {
        if (!vectorApiAvailable()) {
            throw new IllegalStateException("the Vector API kernels need the module " + VECTOR_MODULE
                    + ", which this JVM did not resolve; start java with --add-modules " + VECTOR_MODULE);
        }
        try {
            // By name, so that this class loads even where the Vector API classes do not.
            Constructor<?> c = Class.forName(KernelProvider.class.getPackageName() + ".SimdKernels").getDeclaredConstructor();
            return (Kernels) c.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load the Vector API kernels: " + e, e);
        }
    }

    private static Kernels choose() {
        String wanted = System.getProperty("vecmlp.kernels", "auto").trim();
        switch (wanted) {
            case "scalar":
                LOG.log(System.Logger.Level.INFO, "vecmlp: scalar kernels (-Dvecmlp.kernels=scalar)");
                return scalar();
            case "simd":
                return simd();
            case "auto":
                if (vectorApiAvailable()) {
                    return simd();
                }
                LOG.log(System.Logger.Level.WARNING, "vecmlp: " + VECTOR_MODULE + " is not available, so vecmlp"
                        + " runs on its scalar kernels, many times slower; start java with --add-modules " + VECTOR_MODULE);
                return scalar();
            default:
                throw new IllegalArgumentException("vecmlp.kernels: expected auto, simd or scalar, found '" + wanted + "'");
        }
    }

    /** One line on the kernels in use, for logs and {@code vecmlp info}. */
    public static String describe() {
        Kernels k = best();
        return "kernels: " + k.name() + (k instanceof ScalarKernels ? "" : " (" + VECTOR_MODULE + ")")
                + (k.tuning().isEmpty() ? "" : ", " + k.tuning())
                + ", vector API " + (vectorApiAvailable() ? "available" : "not available");
    }
}
