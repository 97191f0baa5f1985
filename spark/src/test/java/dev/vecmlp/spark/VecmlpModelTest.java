package dev.vecmlp.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Outputs;
import dev.vecmlp.nn.Predictor;

/** {@link VecmlpModel} in local[2]: the same bits as the engine and as ./vecmlp predict, persistence, bad input. */
class VecmlpModelTest {
    private static final int INPUTS = 12;
    private static final int CLASSES = 5;
    private static final int ROWS = 1000;

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Path modelFile;
    private static float[][] features;

    @BeforeAll
    static void aModelAndItsData() throws IOException {
        spark = SparkTests.spark();
        modelFile = dir.resolve("m.safetensors");
        SplittableRandom rng = new SplittableRandom(11);
        float[] offset = new float[INPUTS], factor = new float[INPUTS];
        for (int c = 0; c < INPUTS; c++) {
            offset[c] = (float) rng.nextGaussian();
            factor[c] = (float) (0.5 + rng.nextDouble());
        }
        try (Model m = Mlp.input(INPUTS).dense(16, Activation.TANH).dense(16, Activation.RELU).dense(CLASSES, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build().init(3)) {
            ModelFile.write(modelFile, m, Scaling.of(Scaling.Kind.STANDARDIZE, offset, factor), Map.of());
        }
        features = new float[ROWS][INPUTS];
        for (float[] row : features) {
            for (int c = 0; c < INPUTS; c++) {
                row[c] = (float) (3 * rng.nextGaussian());
            }
        }
    }

    /** What the engine says for every row: the scaled features through a Predictor, in one batch of them all. */
    private static float[][] expectedProbabilities() throws IOException {
        float[][] p = new float[ROWS][CLASSES];
        try (ModelFile.Contents c = ModelFile.read(modelFile); Predictor predictor = c.model().predictor(ROWS)) {
            float[] x = new float[ROWS * INPUTS], y = new float[ROWS * CLASSES];
            for (int r = 0; r < ROWS; r++) {
                System.arraycopy(features[r], 0, x, r * INPUTS, INPUTS);
            }
            c.scaling().apply(x);
            predictor.predict(x, y);
            for (int r = 0; r < ROWS; r++) {
                Outputs.softmaxInPlace(y, r * CLASSES, CLASSES);
                System.arraycopy(y, r * CLASSES, p[r], 0, CLASSES);
            }
        }
        return p;
    }

    private static Dataset<Row> frame(DataType type, Function<float[], Object> column, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            rows.add(RowFactory.create((long) r, column.apply(features[r])));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false).add("features", type, true);
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    private static List<Object> floats(float[] x) {
        List<Object> l = new ArrayList<>();
        for (float v : x) {
            l.add(v);
        }
        return l;
    }

    private static List<Object> doubles(float[] x) {
        List<Object> l = new ArrayList<>();
        for (float v : x) {
            l.add((double) v);
        }
        return l;
    }

    private static Vector vector(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        // Every third row sparse, with its zeros left out, to take the sparse path too.
        return Vectors.dense(d);
    }

    private static List<Row> byId(Dataset<Row> scored) {
        List<Row> rows = new ArrayList<>(scored.collectAsList());
        rows.sort(Comparator.comparingLong(r -> r.getLong(0)));
        return rows;
    }

    private static void assertSameAsTheEngine(Dataset<Row> scored) throws IOException {
        float[][] expected = expectedProbabilities();
        List<Row> rows = byId(scored);
        assertEquals(ROWS, rows.size());
        int[] seen = new int[CLASSES];
        for (int r = 0; r < ROWS; r++) {
            Row row = rows.get(r);
            double[] p = ((Vector) row.getAs("probability")).toArray();
            double[] e = new double[CLASSES];
            for (int c = 0; c < CLASSES; c++) {
                e[c] = expected[r][c];
            }
            assertArrayEquals(e, p, "row " + r + ": the probabilities, bit for bit");
            int predicted = Outputs.predictedClass(expected[r], 0, CLASSES);
            assertEquals(predicted, row.<Double>getAs("prediction"), "row " + r);
            seen[predicted]++;
        }
        int classesSeen = 0;
        for (int n : seen) {
            classesSeen += n > 0 ? 1 : 0;
        }
        assertTrue(classesSeen >= 3, "the rows spread over the classes, so a constant answer would fail: " + List.of(seen));
    }

    @Test
    void arraysOfFloatsScoreAsTheEngineDoesRowByRow() throws IOException {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString()).setBatchSize(7);
        assertSameAsTheEngine(model.transform(frame(DataTypes.createArrayType(DataTypes.FloatType), VecmlpModelTest::floats, 3)));
    }

    @Test
    void arraysOfDoublesScoreAsTheEngineDoes() throws IOException {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString());
        assertSameAsTheEngine(model.transform(frame(DataTypes.createArrayType(DataTypes.DoubleType), VecmlpModelTest::doubles, 4)));
    }

    @Test
    void denseAndSparseVectorsScoreAsTheEngineDoes() throws IOException {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString()).setBatchSize(64);
        int[] n = {0};
        Function<float[], Object> mixed = x -> {
            Vector v = vector(x);
            return n[0]++ % 3 == 0 ? v.toSparse() : v;
        };
        float saved = features[5][2];
        features[5][2] = 0f; // a zero that the sparse form leaves out
        try {
            assertSameAsTheEngine(model.transform(frame(SQLDataTypes.VectorType(), mixed, 2)));
        } finally {
            features[5][2] = saved;
        }
    }

    @Test
    void theColumnsAreTheOnesAskedFor() {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString()).setRawPredictionCol("scores").setProbabilityCol("");
        Dataset<Row> scored = model.transform(frame(DataTypes.createArrayType(DataTypes.FloatType), VecmlpModelTest::floats, 2));
        assertEquals(List.of("id", "features", "scores", "prediction"), List.of(scored.schema().fieldNames()));
        Row first = byId(scored).getFirst();
        DenseVector scores = (DenseVector) first.getAs("scores");
        assertEquals(CLASSES, scores.size());
        assertEquals(Outputs.predictedClass(toFloats(scores.values()), 0, CLASSES), first.<Double>getAs("prediction"),
                "the class is the largest score");
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void anExecutorReadsAModelOnceForAllItsTasks() {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString());
        Dataset<Row> data = frame(DataTypes.createArrayType(DataTypes.FloatType), VecmlpModelTest::floats, 8);
        model.transform(data).count(); // may read it, or find it from an earlier test
        long before = ExecutorModels.reads();
        assertEquals(ROWS, model.transform(data).collectAsList().size());
        assertEquals(before, ExecutorModels.reads(), "8 tasks on 2 cores, the model read by none of them: it was loaded");
        assertTrue(ExecutorModels.idle() >= 1, "released when the tasks ended");
        assertTrue(ExecutorModels.loaded() <= ExecutorModels.MAX_IDLE, "no more idle models kept than the bound");
    }

    @Test
    void theResultsAreThoseOfVecmlpPredict() throws Exception {
        StringBuilder csv = new StringBuilder();
        for (int c = 0; c < INPUTS; c++) {
            csv.append(c == 0 ? "" : ",").append("f").append(c);
        }
        csv.append('\n');
        for (float[] row : features) {
            for (int c = 0; c < INPUTS; c++) {
                csv.append(c == 0 ? "" : ",").append(row[c]);
            }
            csv.append('\n');
        }
        Path data = Files.writeString(dir.resolve("features.csv"), csv);
        Path out = dir.resolve("predictions.csv");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.vecmlp.cli.Main", "predict", "--model", modelFile.toString(), "--data", data.toString(), "--no-label",
                "--output", out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        List<String> lines = Files.readAllLines(out);
        assertEquals("row,class,p0,p1,p2,p3,p4", lines.getFirst());

        List<Row> rows = byId(VecmlpModel.fromFile(modelFile.toString())
                .transform(frame(DataTypes.createArrayType(DataTypes.FloatType), VecmlpModelTest::floats, 3)));
        for (int r = 0; r < ROWS; r++) {
            StringBuilder line = new StringBuilder().append(r).append(',').append((int) rows.get(r).<Double>getAs("prediction").doubleValue());
            for (double v : ((Vector) rows.get(r).getAs("probability")).toArray()) {
                line.append(',').append(String.format(Locale.ROOT, "%.6g", (float) v));
            }
            assertEquals(lines.get(r + 1), line.toString(), "row " + r);
        }
    }

    @Test
    void savedAloneAndInAPipelineItLoadsWithItsParameters() throws IOException {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString()).setFeaturesCol("features").setBatchSize(33)
                .setPredictionCol("label");
        Path alone = dir.resolve("saved-alone");
        model.write().save(alone.toString());
        assertArrayEquals(Files.readAllBytes(modelFile), Files.readAllBytes(alone.resolve(VecmlpModel.DATA_FILE)),
                "the model file is stored unchanged");
        VecmlpModel loaded = VecmlpModel.load(alone.toString());
        assertEquals(model.uid(), loaded.uid());
        assertEquals(33, loaded.getBatchSize());
        assertEquals("label", loaded.getPredictionCol());

        Dataset<Row> data = frame(DataTypes.createArrayType(DataTypes.FloatType), VecmlpModelTest::floats, 2);
        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {model}).fit(data);
        Path inPipeline = dir.resolve("saved-pipeline");
        pipeline.write().save(inPipeline.toString());
        PipelineModel back = PipelineModel.load(inPipeline.toString());
        assertEquals(VecmlpModel.class, back.stages()[0].getClass());
        List<Row> a = byId(model.transform(data)), b = byId(back.transform(data));
        assertEquals(a, b);

        // Saving over it without overwrite() is refused, and what was there stays whole.
        assertThrows(IOException.class, () -> model.write().save(alone.toString()));
        assertEquals(33, VecmlpModel.load(alone.toString()).getBatchSize());
    }

    @Test
    void aSaveThatFailsLeavesNoModelBehind() throws IOException {
        // A disk that takes the model file, then refuses Spark's metadata: the save fails half done.
        spark.sparkContext().hadoopConfiguration().set("fs.flaky.impl", FlakyFileSystem.class.getName());
        spark.sparkContext().hadoopConfiguration().setBoolean("fs.flaky.impl.disable.cache", true);
        Path target = dir.resolve("half-saved");
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString());
        Exception e = assertThrows(Exception.class, () -> model.write().save("flaky://" + target));
        assertTrue(rootMessage(e).contains("flaky: refused to create"), rootMessage(e));
        assertFalse(Files.exists(target), "nothing left where the model was to be, not even its model file");

        // The same disk without the fault: the save goes through it (so the fault is what failed above).
        FlakyFileSystem.failOn = "/no such path/";
        try {
            model.write().save("flaky://" + target);
            assertTrue(Files.exists(target.resolve(VecmlpModel.DATA_FILE)));
        } finally {
            FlakyFileSystem.failOn = "/metadata";
        }
    }

    private static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static void assertJobFails(Dataset<Row> data, String... fragments) {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString());
        Exception e = assertThrows(Exception.class, () -> model.transform(data).collectAsList());
        String m = rootMessage(e);
        for (String f : fragments) {
            assertTrue(m.contains(f), "expected '" + f + "' in: " + m);
        }
    }

    private static Dataset<Row> withRow(Object bad) {
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < 20; r++) {
            rows.add(RowFactory.create((long) r, r == 13 ? bad : floats(features[r])));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true);
        return spark.createDataFrame(rows, schema).coalesce(1);
    }

    @Test
    void aNullOrShortOrNonFiniteRowFailsTheJobNamingTheRow() {
        assertJobFails(withRow(null), "featuresCol 'features' (array<float>), row 13 of partition 0", "found null");
        assertJobFails(withRow(floats(new float[INPUTS - 1])), "row 13 of partition 0",
                "expected 12 features (the model's inputs), found 11");
        float[] nan = features[13].clone();
        nan[4] = Float.NaN;
        assertJobFails(withRow(floats(nan)), "row 13 of partition 0", "feature 4: expected a finite number, found NaN");
        List<Object> withNull = floats(features[13]);
        withNull.set(2, null);
        assertJobFails(withRow(withNull), "row 13 of partition 0", "feature 2: expected a number, found null");
    }

    @Test
    void aWrongColumnIsRefusedBeforeAnyJob() {
        VecmlpModel model = VecmlpModel.fromFile(modelFile.toString());
        StructType strings = new StructType().add("features", DataTypes.StringType);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.transformSchema(strings));
        assertEquals("featuresCol 'features': expected array<float>, array<double> or an ML vector, found string", e.getMessage());

        StructType other = new StructType().add("id", DataTypes.LongType).add("pixels", SQLDataTypes.VectorType());
        e = assertThrows(IllegalArgumentException.class, () -> model.transformSchema(other));
        assertEquals("featuresCol 'features': expected a column of that name, found the columns [id, pixels]", e.getMessage());

        StructType taken = new StructType().add("features", SQLDataTypes.VectorType()).add("prediction", DataTypes.IntegerType);
        e = assertThrows(IllegalArgumentException.class, () -> model.transformSchema(taken));
        assertEquals("predictionCol 'prediction': expected a new column, found one of type int already there", e.getMessage());
    }

    @Test
    void aFileThatIsNoModelIsRefusedWhereItIsNamed() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VecmlpModel.fromFile(dir.resolve("missing.safetensors").toString()));
        assertTrue(e.getMessage().endsWith("missing.safetensors: expected a model file (safetensors), found no such file"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VecmlpModel.fromFile(dir.toString()));
        assertTrue(e.getMessage().endsWith(": expected a model file (safetensors), found a directory"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VecmlpModel.fromBytes("a,b,c\n1,2,3\n".getBytes(), "db:models/7"));
        assertTrue(e.getMessage().startsWith("db:models/7: "), e.getMessage());
        assertTrue(e.getMessage().contains("not a safetensors header length"), e.getMessage());
    }
}
