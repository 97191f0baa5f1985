package dev.vecmlp.spark;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.Scaling;
import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.ChunkedGradient;
import dev.vecmlp.nn.Model;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Updater;

/**
 * The training state of each partition in this JVM, kept from one step's task to the next: the
 * partition's rows as an engine data set (scaled once), its shuffled order, and a model, a
 * gradient slab and the chunks its gradient is computed in ({@link ChunkedGradient}: a
 * full-batch step hands a partition tens of thousands of rows) of its own. A task that finds none (the first step, or a task
 * that Spark ran on another executor) builds it from the partition's cached
 * {@link TrainingBlock}; the order is replayed from the seed, so the bits do not depend on
 * where a task ran. The shards of at most {@value #MAX_FITS} fits are kept; older ones are
 * closed (and rebuilt should that fit still be running).
 */
final class TrainShards {
    static final int MAX_FITS = 2;

    /** What every task of one fit needs, fixed for the fit. */
    record Plan(String fitId, NetSpec net, Scaling.Kind scaling, float[] offset, float[] factor, int classes, long seed,
                int[] partitionRows, int[] partitionBatch, int stepsPerEpoch, String optimizer, Double lr, double momentum,
                double weightDecay) implements Serializable {
        /** Rows of partition {@code p} in step {@code s} of an epoch. */
        int rows(int p, int s) {
            return Math.max(0, Math.min(partitionBatch[p], partitionRows[p] - s * partitionBatch[p]));
        }
    }

    /** One partition's state. Used by one task at a time (its partition's). */
    static final class Shard implements AutoCloseable {
        final Dataset data;
        final int[] order;
        private final long seed;
        private SplittableRandom rng;
        private int epoch = -1;
        final Model model;
        final ChunkedGradient chunks;
        final Slab gradient;
        private Updater local;
        /** The optimizer's state before any step: a retried first round starts from it again. */
        private Updater.State fresh;
        private final Plan plan;

        private Shard(Plan plan, int p, TrainingBlock block) {
            this.plan = plan;
            Dataset d = block.labels != null
                    ? Dataset.ofClassification("partition " + p, block.x, block.features, block.labels, plan.classes())
                    : Dataset.ofRegression("partition " + p, block.x, block.features, block.targets, 1);
            Model m = null;
            ChunkedGradient c = null;
            try {
                Scaling.of(plan.scaling(), plan.offset(), plan.factor()).apply(d);
                m = plan.net().build().init(plan.seed());
                c = new ChunkedGradient(m, ChunkedGradient.rowsFor(m.spec(), Math.max(1, plan.partitionBatch()[p])));
                this.gradient = m.newParameterSlab("partition " + p + " gradient");
            } catch (RuntimeException | OutOfMemoryError e) {
                if (c != null) {
                    c.close();
                }
                if (m != null) {
                    m.close();
                }
                d.close();
                throw e;
            }
            this.data = d;
            this.model = m;
            this.chunks = c;
            this.order = new int[block.rows];
            Arrays.setAll(order, i -> i);
            // Partition 0 shuffles as the single-JVM Trainer does with the same seed.
            this.seed = plan.seed() + p * 0x9E3779B97F4A7C15L;
            this.rng = new SplittableRandom(seed);
        }

        /**
         * Brings the order to epoch {@code e}'s shuffle (each epoch shuffles the previous order,
         * as the Trainer does), replayed from the seed when {@code e} is an earlier epoch: a
         * retried task may repeat steps that a failed attempt had taken into the next epoch.
         */
        void toEpoch(int e) {
            if (e < epoch) {
                Arrays.setAll(order, i -> i);
                rng = new SplittableRandom(seed);
                epoch = -1;
            }
            while (epoch < e) {
                Dataset.shuffle(order, rng);
                epoch++;
            }
        }

        /**
         * This partition's own optimizer, for parameter averaging, made on first use: its state
         * set to {@code state}, or fresh when that is null (the partition's first round).
         */
        Updater local(Updater.State state) {
            if (local == null) {
                local = new Updater(model, Optimizer.named("optimizer", plan.optimizer(), plan.lr(), plan.momentum(),
                        plan.weightDecay()));
                fresh = local.state();
            }
            local.restore(state != null ? state : fresh);
            return local;
        }

        @Override
        public void close() {
            if (local != null) {
                local.close();
            }
            gradient.close();
            chunks.close();
            model.close();
            data.close();
        }
    }

    private static final Map<String, Shard> SHARDS = new HashMap<>();
    private static final Deque<String> FITS = new ArrayDeque<>();

    private TrainShards() {
    }

    /** Partition {@code p}'s shard for {@code plan}'s fit, built from {@code blocks} (its cached block) if this JVM has none. */
    static Shard get(Plan plan, int p, Iterator<TrainingBlock> blocks) {
        String key = plan.fitId() + "/" + p;
        synchronized (TrainShards.class) {
            Shard s = SHARDS.get(key);
            if (s != null) {
                return s;
            }
        }
        // Built outside the lock: another partition's task may be building its own meanwhile.
        Shard built = new Shard(plan, p, blocks.next());
        synchronized (TrainShards.class) {
            if (!FITS.contains(plan.fitId())) {
                FITS.addLast(plan.fitId());
                while (FITS.size() > MAX_FITS) {
                    closeFit(FITS.removeFirst());
                }
            }
            Shard raced = SHARDS.putIfAbsent(key, built);
            if (raced != null) {
                built.close();
                return raced;
            }
            return built;
        }
    }

    /** Closes the shards of fit {@code fitId} held in this JVM. */
    static synchronized void release(String fitId) {
        FITS.remove(fitId);
        closeFit(fitId);
    }

    private static void closeFit(String fitId) {
        SHARDS.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(fitId + "/")) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    /** Shards held in this JVM: for tests. */
    static synchronized int held() {
        return SHARDS.size();
    }
}
