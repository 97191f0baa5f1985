package dev.vecmlp.property;

/**
 * What a property's tries actually exercised, summed over one run: how many hidden and output
 * ReLU units were dead, how many weights a gradient check meant to look at and how many of
 * them dead units hid, how many kink coordinates a finite-difference check skipped, and the range
 * of nonzero gradient magnitudes. A property records into the {@code Coverage} its check
 * receives; {@link Property} prints {@link #summary()} after the run and fails it when
 * {@link #hiddenShare()} exceeds {@link #MAX_HIDDEN_SHARE}.
 *
 * <p>A unit is <em>dead</em> for a case when its pre-activation is at most 0 on every row of the
 * batch: a ReLU passes neither value nor gradient then, so the weights into it, its bias and the
 * weights out of it get a data gradient of exactly 0 (only L2's λW remains) whatever the code
 * does, and a gradient check learns nothing about them.
 */
public final class Coverage {
    /** Largest share of the weights a check meant to look at that dead units may hide. */
    public static final double MAX_HIDDEN_SHARE = 0.20;

    private long reluUnits;
    private long deadUnits;
    private long weightsMeant;
    private long weightsHidden;
    private long kinkCoordinates;
    private long kinkSkipped;
    private double minMagnitude = Double.POSITIVE_INFINITY;
    private double maxMagnitude;
    private double maxBoundUsed = -1;

    /** A coverage whose records nobody reads: for reruns while shrinking and for pasted reproductions. */
    public static Coverage ignored() {
        return new Coverage();
    }

    /** Counts {@code dead} of {@code units} ReLU units as dead. */
    public void units(long units, long dead) {
        reluUnits += units;
        deadUnits += dead;
    }

    /** Counts {@code hidden} of {@code meant} weights whose gradient a dead unit forces to 0. */
    public void weights(long meant, long hidden) {
        weightsMeant += meant;
        weightsHidden += hidden;
    }

    /** For finite-difference checks: {@code skipped} of {@code coordinates} lay too close to a kink. */
    public void kinks(long coordinates, long skipped) {
        kinkCoordinates += coordinates;
        kinkSkipped += skipped;
    }

    /** Widens the range of gradient magnitudes by every nonzero finite {@code |g|}. */
    public void gradients(float[] g) {
        for (float v : g) {
            double a = Math.abs(v);
            if (a > 0 && Double.isFinite(a)) {
                minMagnitude = Math.min(minMagnitude, a);
                maxMagnitude = Math.max(maxMagnitude, a);
            }
        }
    }

    /**
     * Records how much of a tolerance a comparison used, {@code |difference| / bound}; the summary
     * shows the largest, so a run says how close it came to failing.
     */
    public void boundUsed(double share) {
        if (!Double.isNaN(share)) {
            maxBoundUsed = Math.max(maxBoundUsed, share);
        }
    }

    /** Records a case's dead units and the weights they hide (see {@link NetCase#deadUnits}). */
    public void deadUnits(NetCase.DeadUnits d) {
        units(d.reluUnits(), d.dead());
        weights(d.weights(), d.hiddenWeights());
    }

    /** Share of the meant weights that dead units hid; 0 when no check recorded any. */
    public double hiddenShare() {
        return weightsMeant == 0 ? 0 : (double) weightsHidden / weightsMeant;
    }

    /** Whether some check recorded the weights it meant to look at. */
    public boolean checksWeights() {
        return weightsMeant > 0;
    }

    /** One line: dead units, hidden weights, skipped kinks and the log10 range of |g|. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("dead ReLU units ").append(share(deadUnits, reluUnits));
        sb.append(", weights hidden by dead units ").append(share(weightsHidden, weightsMeant));
        sb.append(", kink coordinates skipped ").append(share(kinkSkipped, kinkCoordinates));
        sb.append(", |g| ");
        if (maxMagnitude == 0) {
            sb.append("none recorded");
        } else {
            sb.append(String.format("1e%.1f .. 1e%.1f", Math.log10(minMagnitude), Math.log10(maxMagnitude)));
        }
        if (maxBoundUsed >= 0) {
            sb.append(String.format(", largest share of a bound used %.3g", maxBoundUsed));
        }
        return sb.toString();
    }

    private static String share(long part, long whole) {
        return whole == 0 ? "n/a" : String.format("%.1f%% (%d/%d)", 100.0 * part / whole, part, whole);
    }
}
