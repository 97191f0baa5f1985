package dev.vecmlp.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import scala.jdk.javaapi.CollectionConverters;

import dev.vecmlp.data.IdxReader;
import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.train.Evaluation;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Trainer;

/**
 * vecmlp against Spark MLlib's multilayer perceptron, in local[2], on one machine in one run
 * (not a test: {@code ../build spark-bench}, a few minutes):
 * <ol>
 *   <li>scoring: rows per second of {@link VecmlpModel#transform} against
 *       {@code MultilayerPerceptronClassificationModel.transform}, the same 784-128-10 sigmoid
 *       network (MLlib's weights copied into vecmlp), every output column computed;</li>
 *   <li>one full-batch gradient step: MLlib's per-iteration time (solver gd) against the
 *       estimator's synchronous step with the whole data set as the batch, each step timed by
 *       Spark from its job's start to the next step job's start;</li>
 *   <li>the bundled digits to 0.96: the estimator in local[2] against the engine's Trainer in
 *       one JVM (2 threads), the same network and settings, and the cost of a step in Spark.</li>
 * </ol>
 * Each timing is the median of {@code --runs} (default 5) after one unmeasured run, the two
 * engines alternating; {@code --parts 13} runs parts 1 and 3 only.
 */
public final class SparkBench {
    private SparkBench() {
    }

    public static void main(String[] args) throws IOException, TimeoutException {
        int rows = 60_000, runs = 5;
        String parts = "123";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--parts" -> parts = args[++i];
                default -> throw new IllegalArgumentException("SparkBench: expected --rows N, --runs N or --parts 123, found "
                        + args[i]);
            }
        }
        SparkSession spark = SparkTests.spark();
        System.out.printf(Locale.ROOT, "SparkBench: local[2], %d synthetic rows of 784 features, %d runs each, %s, %d cores%n", rows,
                runs, System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
        Dataset<Row> data = synthetic(spark, rows).cache();
        data.count();
        if (parts.contains("1")) {
            scoring(data, rows, runs);
        }
        if (parts.contains("2")) {
            gradientStep(spark, data, rows, runs);
        }
        if (parts.contains("3")) {
            digits(spark, runs);
        }
        spark.stop();
    }

    /** Pixel-like features in [0, 1] and 10 classes, made in the executors from a seed per row. */
    private static Dataset<Row> synthetic(SparkSession spark, int rows) {
        List<Integer> ids = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            ids.add(i);
        }
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ids, 4).map(i -> {
            SplittableRandom rng = new SplittableRandom(i * 0x9E3779B97F4A7C15L + 1);
            double[] x = new double[784];
            int label = rng.nextInt(10);
            for (int c = 0; c < 784; c++) {
                x[c] = (c % 10 == label ? 0.3 : 0) + 0.7 * rng.nextDouble();
            }
            return RowFactory.create(Vectors.dense(x), (double) label);
        }), schema);
    }

    private static double seconds(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String range(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "median %.3f s [%.3f-%.3f]", median(v), s[0], s[s.length - 1]);
    }

    /** Runs {@code a} and {@code b} alternately, once unmeasured each, then {@code runs} times each. */
    private static double[][] alternate(int runs, Runnable a, Runnable b) {
        a.run();
        b.run();
        double[][] t = new double[2][runs];
        for (int i = 0; i < runs; i++) {
            t[0][i] = seconds(a);
            t[1][i] = seconds(b);
        }
        return t;
    }

    private static void scoring(Dataset<Row> data, int rows, int runs) throws IOException {
        MultilayerPerceptronClassificationModel mllib = new MultilayerPerceptronClassifier().setLayers(new int[] {784, 128, 10})
                .setMaxIter(3).setSeed(1).fit(data.limit(2000));
        VecmlpModel ours = sameNetwork(mllib.weights());
        List<Row> a = ours.transform(data.limit(2000)).select("prediction").collectAsList();
        List<Row> b = mllib.transform(data.limit(2000)).select("prediction").collectAsList();
        int agree = 0;
        for (int i = 0; i < a.size(); i++) {
            agree += a.get(i).getDouble(0) == b.get(i).getDouble(0) ? 1 : 0;
        }
        double[][] t = alternate(runs, () -> ours.transform(data).write().format("noop").mode("overwrite").save(),
                () -> mllib.transform(data).write().format("noop").mode("overwrite").save());
        System.out.printf(Locale.ROOT, "%n1. scoring %d rows, 784-128-10 sigmoid (the same weights; the two agree on %d of %d"
                + " classes):%n   vecmlp %s, %,.0f rows/s%n   MLlib  %s, %,.0f rows/s%n   vecmlp / MLlib rows per second: %.2f%n",
                rows, agree, a.size(), range(t[0]), rows / median(t[0]), range(t[1]), rows / median(t[1]),
                median(t[1]) / median(t[0]));
    }

    /** MLlib's weights (per layer: W column-major out x in, then the bias) as a vecmlp model file. */
    private static VecmlpModel sameNetwork(Vector weights) throws IOException {
        double[] w = weights.toArray();
        int[] sizes = {784, 128, 10};
        float[] params = new float[w.length];
        int at = 0, to = 0;
        for (int l = 0; l < 2; l++) {
            int in = sizes[l], out = sizes[l + 1];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    params[to + o * in + i] = (float) w[at + i * out + o];
                }
            }
            at += in * out;
            to += in * out;
            for (int o = 0; o < out; o++) {
                params[to++] = (float) w[at++];
            }
        }
        Mlp spec = Mlp.input(784).dense(128, Activation.LOGISTIC).dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY)
                .build();
        Path temp = Files.createTempFile("sparkbench", ".safetensors");
        try (Model m = spec.withParameters(params, KernelProvider.best())) {
            ModelFile.write(temp, m, Scaling.none(784), Map.of());
            return VecmlpModel.fromBytes(Files.readAllBytes(temp), "MLlib's weights");
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * The start of every job, named by its last stage (its call site, as {@code collect at
     * VecmlpEstimator.java:331} or {@code treeAggregate at RDDLossFunction.scala:61}).
     */
    private static final class JobStarts extends SparkListener {
        private final List<Long> times = new ArrayList<>();
        private final List<String> names = new ArrayList<>();

        @Override
        public synchronized void onJobStart(SparkListenerJobStart start) {
            String name = "";
            int last = -1;
            for (StageInfo stage : CollectionConverters.asJava(start.stageInfos())) {
                if (stage.stageId() > last) {
                    last = stage.stageId();
                    name = stage.name();
                }
            }
            times.add(start.time());
            names.add(name);
        }

        synchronized int count() {
            return times.size();
        }

        /**
         * The times from one step's start to the next's among the jobs from index {@code from}
         * on: the steps are the jobs of the most frequent name, which a fit of many steps gives
         * its steps (one job each, in both engines).
         */
        synchronized List<Double> stepPeriods(int from) {
            Map<String, Integer> counts = new java.util.HashMap<>();
            String steps = null;
            for (int j = from; j < names.size(); j++) {
                int c = counts.merge(names.get(j), 1, Integer::sum);
                if (steps == null || c > counts.get(steps)) {
                    steps = names.get(j);
                }
            }
            List<Double> periods = new ArrayList<>();
            long previous = -1;
            for (int j = from; j < names.size(); j++) {
                if (names.get(j).equals(steps)) {
                    if (previous >= 0) {
                        periods.add((times.get(j) - previous) / 1e3);
                    }
                    previous = times.get(j);
                }
            }
            return periods;
        }
    }

    /**
     * One full-batch gradient step of each engine, timed by Spark: a fit of {@code steps} steps
     * (one job each), the step time taken from one step job's start to the next's (the job, and
     * the driver's sum and update after it). The fits alternate, once unmeasured each.
     */
    private static void gradientStep(SparkSession spark, Dataset<Row> data, int rows, int runs) throws TimeoutException {
        int steps = 8;
        Supplier<MultilayerPerceptronClassifier> mllib = () -> new MultilayerPerceptronClassifier().setLayers(new int[] {784, 128, 10})
                .setSolver("gd").setStepSize(0.03).setTol(0).setSeed(1).setMaxIter(steps);
        Supplier<VecmlpEstimator> ours = () -> new VecmlpEstimator().setLayers("128:logistic").setScaling("none").setOptimizer("sgd")
                .setLearningRate(0.03).setWeightDecay(0).setBatchSize(rows).setSeed(1).setEpochs(steps);
        JobStarts jobs = new JobStarts();
        spark.sparkContext().addSparkListener(jobs);
        List<Double> ourSteps = new ArrayList<>(), theirSteps = new ArrayList<>();
        double[] ourFits = new double[runs], theirFits = new double[runs];
        try {
            for (int i = -1; i < runs; i++) {
                int before = jobs.count();
                ours.get().fit(data);
                spark.sparkContext().listenerBus().waitUntilEmpty();
                List<Double> o = jobs.stepPeriods(before);
                before = jobs.count();
                mllib.get().fit(data);
                spark.sparkContext().listenerBus().waitUntilEmpty();
                List<Double> t = jobs.stepPeriods(before);
                // MLlib runs one job more than its iterations (its loss at the start).
                if (o.size() < steps - 1 || t.size() < steps - 1) {
                    throw new IllegalStateException("expected at least " + (steps - 1) + " periods between " + steps + " step jobs,"
                            + " found " + o.size() + " (vecmlp) and " + t.size() + " (MLlib)");
                }
                if (i >= 0) {
                    ourSteps.addAll(o);
                    theirSteps.addAll(t);
                    ourFits[i] = median(o.stream().mapToDouble(Double::doubleValue).toArray());
                    theirFits[i] = median(t.stream().mapToDouble(Double::doubleValue).toArray());
                }
            }
        } finally {
            spark.sparkContext().removeSparkListener(jobs);
        }
        double[] o = ourSteps.stream().mapToDouble(Double::doubleValue).toArray();
        double[] t = theirSteps.stream().mapToDouble(Double::doubleValue).toArray();
        System.out.printf(Locale.ROOT, "%n2. one full-batch gradient step over %d rows (%d fits of %d steps each, alternating; a step"
                + " from its job's start to the next step job's start):%n   vecmlp %s over %d steps; fit medians %s%n"
                + "   MLlib  %s over %d steps; fit medians %s%n   MLlib / vecmlp time per step: %.2f (fit by fit: %s)%n", rows, runs,
                steps, range(o), o.length, range(ourFits), range(t), t.length, range(theirFits), median(t) / median(o),
                ratios(theirFits, ourFits));
    }

    /** {@code a[i] / b[i]} for each i, as a median and range. */
    private static String ratios(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = a[i] / b[i];
        }
        double[] s = r.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "median %.2f [%.2f-%.2f]", median(r), s[0], s[s.length - 1]);
    }

    private static void digits(SparkSession spark, int runs) throws IOException {
        Path dir = Path.of("..", "data", "mnist-10k");
        try (dev.vecmlp.data.Dataset train = IdxReader.read(dir.resolve("train-images-idx3-ubyte.gz"),
                dir.resolve("train-labels-idx1-ubyte.gz"));
             dev.vecmlp.data.Dataset test = IdxReader.read(dir.resolve("t10k-images-idx3-ubyte.gz"),
                     dir.resolve("t10k-labels-idx1-ubyte.gz"))) {
            Dataset<Row> trainFrame = frame(spark, train).repartition(4).cache(), testFrame = frame(spark, test);
            trainFrame.count();
            int epochs = 10, batch = 128;
            double lr = 0.2;
            int steps = epochs * ((train.size() + batch - 1) / batch);
            double[] sparkSeconds = new double[runs], jvmSeconds = new double[runs];
            double sparkAcc = 0, jvmAcc = 0;
            for (int i = -1; i < runs; i++) {
                long t0 = System.nanoTime();
                VecmlpModel m = new VecmlpEstimator().setLayers("256:relu").setScaling("divide").setLearningRate(lr).setBatchSize(batch)
                        .setEpochs(epochs).fit(trainFrame);
                double s = (System.nanoTime() - t0) / 1e9;
                sparkAcc = SparkTests.accuracy(m, testFrame);
                t0 = System.nanoTime();
                jvmAcc = trainer(train, test, epochs, batch, lr);
                double j = (System.nanoTime() - t0) / 1e9;
                if (i >= 0) {
                    sparkSeconds[i] = s;
                    jvmSeconds[i] = j;
                }
            }
            trainFrame.unpersist();
            System.out.printf(Locale.ROOT, "%n3. the bundled digits (8,000 rows), 784-256-10 relu, momentum 0.2, batch %d, %d epochs"
                    + " (%d steps):%n   local[2], 4 partitions: %s, test accuracy %.4f%n   one JVM, Trainer, 2 threads: %s, test"
                    + " accuracy %.4f%n   Spark's cost per step beyond the engine's: %.1f ms%n", batch, epochs, steps,
                    range(sparkSeconds), sparkAcc, range(jvmSeconds), jvmAcc,
                    (median(sparkSeconds) - median(jvmSeconds)) / steps * 1000);
        }
    }

    private static double trainer(dev.vecmlp.data.Dataset train, dev.vecmlp.data.Dataset test, int epochs, int batch, double lr) {
        Scaling s = Scaling.divide(784, 255f);
        try (dev.vecmlp.data.Dataset tr = train.slice(0, train.size()); dev.vecmlp.data.Dataset te = test.slice(0, test.size());
             Model m = Mlp.input(784).dense(256, Activation.RELU).dense(10, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY)
                     .build().init(42);
             Trainer t = Trainer.builder(m, Optimizer.named("optimizer", "momentum", lr, 0.9, 1e-4)).batch(batch).epochs(epochs)
                     .seed(42).threads(2).build()) {
            s.apply(tr);
            s.apply(te);
            t.fit(tr, null);
            Evaluation e = t.evaluate(te);
            return e.accuracy();
        }
    }

    private static Dataset<Row> frame(SparkSession spark, dev.vecmlp.data.Dataset d) {
        List<Row> rows = new ArrayList<>(d.size());
        for (int r = 0; r < d.size(); r++) {
            float[] f = new float[d.features()];
            for (int c = 0; c < f.length; c++) {
                f[c] = d.feature(r, c);
            }
            rows.add(RowFactory.create(f, d.label(r)));
        }
        StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType))
                .add("label", DataTypes.IntegerType);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 4), schema);
    }

}
