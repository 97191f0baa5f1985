package dev.vecmlp.property;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

import dev.vecmlp.check.Batch;
import dev.vecmlp.check.GradientCheck;
import dev.vecmlp.check.GradientReport;
import dev.vecmlp.check.ReferenceNetwork;
import dev.vecmlp.check.TensorReport;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Model;

/**
 * Properties 1 and 2 of the gradient proof, on generated networks (depth 1–4, widths 1–33 with
 * the lane edges, the five differentiable activations, both losses, L2 on and off, batch 1–17):
 * <ol>
 * <li>the float64 reference's analytic gradient equals central finite differences in float64,
 * with the coordinates next to a ReLU kink skipped and counted;</li>
 * <li>the float32 engine's gradient (the kernels this JVM selects, SIMD where it can) equals the
 * float64 reference's, tensor by tensor, within the float32 rounding bounds of
 * {@link GradientCheck}.</li>
 * </ol>
 * Property 2 depends on the vector width, so the pom reruns this class at 256 and 128 bits.
 *
 * <p>Each check is a static method taking the case, so that a failure report's pasted code can
 * call it. A failure message is the checker's per-tensor report (worst coordinate, its expected
 * and found values, the ratio found/expected), so a sign bug shows ratio −1 and a scale bug the
 * factor.
 */
class GradientPropertiesTest {
    private static final Kernels KERNELS = KernelProvider.best();

    /**
     * Finite differences cost two reference evaluations per coordinate (four more where a kink
     * must be ruled out), so property 1 samples at most this many coordinates of each tensor (a
     * fresh sample per try, from the try's seed); property 2 checks every coordinate.
     */
    static final int FD_COORDINATES_PER_TENSOR = 24;

    private static final int REFERENCE_TRIES = 150;
    private static final int ENGINE_TRIES = 250;
    private static final int KINK_TRIES = 60;

    @Test
    void referenceGradientEqualsFiniteDifferences() {
        Property.forAll("reference gradient = finite differences", NetGen.defaults(),
                        GradientPropertiesTest::referenceMatchesFiniteDifferences)
                .reproduceWith("GradientPropertiesTest.referenceMatchesFiniteDifferences(c, Coverage.ignored());")
                .tries(REFERENCE_TRIES).check();
    }

    /** Verdict 1 of {@link GradientCheck} on the case: reference against central differences. */
    static void referenceMatchesFiniteDifferences(NetCase c, Coverage coverage) {
        NetCase.Pass pass = c.run(KERNELS);
        coverage.deadUnits(c.deadUnits(pass));
        ReferenceNetwork net = ReferenceNetwork.of(c.spec(), toDouble(c.parameters()));
        Batch batch = batch(c);
        GradientReport report = GradientCheck.checkReference(net, batch, GradientCheck.Options.ALL
                .withMaxCoordinatesPerTensor(FD_COORDINATES_PER_TENSOR)
                .withSeed(Double.doubleToLongBits(net.loss(batch))));
        coverage.kinks(report.checked() + report.skipped(), report.skipped());
        coverage.gradients(toFloat(net.gradient(batch).parameters()));
        for (TensorReport t : report.finiteDifferences()) {
            coverage.boundUsed(boundShare(t));
        }
        if (!report.referencePassed()) {
            fail("the float64 reference disagrees with finite differences:\n" + report.format());
        }
    }

    @Test
    void unitsAtTheirKinkAreSkippedNotPassed() {
        Property.forAll("ReLU kinks are skipped, not passed", NetGen.defaults().activations(Activation.RELU).minDepth(2),
                        GradientPropertiesTest::kinkIsSkipped)
                .reproduceWith("GradientPropertiesTest.kinkIsSkipped(c, Coverage.ignored());")
                .tries(KINK_TRIES).check();
    }

    /**
     * Moves unit 0 of layer 1 onto its kink for row 0 (its bias set to minus the rest of its
     * pre-activation, so that z is 0 up to one float rounding), then checks W0 and b0 at every
     * coordinate: b0[0] must be reported as skipped (a step of ±h moves z across 0 by far more
     * than that rounding), every other coordinate must still pass, and the skipped ones must be
     * counted in the report.
     */
    static void kinkIsSkipped(NetCase c, Coverage coverage) {
        int in = c.spec().inputs();
        double z = 0;
        for (int j = 0; j < in; j++) {
            z += (double) c.parameters()[c.weightIndex(0, 0, j)] * c.inputs()[j];
        }
        float[] p = c.parameters().clone();
        p[c.biasIndex(0, 0)] = (float) -z;
        NetCase k = c.withParameters(p);
        ReferenceNetwork net = ReferenceNetwork.of(k.spec(), toDouble(k.parameters()));
        GradientReport report = GradientCheck.checkReference(net, batch(k),
                GradientCheck.Options.ALL.withTensors("W0", "b0"));
        coverage.kinks(report.checked() + report.skipped(), report.skipped());
        TensorReport b0 = report.finiteDifferences("b0").orElseThrow();
        if (b0.skipped() < 1) {
            fail("b0[0] sits at its ReLU kink for row 0 (pre-activation " + (z + p[k.biasIndex(0, 0)])
                    + ") but no coordinate of b0 was skipped:\n" + report.format());
        }
        if (!report.referencePassed()) {
            fail("with the kink coordinates skipped, the rest must pass:\n" + report.format());
        }
    }

    @Test
    void engineGradientEqualsReference() {
        Property.forAll("engine gradient = reference (" + KERNELS.name() + ")", NetGen.defaults(),
                        GradientPropertiesTest::engineMatchesReference)
                .reproduceWith("GradientPropertiesTest.engineMatchesReference(c, Coverage.ignored());")
                .tries(ENGINE_TRIES).check();
    }

    /** Verdict 2 of {@link GradientCheck} on the case: every coordinate of every tensor. */
    static void engineMatchesReference(NetCase c, Coverage coverage) {
        NetCase.Pass pass = c.run(KERNELS);
        coverage.deadUnits(c.deadUnits(pass));
        coverage.gradients(pass.gradients());
        GradientReport report;
        try (Model model = c.model(KERNELS)) {
            report = GradientCheck.checkEngine(model, batch(c), GradientCheck.Options.ALL);
        }
        for (TensorReport t : report.engine()) {
            coverage.boundUsed(boundShare(t));
        }
        if (!report.enginePassed()) {
            fail("the " + KERNELS.name() + " engine's float32 gradient disagrees with the float64 reference:\n"
                    + report.format());
        }
    }

    /**
     * How close a tensor came to failing: its worst coordinate's error over what was allowed
     * there (the worst coordinate is the one with the largest such share), and for the engine
     * verdict also how far its ratio was from 1 over the ratio bound.
     */
    private static double boundShare(TensorReport t) {
        double share = 0;
        if (t.worstRow() >= 0 && t.worstAllowed() > 0) {
            share = Math.abs(t.worstFound() - t.worstExpected()) / t.worstAllowed();
        }
        if (t.ratioBound() > 0 && Double.isFinite(t.ratio())) {
            share = Math.max(share, Math.abs(t.ratio() - 1) / t.ratioBound());
        }
        return share;
    }

    private static Batch batch(NetCase c) {
        return new Batch(c.batch(), c.inputs(), c.targets());
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
