package dev.vecmlp.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.data.IdxReader;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.Safetensors;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Schedule;
import dev.vecmlp.train.Trainer;

/** {@link VecmlpEstimator} in local[2]: the Trainer's bits, determinism, learning, persistence, bad input. */
class VecmlpEstimatorTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkTests.spark();
    }

    /** Three Gaussian blobs in 12 dimensions, as TrainerTest's. */
    private record Blobs(float[] x, int[] y) {
        static Blobs of(int rows, long seed) {
            SplittableRandom rng = new SplittableRandom(seed);
            float[] x = new float[rows * 12];
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = rng.nextInt(3);
                for (int c = 0; c < 12; c++) {
                    x[r * 12 + c] = (float) (rng.nextGaussian() + (c % 3 == y[r] ? 1.5 : 0));
                }
            }
            return new Blobs(x, y);
        }

        Dataset<Row> frame(int partitions) {
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < y.length; r++) {
                rows.add(RowFactory.create(java.util.Arrays.copyOfRange(x, r * 12, (r + 1) * 12), y[r]));
            }
            StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType))
                    .add("label", DataTypes.IntegerType);
            // One slice per partition, in row order: repartition would shuffle the rows among them.
            return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions),
                    schema);
        }
    }

    private static float[] parameters(VecmlpModel m) throws IOException {
        try (ModelFile.Contents c = ModelFile.read(Safetensors.read(Path.of("fit"), m.modelBytes()),
                dev.vecmlp.kernel.KernelProvider.best())) {
            return c.model().parametersToArray();
        }
    }

    private static VecmlpEstimator small() {
        return new VecmlpEstimator().setLayers("16:tanh").setScaling("none").setLearningRate(0.1).setBatchSize(32).setEpochs(3)
                .setSeed(7);
    }

    @Test
    void onOnePartitionAFitIsTheTrainersWithOneShardBitForBit() throws IOException {
        Blobs data = Blobs.of(300, 1);
        VecmlpModel fitted = small().setSchedule("cosine").fit(data.frame(1));

        Mlp spec = Mlp.input(12).dense(16, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        try (dev.vecmlp.data.Dataset d = dev.vecmlp.data.Dataset.ofClassification("blobs", data.x(), 12, data.y(), 3);
             Model m = spec.init(7);
             Trainer t = Trainer.builder(m, Optimizer.named("optimizer", "momentum", 0.1, 0.9, 1e-4)).batch(32).epochs(3).seed(7)
                     .shards(1).threads(1).schedule(Schedule.parse("cosine")).build()) {
            t.fit(d, null);
            assertArrayEquals(m.parametersToArray(), parameters(fitted));
        }
    }

    @Test
    void aFullBatchFitComputesItsGradientInChunksAsTheTrainerDoesBitForBit() throws IOException {
        // 2,500 rows in one partition, all of them a step's batch: chunks of 1,024, 1,024 and 452 rows
        // (ChunkedGradient.rowsFor), as the Trainer's one shard of 2,500 rows runs them.
        Blobs data = Blobs.of(2500, 3);
        VecmlpModel fitted = small().setBatchSize(2500).setEpochs(6).fit(data.frame(1));

        Mlp spec = Mlp.input(12).dense(16, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        try (dev.vecmlp.data.Dataset d = dev.vecmlp.data.Dataset.ofClassification("blobs", data.x(), 12, data.y(), 3);
             Model m = spec.init(7);
             Trainer t = Trainer.builder(m, Optimizer.named("optimizer", "momentum", 0.1, 0.9, 1e-4)).batch(2500).epochs(6)
                     .seed(7).shards(1).threads(1).build()) {
            float[] initial = m.parametersToArray();
            t.fit(d, null);
            assertFalse(java.util.Arrays.equals(initial, m.parametersToArray()), "six steps moved the weights");
            assertArrayEquals(m.parametersToArray(), parameters(fitted));
        }
    }

    @Test
    void twoFitsWithTheSameSeedAndPartitionsGiveTheSameBits() throws IOException {
        Dataset<Row> frame = Blobs.of(500, 2).frame(3);
        float[] a = parameters(small().fit(frame)), b = parameters(small().fit(frame));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, parameters(small().setSeed(8).fit(frame))), "another seed, other weights");
        float[] avg1 = parameters(small().setMode("average").setLocalSteps(3).fit(frame));
        assertArrayEquals(avg1, parameters(small().setMode("average").setLocalSteps(3).fit(frame)), "averaging too");
        assertFalse(java.util.Arrays.equals(a, avg1), "averaging is another algorithm");
    }

    @Test
    void aSmallNetLearnsXorInBothModes() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            int a = i & 1, b = (i >> 1) & 1;
            rows.add(RowFactory.create(List.of((double) a, (double) b), a ^ b));
        }
        StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("label", DataTypes.IntegerType);
        Dataset<Row> xor = spark.createDataFrame(rows, schema).repartition(2);
        for (String mode : new String[] {"sync", "average"}) {
            VecmlpModel m = new VecmlpEstimator().setLayers("8:tanh").setScaling("none").setOptimizer("adam").setLearningRate(0.05)
                    .setBatchSize(64).setEpochs(40).setMode(mode).setLocalSteps(4).fit(xor);
            assertEquals(1.0, SparkTests.accuracy(m, xor), mode);
        }
    }

    private static Dataset<Row> digits(String split) throws IOException {
        Path dir = Path.of("..", "data", "mnist-10k");
        try (dev.vecmlp.data.Dataset d = IdxReader.read(dir.resolve(split + "-images-idx3-ubyte.gz"),
                dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
            List<Row> rows = new ArrayList<>(d.size());
            for (int r = 0; r < d.size(); r++) {
                float[] f = new float[d.features()];
                for (int c = 0; c < f.length; c++) {
                    f[c] = d.feature(r, c);
                }
                rows.add(RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(toDoubles(f)), d.label(r)));
            }
            StructType schema = new StructType().add("pixels", org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
                    .add("digit", DataTypes.IntegerType);
            return spark.createDataFrame(rows, schema).repartition(4);
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /**
     * The bundled 8,000 digits in 4 partitions, 784-128-10, momentum 0.3, global batch 256, 15
     * epochs (470 synchronous steps, each a job): at least 0.95 on the 2,000 test digits (0.959
     * at 512-bit vectors on an Intel Xeon; the bits, and so the last digits, depend on the vector width).
     */
    @Test
    void theBundledDigitsAreLearnedInLocalMode() throws IOException {
        Dataset<Row> train = digits("train").cache(), test = digits("t10k");
        long t0 = System.nanoTime();
        VecmlpModel m = new VecmlpEstimator().setFeaturesCol("pixels").setLabelCol("digit").setLayers("128:relu")
                .setScaling("divide").setLearningRate(0.3).setBatchSize(256).setEpochs(15).fit(train);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double acc = SparkTests.accuracy(m, test.withColumnRenamed("digit", "label"));
        System.out.printf("digits in local[2]: 8000 rows in 4 partitions, 15 epochs of 32 steps in %.1f s, test accuracy %.4f%n",
                seconds, acc);
        assertTrue(acc >= 0.95, "test accuracy " + acc);
        train.unpersist();
    }

    @Test
    void theEstimatorSavesAndLoadsAloneAndInAPipeline() throws IOException {
        VecmlpEstimator e = small().setLayers("9:relu,7:tanh").setOptimizer("adam").setMode("average").setLocalSteps(5);
        Path alone = dir.resolve("estimator");
        e.write().save(alone.toString());
        VecmlpEstimator back = VecmlpEstimator.load(alone.toString());
        assertEquals(e.uid(), back.uid());
        assertEquals("9:relu,7:tanh", back.getOrDefault(back.layers()));
        assertEquals(5, (int) (Integer) back.getOrDefault(back.localSteps()));
        assertEquals(0.1, (double) (Double) back.getOrDefault(back.learningRate()));

        Dataset<Row> frame = Blobs.of(200, 3).frame(2);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {small()});
        Path saved = dir.resolve("pipeline");
        pipeline.write().save(saved.toString());
        PipelineModel fitted = Pipeline.load(saved.toString()).fit(frame);
        assertEquals(VecmlpModel.class, fitted.stages()[0].getClass());
        assertArrayEquals(parameters(small().fit(frame)), parameters((VecmlpModel) fitted.stages()[0]),
                "the loaded pipeline's estimator trains as the original");
    }

    private static String messages(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static void assertFitFails(VecmlpEstimator e, Dataset<Row> data, String... fragments) {
        Exception x = assertThrows(Exception.class, () -> e.fit(data));
        for (String f : fragments) {
            assertTrue(messages(x).contains(f), "expected '" + f + "' in: " + messages(x));
        }
    }

    private static Dataset<Row> rows(DataTypes_ labelType, Object... labelsAndFeatures) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < labelsAndFeatures.length; i += 2) {
            rows.add(RowFactory.create(labelsAndFeatures[i + 1], labelsAndFeatures[i]));
        }
        StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("label", labelType.type);
        return spark.createDataFrame(rows, schema).coalesce(1);
    }

    private enum DataTypes_ {
        INT(DataTypes.IntegerType), DOUBLE(DataTypes.DoubleType);

        final org.apache.spark.sql.types.DataType type;

        DataTypes_(org.apache.spark.sql.types.DataType type) {
            this.type = type;
        }
    }

    @Test
    void badRowsFailTheFitNamingTheColumnTheRowAndTheExpectation() {
        List<Double> two = List.of(0.5, 1.5);
        assertFitFails(small(), rows(DataTypes_.INT, 0, two, null, two), "labelCol 'label', row 1 of partition 0",
                "expected a class (a whole number from 0), found null");
        assertFitFails(small(), rows(DataTypes_.DOUBLE, 0.0, two, 1.5, two), "row 1 of partition 0",
                "expected a class (a whole number from 0 to 1048575), found 1.5");
        assertFitFails(small(), rows(DataTypes_.INT, 0, two, 1, List.of(0.5)), "featuresCol 'features' (array<double>), row 1 of"
                + " partition 0", "expected 2 features (the width of this partition's first row), found 1");
        assertFitFails(small(), rows(DataTypes_.INT, 0, two, 1, List.of(0.5, Double.NaN)), "row 1 of partition 0",
                "feature 1: expected a finite number, found NaN");
        assertFitFails(small(), rows(DataTypes_.INT, 0, two, 0, two), "labelCol 'label': expected at least 2 classes");
        assertFitFails(small().setLoss("squared"), rows(DataTypes_.DOUBLE, 0.0, two, Double.POSITIVE_INFINITY, two),
                "labelCol 'label', row 1 of partition 0: expected a finite number (as a float), found Infinity");
    }

    @Test
    void badSettingsAndColumnsFailBeforeAnyJob() {
        Dataset<Row> frame = rows(DataTypes_.INT, 0, List.of(1.0), 1, List.of(2.0));
        assertFitFails(small().setLayers("16:relux"), frame, "activation: expected linear, relu, softplus, threshold, logistic or tanh,"
                + " found 'relux'");
        assertFitFails(small().setOptimizer("rmsprop"), frame, "optimizer: expected sgd, momentum, nesterov or adam, found 'rmsprop'");
        assertFitFails(small().setMode("async"), frame, "mode: expected sync or average, found 'async'");
        assertFitFails(small().setSchedule("linear"), frame, "schedule: expected constant");
        assertFitFails(small().setLabelCol("y"), frame, "labelCol 'y': expected a column of that name, found the columns [features, label]");
        Dataset<Row> textLabels = frame.withColumn("label", frame.col("label").cast("string"));
        assertFitFails(small(), textLabels, "labelCol 'label': expected a numeric column, found string");
    }
}
