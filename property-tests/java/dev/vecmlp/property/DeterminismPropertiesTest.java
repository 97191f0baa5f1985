package dev.vecmlp.property;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/**
 * Determinism: the same network, parameters, inputs and targets give bitwise the same loss,
 * outputs, error signals and gradients, on a fresh model, on the same model and workspace run
 * again (the gradient slab is overwritten, not added to), and on another thread. Every
 * activation, HARD_THRESHOLD included: nothing here needs a derivative.
 */
class DeterminismPropertiesTest {
    private static final Kernels KERNELS = KernelProvider.best();

    @Test
    void theSameInputsGiveBitwiseIdenticalGradients() {
        Property.forAll("determinism", NetGen.defaults().activations(Activation.values()),
                        DeterminismPropertiesTest::deterministic)
                .reproduceWith("DeterminismPropertiesTest.deterministic(c, Coverage.ignored());").tries(300).check();
    }

    static void deterministic(NetCase c, Coverage coverage) throws InterruptedException {
        NetCase.Pass first = c.run(KERNELS), fresh = c.run(KERNELS);
        coverage.gradients(first.gradients());
        same("a fresh model", first, fresh);

        try (Model m = c.model(KERNELS); Workspace ws = c.workspace(m)) {
            double a = m.forwardBackward(ws, c.batch());
            float[] ga = m.gradientsToArray();
            double b = m.forwardBackward(ws, c.batch());
            float[] gb = m.gradientsToArray();
            same("the loss of the same model run twice", a, b);
            same("the gradients of the same model run twice", ga, gb);
            same("the gradients of the same model and of a fresh one", first.gradients(), gb);
        }

        AtomicReference<NetCase.Pass> other = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                other.set(c.run(KERNELS));
            } catch (Throwable e) {
                error.set(e);
            }
        }, "determinism-other-thread");
        t.start();
        t.join();
        if (error.get() != null) {
            throw new AssertionError("the pass on another thread failed", error.get());
        }
        same("another thread", first, other.get());
    }

    private static void same(String where, NetCase.Pass a, NetCase.Pass b) {
        same(where + ": loss", a.loss(), b.loss());
        same(where + ": outputs", a.outputs(), b.outputs());
        same(where + ": gradients", a.gradients(), b.gradients());
        for (int l = 0; l < a.errorSignals().length; l++) {
            same(where + ": layer " + l + " pre-activation", a.preActivations()[l], b.preActivations()[l]);
            same(where + ": layer " + l + " error signal", a.errorSignals()[l], b.errorSignals()[l]);
        }
    }

    private static void same(String what, double a, double b) {
        if (Double.doubleToRawLongBits(a) != Double.doubleToRawLongBits(b)) {
            fail(what + ": " + a + " and " + b + " differ");
        }
    }

    private static void same(String what, float[] a, float[] b) {
        for (int e = 0; e < a.length; e++) {
            if (Float.floatToRawIntBits(a[e]) != Float.floatToRawIntBits(b[e])) {
                fail(what + " [" + e + "]: " + a[e] + " and " + b[e] + " differ");
            }
        }
    }
}
