package dev.vecmlp.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.NetworkText;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Schedule;
import dev.vecmlp.train.Updater;

/**
 * Trains a vecmlp network on a DataFrame, data-parallel over its partitions, and gives a
 * {@link VecmlpModel}. The settings are {@code ./vecmlp train}'s, with its spellings:
 * {@code layers} ({@code 512:relu,512:relu}), {@code outputActivation}, {@code loss}
 * ({@code softmax} for classes, {@code squared} for a number), {@code l2}, {@code optimizer}
 * ({@code sgd}, {@code momentum}, {@code nesterov}, {@code adam}), {@code learningRate} (unset:
 * 0.05, or 0.001 for adam), {@code momentum}, {@code weightDecay}, {@code schedule}
 * ({@code constant}, {@code step:EPOCHS:GAMMA}, {@code cosine[:FLOOR]}), {@code epochs},
 * {@code seed}, {@code scaling} ({@code none}, {@code divide} by 255, {@code standardize}).
 *
 * <pre>{@code
 * VecmlpModel model = new VecmlpEstimator()
 *         .setFeaturesCol("pixels").setLabelCol("digit")
 *         .setLayers("128:relu").setScaling("divide").setBatchSize(1024).setEpochs(10)
 *         .fit(train);
 * }</pre>
 *
 * <p><b>Synchronous steps</b> ({@code mode = sync}, the default): each step is one Spark job.
 * The driver broadcasts the parameters; each partition computes the gradient of its share of the
 * global batch of {@code batchSize} rows with the engine (its share is in proportion to its
 * rows, and each partition shuffles its own rows every epoch); the driver adds the gradients in
 * partition order and applies the engine's own optimizer ({@link Updater}). A job costs tens of
 * milliseconds however small the step, so the global batch should be large: thousands of rows.
 * A partition computes its share in chunks of a few hundred rows
 * ({@link dev.vecmlp.nn.ChunkedGradient}), which keeps a full-batch step in the caches. Given a
 * seed and the same partitions, two fits give the same bits; with one partition the result is the single-JVM {@code Trainer}'s with one shard, bit
 * for bit (the Trainer cuts a large shard into the same chunks).
 *
 * <p><b>Parameter averaging</b> ({@code mode = average}): for when a job costs more than the
 * computing in it. Each partition takes {@code localSteps} steps on its own rows with its own
 * optimizer, then the driver averages the partitions' parameters in partition order: one job per
 * {@code localSteps} steps. A partition's optimizer state (its velocity or Adam's moments, and
 * its update count) returns to the driver with its parameters and goes to that partition's next
 * task alone, so a task that Spark runs on another executor, or again after a failure, continues
 * from the same state: two fits with a seed and the same partitions give the same bits.
 *
 * <p>Rows are packed once into a cached block per partition; a null or wrong-width features
 * value, a NaN feature, or a label that is not a class (or, for {@code squared}, not a finite
 * number) fails the fit naming the column, the row in its partition and what was expected.
 */
public final class VecmlpEstimator extends Estimator<VecmlpModel> implements MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;

    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final Param<String> layers;
    private final Param<String> outputActivation;
    private final Param<String> loss;
    private final DoubleParam l2;
    private final Param<String> optimizer;
    private final DoubleParam learningRate;
    private final DoubleParam momentum;
    private final DoubleParam weightDecay;
    private final Param<String> schedule;
    private final IntParam batchSize;
    private final IntParam epochs;
    private final LongParam seed;
    private final Param<String> scaling;
    private final Param<String> mode;
    private final IntParam localSteps;

    public VecmlpEstimator() {
        this(Identifiable.randomUID("vecmlpEstimator"));
    }

    /** For Spark's reader of saved pipelines, which makes stages by their uid. */
    public VecmlpEstimator(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "the features: array<float>, array<double> or an ML vector, every row of one width");
        labelCol = new Param<>(this, "labelCol", "the class (a whole number from 0) for loss softmax, the number to predict for loss squared");
        predictionCol = new Param<>(this, "predictionCol", "the model's prediction column");
        probabilityCol = new Param<>(this, "probabilityCol", "the model's probability column");
        layers = new Param<>(this, "layers", "hidden layers as ./vecmlp train --layers takes them: 512:relu,512:relu (none for no hidden layer)");
        outputActivation = new Param<>(this, "outputActivation", "the output layer's activation: linear, relu, softplus, threshold, logistic or tanh");
        loss = new Param<>(this, "loss", "softmax (cross-entropy, classes) or squared (error, a number)");
        l2 = new DoubleParam(this, "l2", "the L2 penalty lambda/2 |W|^2, part of the loss", ParamValidators.gtEq(0));
        optimizer = new Param<>(this, "optimizer", "sgd, momentum, nesterov or adam");
        learningRate = new DoubleParam(this, "learningRate", "the base learning rate (unset: 0.05, or 0.001 for adam)", ParamValidators.gt(0));
        momentum = new DoubleParam(this, "momentum", "momentum of momentum and nesterov, in [0, 1)", ParamValidators.inRange(0, 1, true, false));
        weightDecay = new DoubleParam(this, "weightDecay", "decoupled weight decay (0 for none)", ParamValidators.gtEq(0));
        schedule = new Param<>(this, "schedule", "constant, step:EPOCHS:GAMMA or cosine[:FLOOR]");
        batchSize = new IntParam(this, "batchSize", "rows per step over all partitions (a step is a Spark job: make it large)", ParamValidators.gt(0));
        epochs = new IntParam(this, "epochs", "passes over the data", ParamValidators.gt(0));
        seed = new LongParam(this, "seed", "seed of the weights and of the partitions' shuffles");
        scaling = new Param<>(this, "scaling", "input scaling fitted to the data and stored in the model: none, divide (by 255) or standardize");
        mode = new Param<>(this, "mode", "sync (a gradient sum per step) or average (parameters averaged every localSteps steps)");
        localSteps = new IntParam(this, "localSteps", "steps each partition takes between averages (mode average)", ParamValidators.gt(0));
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(layers, "512:relu,512:relu");
        setDefault(outputActivation, "linear");
        setDefault(loss, "softmax");
        setDefault(l2, 0.0);
        setDefault(optimizer, "momentum");
        setDefault(momentum, 0.9);
        setDefault(weightDecay, 1e-4);
        setDefault(schedule, "constant");
        setDefault(batchSize, 1024);
        setDefault(epochs, 20);
        setDefault(seed, 42L);
        setDefault(scaling, "standardize");
        setDefault(mode, "sync");
        setDefault(localSteps, 8);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- parameters: accessors as Spark ML has them ---------------------------------------

    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> probabilityCol() { return probabilityCol; }
    public Param<String> layers() { return layers; }
    public Param<String> outputActivation() { return outputActivation; }
    public Param<String> loss() { return loss; }
    public DoubleParam l2() { return l2; }
    public Param<String> optimizer() { return optimizer; }
    public DoubleParam learningRate() { return learningRate; }
    public DoubleParam momentum() { return momentum; }
    public DoubleParam weightDecay() { return weightDecay; }
    public Param<String> schedule() { return schedule; }
    public IntParam batchSize() { return batchSize; }
    public IntParam epochs() { return epochs; }
    public LongParam seed() { return seed; }
    public Param<String> scaling() { return scaling; }
    public Param<String> mode() { return mode; }
    public IntParam localSteps() { return localSteps; }

    public VecmlpEstimator setFeaturesCol(String v) { return (VecmlpEstimator) set(featuresCol, v); }
    public VecmlpEstimator setLabelCol(String v) { return (VecmlpEstimator) set(labelCol, v); }
    public VecmlpEstimator setPredictionCol(String v) { return (VecmlpEstimator) set(predictionCol, v); }
    public VecmlpEstimator setProbabilityCol(String v) { return (VecmlpEstimator) set(probabilityCol, v); }
    public VecmlpEstimator setLayers(String v) { return (VecmlpEstimator) set(layers, v); }
    public VecmlpEstimator setOutputActivation(String v) { return (VecmlpEstimator) set(outputActivation, v); }
    public VecmlpEstimator setLoss(String v) { return (VecmlpEstimator) set(loss, v); }
    public VecmlpEstimator setL2(double v) { return (VecmlpEstimator) set(l2, v); }
    public VecmlpEstimator setOptimizer(String v) { return (VecmlpEstimator) set(optimizer, v); }
    public VecmlpEstimator setLearningRate(double v) { return (VecmlpEstimator) set(learningRate, v); }
    public VecmlpEstimator setMomentum(double v) { return (VecmlpEstimator) set(momentum, v); }
    public VecmlpEstimator setWeightDecay(double v) { return (VecmlpEstimator) set(weightDecay, v); }
    public VecmlpEstimator setSchedule(String v) { return (VecmlpEstimator) set(schedule, v); }
    public VecmlpEstimator setBatchSize(int v) { return (VecmlpEstimator) set(batchSize, v); }
    public VecmlpEstimator setEpochs(int v) { return (VecmlpEstimator) set(epochs, v); }
    public VecmlpEstimator setSeed(long v) { return (VecmlpEstimator) set(seed, v); }
    public VecmlpEstimator setScaling(String v) { return (VecmlpEstimator) set(scaling, v); }
    public VecmlpEstimator setMode(String v) { return (VecmlpEstimator) set(mode, v); }
    public VecmlpEstimator setLocalSteps(int v) { return (VecmlpEstimator) set(localSteps, v); }

    private String str(Param<String> p) {
        return $(p);
    }

    private int integer(IntParam p) {
        return (Integer) $(p);
    }

    private double real(DoubleParam p) {
        return (Double) $(p);
    }

    // ---- schema ------------------------------------------------------------------------------

    @Override
    public StructType transformSchema(StructType schema) {
        FeatureColumn.of(schema, str(featuresCol));
        int i = FeatureColumn.fieldIndex(schema, str(labelCol), "labelCol");
        if (!(schema.fields()[i].dataType() instanceof NumericType)) {
            throw new IllegalArgumentException("labelCol '" + str(labelCol) + "': expected a numeric column, found "
                    + schema.fields()[i].dataType().simpleString());
        }
        Settings s = settings();
        StructType out = schema.add(str(predictionCol), org.apache.spark.sql.types.DataTypes.DoubleType, false);
        return s.loss == Loss.SOFTMAX_CROSS_ENTROPY && !str(probabilityCol).isEmpty()
                ? out.add(str(probabilityCol), org.apache.spark.ml.linalg.SQLDataTypes.VectorType(), false) : out;
    }

    /** Every text setting parsed, so that a typo fails before any job runs. */
    private record Settings(NetworkText.LayerText[] hidden, Activation output, Loss loss, Optimizer optimizer, Schedule schedule,
                            Scaling.Kind scaling, boolean average) {
    }

    private Settings settings() {
        String m = str(mode).trim().toLowerCase(Locale.ROOT);
        if (!m.equals("sync") && !m.equals("average")) {
            throw new IllegalArgumentException("mode: expected sync or average, found '" + str(mode) + "'");
        }
        return new Settings(NetworkText.hiddenLayers(str(layers)), NetworkText.activation(str(outputActivation)),
                NetworkText.loss(str(loss)), Optimizer.named("optimizer", str(optimizer), rateOrNull(), real(momentum),
                real(weightDecay)), Schedule.parse(str(schedule)), Scaling.Kind.parse(str(scaling)), m.equals("average"));
    }

    private Double rateOrNull() {
        return isSet(learningRate) ? (Double) $(learningRate) : null;
    }

    // ---- fit ---------------------------------------------------------------------------------

    /** A partition's figures, gathered in one job before training: its size, width, classes and column sums. */
    private record Summary(int rows, int features, int maxLabel, double[] columnSums) implements java.io.Serializable {
    }

    @Override
    public VecmlpModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Settings s = settings();
        boolean classify = s.loss == Loss.SOFTMAX_CROSS_ENTROPY;
        FeatureColumn kind = FeatureColumn.of(dataset.schema(), str(featuresCol));
        String fc = str(featuresCol), lc = str(labelCol);
        SparkSession spark = dataset.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String fitId = uid + "-" + UUID.randomUUID();

        JavaRDD<TrainingBlock> blocks = dataset.select(functions.col(fc), functions.col(lc)).javaRDD()
                .mapPartitionsWithIndex((p, rows) -> List.of(TrainingBlock.pack(p, rows, kind, fc, lc, classify)).iterator(), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            boolean standardize = s.scaling == Scaling.Kind.STANDARDIZE;
            List<Summary> parts = blocks.map(b -> new Summary(b.rows, b.features, b.maxLabel(),
                    standardize ? columnSums(b, null) : null)).collect();
            int n = 0, width = -1, widthFrom = -1, maxLabel = -1;
            for (int p = 0; p < parts.size(); p++) {
                Summary ps = parts.get(p);
                if (ps.rows == 0) {
                    continue;
                }
                if (width < 0) {
                    width = ps.features;
                    widthFrom = p;
                } else if (ps.features != width) {
                    throw new IllegalArgumentException("featuresCol '" + fc + "': expected " + width + " features in every row (as in"
                            + " partition " + widthFrom + "), found " + ps.features + " in partition " + p);
                }
                n += ps.rows;
                maxLabel = Math.max(maxLabel, ps.maxLabel);
            }
            if (n == 0) {
                throw new IllegalArgumentException("fit: expected at least one training row, found none");
            }
            Scaling scale = scaling(s.scaling, width, n, parts, blocks);
            int outputs = classify ? maxLabel + 1 : 1;
            if (classify && outputs < 2) {
                throw new IllegalArgumentException("labelCol '" + lc + "': expected at least 2 classes (labels 0 and 1), found only"
                        + " label 0");
            }
            Mlp.Builder b = Mlp.input(width);
            for (NetworkText.LayerText h : s.hidden) {
                b.dense(h.width(), h.activation());
            }
            Mlp spec = b.dense(outputs, s.output).loss(s.loss).l2(real(l2)).build();

            int batch = integer(batchSize);
            int[] rows = new int[parts.size()], shares = new int[parts.size()];
            int perEpoch = 0;
            for (int p = 0; p < rows.length; p++) {
                rows[p] = parts.get(p).rows;
                shares[p] = rows[p] == 0 ? 0 : (int) Math.max(1, Math.min(rows[p], ((long) batch * rows[p] + n - 1) / n));
                perEpoch = rows[p] == 0 ? perEpoch : Math.max(perEpoch, (rows[p] + shares[p] - 1) / shares[p]);
            }
            TrainShards.Plan plan = new TrainShards.Plan(fitId, NetSpec.of(spec), scale.kind(), scale.offsets(), scale.factors(),
                    outputs, (Long) $(seed), rows, shares, perEpoch, str(optimizer), rateOrNull(), real(momentum),
                    real(weightDecay));
            Map<String, String> metadata = new LinkedHashMap<>();
            try (Model model = spec.init((Long) $(seed)); Updater updater = new Updater(model, s.optimizer)) {
                List<Double> losses = s.average ? average(jsc, blocks, plan, model, s, n)
                        : synchronous(jsc, blocks, plan, model, updater, s);
                metadata.put("train.rows", Integer.toString(n));
                metadata.put("spark.partitions", Integer.toString(rows.length));
                metadata.put("spark.mode", s.average ? "average:" + integer(localSteps) : "sync");
                metadata.put(s.average ? "train.loss.rounds" : "train.loss.epochs", losses.toString());
                return newModel(model, scale, metadata);
            }
        } finally {
            blocks.unpersist(false);
            TrainShards.release(fitId);
        }
    }

    private List<Double> synchronous(JavaSparkContext jsc, JavaRDD<TrainingBlock> blocks, TrainShards.Plan plan, Model model,
                                     Updater updater, Settings s) {
        int perEpoch = plan.stepsPerEpoch(), epochCount = integer(epochs);
        long total = (long) perEpoch * epochCount;
        List<Double> losses = new ArrayList<>();
        for (int e = 0; e < epochCount; e++) {
            double lossSum = 0;
            long seen = 0;
            for (int step = 0; step < perEpoch; step++) {
                int batchRows = 0, penalty = -1;
                for (int p = 0; p < plan.partitionRows().length; p++) {
                    int r = plan.rows(p, step);
                    batchRows += r;
                    penalty = penalty < 0 && r > 0 ? p : penalty;
                }
                float rate = (float) (s.optimizer.learningRate() * s.schedule.factor((long) e * perEpoch + step, perEpoch, total));
                Broadcast<float[]> parameters = jsc.broadcast(model.parametersToArray());
                int epoch = e, st = step, all = batchRows, pen = penalty;
                List<StepTasks.Result> results;
                try {
                    results = blocks.mapPartitionsWithIndex((p, it) -> StepTasks.gradient(plan, p, it, parameters.value(), epoch, st,
                            all, p == pen), true).collect();
                } finally {
                    parameters.destroy();
                }
                float[] sum = null;
                double stepLoss = 0;
                for (StepTasks.Result r : results) {
                    if (r.values() == null) {
                        continue;
                    }
                    stepLoss += r.lossSum();
                    if (sum == null) {
                        sum = r.values();
                    } else {
                        float[] v = r.values();
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] += v[i];
                        }
                    }
                }
                if (!Double.isFinite(stepLoss)) {
                    throw new IllegalStateException("training diverged at step " + ((long) e * perEpoch + step) + " (epoch " + (e + 1)
                            + ", step " + (step + 1) + " of " + perEpoch + "): the loss is " + stepLoss
                            + "; the model keeps the weights from before this step; a smaller learning rate may help");
                }
                model.fromArray(sum, model.gradients());
                updater.step(rate);
                lossSum += stepLoss;
                seen += batchRows;
            }
            losses.add(lossSum / seen);
        }
        return losses;
    }

    private List<Double> average(JavaSparkContext jsc, JavaRDD<TrainingBlock> blocks, TrainShards.Plan plan, Model model,
                                 Settings s, int n) {
        int perEpoch = plan.stepsPerEpoch(), k = integer(localSteps);
        long total = (long) perEpoch * integer(epochs);
        List<Double> losses = new ArrayList<>();
        // Each partition's optimizer state after its last round, kept here and sent to that partition's next task alone.
        Updater.State[] states = new Updater.State[plan.partitionRows().length];
        for (long first = 0; first < total; first += k) {
            int count = (int) Math.min(k, total - first);
            float[] rates = new float[count];
            for (int j = 0; j < count; j++) {
                rates[j] = (float) (s.optimizer.learningRate() * s.schedule.factor(first + j, perEpoch, total));
            }
            Broadcast<float[]> parameters = jsc.broadcast(model.parametersToArray());
            long from = first;
            List<StepTasks.Result> results;
            try {
                JavaRDD<Updater.State> stateOfEach = jsc.parallelize(Arrays.asList(states), states.length);
                results = blocks.zipPartitions(stateOfEach, (it, state) -> StepTasks.localRound(plan, TaskContext.getPartitionId(), it,
                        parameters.value(), state.next(), from, rates)).collect();
            } finally {
                parameters.destroy();
            }
            double[] mean = null;
            int parts = 0, rows = 0;
            double lossSum = 0;
            for (StepTasks.Result r : results) {
                if (r.values() == null) {
                    continue;
                }
                states[r.partition()] = r.state();
                float[] v = r.values();
                mean = mean == null ? new double[v.length] : mean;
                for (int i = 0; i < v.length; i++) {
                    mean[i] += v[i];
                }
                parts++;
                rows += r.rows();
                lossSum += r.lossSum();
            }
            if (!Double.isFinite(lossSum)) {
                throw new IllegalStateException("training diverged in the round from step " + first + ": the loss is " + lossSum
                        + "; the model keeps the weights from before this round; a smaller learning rate may help");
            }
            float[] averaged = new float[mean.length];
            for (int i = 0; i < averaged.length; i++) {
                averaged[i] = (float) (mean[i] / parts);
            }
            model.setParameters(averaged);
            losses.add(lossSum / rows);
        }
        return losses;
    }

    /** The input scaling of kind {@code kind}; standardize takes a second job for the deviations, summed in partition order. */
    private static Scaling scaling(Scaling.Kind kind, int width, int n, List<Summary> parts, JavaRDD<TrainingBlock> blocks) {
        if (kind != Scaling.Kind.STANDARDIZE) {
            return Scaling.ofKind(kind, width);
        }
        double[] mean = new double[width];
        for (Summary p : parts) {
            if (p.rows > 0) {
                for (int c = 0; c < width; c++) {
                    mean[c] += p.columnSums[c];
                }
            }
        }
        for (int c = 0; c < width; c++) {
            mean[c] /= n;
        }
        List<double[]> squares = blocks.map(b -> b.rows == 0 ? null : columnSums(b, mean)).collect();
        double[] var = new double[width];
        for (double[] sq : squares) {
            if (sq != null) {
                for (int c = 0; c < width; c++) {
                    var[c] += sq[c];
                }
            }
        }
        for (int c = 0; c < width; c++) {
            var[c] /= n;
        }
        return Scaling.standardize(mean, var);
    }

    /** Column sums of a block's features, or of their squared deviations from {@code mean}. */
    private static double[] columnSums(TrainingBlock b, double[] mean) {
        double[] s = new double[b.features];
        for (int r = 0; r < b.rows; r++) {
            for (int c = 0; c < b.features; c++) {
                double v = b.x[r * b.features + c];
                if (mean == null) {
                    s[c] += v;
                } else {
                    double d = v - mean[c];
                    s[c] += d * d;
                }
            }
        }
        return s;
    }

    /** The trained network as a model file's bytes, then as the transformer. */
    private VecmlpModel newModel(Model model, Scaling scale, Map<String, String> metadata) {
        Path temp = null;
        try {
            temp = Files.createTempFile("vecmlp-fit-", ".safetensors");
            ModelFile.write(temp, model, scale, metadata);
            VecmlpModel m = VecmlpModel.of(uid, Files.readAllBytes(temp), "the fit of " + uid);
            m.setFeaturesCol(str(featuresCol)).setPredictionCol(str(predictionCol)).setProbabilityCol(str(probabilityCol));
            return m.setParent(this);
        } catch (IOException e) {
            throw new UncheckedIOException("the trained model: expected to write it to a temporary file, found " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // A temporary file the system cleans up anyway.
                }
            }
        }
    }

    @Override
    public VecmlpEstimator copy(ParamMap extra) {
        return (VecmlpEstimator) defaultCopy(extra);
    }

    @Override
    public MLWriter write() {
        return new DefaultParamsWriter(this);
    }

    /** The reader of saved estimators; Spark's {@code Pipeline.load} finds it by this name. */
    public static MLReader<VecmlpEstimator> read() {
        return new DefaultParamsReader<>();
    }

    public static VecmlpEstimator load(String path) {
        return read().load(path);
    }
}
