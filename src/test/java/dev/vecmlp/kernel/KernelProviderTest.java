package dev.vecmlp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;

import org.junit.jupiter.api.Test;

/**
 * {@link KernelProvider}. Surefire starts the test JVM with {@code --add-modules
 * jdk.incubator.vector}, so the Vector API is available here.
 *
 * <p>{@link KernelProvider#best()} is chosen once per class loader, so the tests of
 * {@code -Dvecmlp.kernels} load a fresh copy of the kernel classes in a class loader of their own
 * each time, with the property set around the first call.
 */
class KernelProviderTest {
    private static final String PROPERTY = "vecmlp.kernels";

    @Test
    void vectorApiIsAvailableInTests() {
        assertTrue(KernelProvider.vectorApiAvailable(), "the test JVM runs with --add-modules jdk.incubator.vector");
    }

    @Test
    void bestFollowsThePropertyAndIsSimdByDefault() {
        Kernels best = KernelProvider.best();
        if (System.getProperty(PROPERTY, "auto").trim().equals("scalar")) {
            assertSame(ScalarKernels.INSTANCE, best);
        } else {
            assertInstanceOf(SimdKernels.class, best);
        }
        assertSame(best, KernelProvider.best(), "chosen once");
    }

    @Test
    void simdAndScalarByName() {
        assertSame(ScalarKernels.INSTANCE, KernelProvider.scalar());
        assertEquals("scalar", KernelProvider.scalar().name());
        Kernels simd = KernelProvider.simd();
        assertInstanceOf(SimdKernels.class, simd);
        assertEquals("simd-" + SimdShape.SPECIES.vectorBitSize(), simd.name());
        assertTrue(simd.name().matches("simd-(128|256|512)"), simd.name());
    }

    @Test
    void describeNamesTheKernelsAndTheVectorApi() {
        String d = KernelProvider.describe();
        assertTrue(d.contains(KernelProvider.best().name()), d);
        assertTrue(d.contains("vector API available"), d);
        if (KernelProvider.best() instanceof SimdKernels) {
            assertTrue(d.contains("jdk.incubator.vector"), d);
        }
    }

    @Test
    void propertyScalarForcesTheScalarKernels() throws Exception {
        assertEquals("scalar", bestNameWith("scalar"));
    }

    @Test
    void propertySimdAndAutoGiveTheVectorKernels() throws Exception {
        String simd = KernelProvider.simd().name();
        assertEquals(simd, bestNameWith("simd"));
        assertEquals(simd, bestNameWith(" auto "));
        assertEquals(simd, bestNameWith(null));
    }

    @Test
    void propertyWithAnUnknownValueIsRejected() {
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> bestNameWith("fast"));
        Throwable cause = e.getCause();
        assertInstanceOf(ExceptionInInitializerError.class, cause);
        assertInstanceOf(IllegalArgumentException.class, cause.getCause());
        assertTrue(cause.getCause().getMessage().contains("'fast'"), cause.getCause().getMessage());
    }

    /**
     * {@code KernelProvider.best().name()} in a fresh class loader over the main classes, with
     * {@code -Dvecmlp.kernels} set to {@code value} ({@code null}: unset) while it initializes.
     */
    private static String bestNameWith(String value) throws Exception {
        URL classes = KernelProvider.class.getProtectionDomain().getCodeSource().getLocation();
        String saved = System.getProperty(PROPERTY);
        setProperty(value);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            Class<?> provider = Class.forName(KernelProvider.class.getName(), true, loader);
            assertTrue(provider != KernelProvider.class, "a fresh copy of the class");
            Object kernels = provider.getMethod("best").invoke(null);
            return (String) loader.loadClass(Kernels.class.getName()).getMethod("name").invoke(kernels);
        } finally {
            setProperty(saved);
        }
    }

    private static void setProperty(String value) {
        if (value == null) {
            System.clearProperty(PROPERTY);
        } else {
            System.setProperty(PROPERTY, value);
        }
    }
}
