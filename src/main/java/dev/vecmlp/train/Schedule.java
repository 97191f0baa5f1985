package dev.vecmlp.train;

import java.util.Locale;

/**
 * A learning-rate schedule: the factor the base learning rate is multiplied by at each step.
 *
 * <pre>{@code
 * Schedule.constant()                 // always 1
 * Schedule.step(5, 0.5)               // halve every 5 epochs
 * Schedule.cosine(0.0)                // cosine from 1 down to 0 over the whole run, per step
 * Schedule.parse("step:5:0.5")        // the command line's form
 * }</pre>
 */
public sealed interface Schedule {

    /**
     * The factor for step {@code step} (0-based, counted over the whole run) of a run of
     * {@code totalSteps} steps with {@code stepsPerEpoch} steps per epoch.
     */
    double factor(long step, long stepsPerEpoch, long totalSteps);

    /** Factor 1 throughout. */
    static Schedule constant() {
        return new Constant();
    }

    /** Multiplies the rate by {@code gamma} after every {@code everyEpochs} epochs. */
    static Schedule step(int everyEpochs, double gamma) {
        return new Step(everyEpochs, gamma);
    }

    /** Half a cosine wave from 1 down to {@code floor} over the run, updated every step. */
    static Schedule cosine(double floor) {
        return new Cosine(floor);
    }

    /** Parses {@code constant}, {@code step:EPOCHS:GAMMA} or {@code cosine[:FLOOR]}. */
    static Schedule parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split(":", -1);
        try {
            return switch (parts[0]) {
                case "constant" -> {
                    expectParts(text, parts, 1, 1);
                    yield constant();
                }
                case "step" -> {
                    expectParts(text, parts, 3, 3);
                    yield step(Integer.parseInt(parts[1]), Double.parseDouble(parts[2]));
                }
                case "cosine" -> {
                    expectParts(text, parts, 1, 2);
                    yield cosine(parts.length == 2 ? Double.parseDouble(parts[1]) : 0.0);
                }
                default -> throw new IllegalArgumentException("schedule: expected constant, step:EPOCHS:GAMMA or cosine[:FLOOR], found '"
                        + text + "'");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("schedule: expected numbers in '" + text + "' (e.g. step:5:0.5), found "
                    + e.getMessage());
        }
    }

    private static void expectParts(String text, String[] parts, int min, int max) {
        if (parts.length < min || parts.length > max) {
            throw new IllegalArgumentException("schedule: expected constant, step:EPOCHS:GAMMA or cosine[:FLOOR], found '"
                    + text + "'");
        }
    }

    /** Factor 1 throughout. */
    record Constant() implements Schedule {
        @Override
        public double factor(long step, long stepsPerEpoch, long totalSteps) {
            return 1.0;
        }

        @Override
        public String toString() {
            return "constant";
        }
    }

    /** Step decay: {@code gamma^(epoch / everyEpochs)}. */
    record Step(int everyEpochs, double gamma) implements Schedule {
        public Step {
            if (everyEpochs < 1) {
                throw new IllegalArgumentException("step schedule: expected a period of at least 1 epoch, found " + everyEpochs);
            }
            if (!(gamma > 0 && gamma <= 1)) {
                throw new IllegalArgumentException("step schedule: expected a factor in (0, 1], found " + gamma);
            }
        }

        @Override
        public double factor(long step, long stepsPerEpoch, long totalSteps) {
            return Math.pow(gamma, (step / stepsPerEpoch) / everyEpochs);
        }

        @Override
        public String toString() {
            return "step:" + everyEpochs + ":" + gamma;
        }
    }

    /** Cosine annealing from 1 to {@code floor}. */
    record Cosine(double floor) implements Schedule {
        public Cosine {
            if (!(floor >= 0 && floor <= 1)) {
                throw new IllegalArgumentException("cosine schedule: expected a floor in [0, 1], found " + floor);
            }
        }

        @Override
        public double factor(long step, long stepsPerEpoch, long totalSteps) {
            double progress = totalSteps <= 1 ? 0 : (double) step / (totalSteps - 1);
            return floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        }

        @Override
        public String toString() {
            return "cosine:" + floor;
        }
    }
}
