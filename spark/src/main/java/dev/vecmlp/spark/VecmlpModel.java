package dev.vecmlp.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.IntParam;
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
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.ModelFormatException;
import dev.vecmlp.io.Safetensors;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;

/**
 * A vecmlp model as a Spark ML {@link Model}: scores a DataFrame's features column in batches,
 * through the engine's {@code Predictor}, as {@code ./vecmlp predict} scores a file, with the
 * same bits.
 *
 * <pre>{@code
 * VecmlpModel model = VecmlpModel.fromFile("hdfs:///models/mnist.safetensors")
 *         .setFeaturesCol("pixels");
 * Dataset<Row> scored = model.transform(images);      // + prediction, probability
 * model.write().overwrite().save("hdfs:///pipelines/mnist");   // or inside a Pipeline
 * }</pre>
 *
 * <p><b>Columns.</b> {@code featuresCol} (default {@code features}) is {@code array<float>},
 * {@code array<double>} (rounded to float, as a cast does) or an ML vector, of the model's
 * input width. The model file's input scaling is applied first, as {@code predict} applies it.
 * Appended, in this order, each left out when its parameter is the empty string:
 * {@code rawPredictionCol} (default off): the network's outputs, before any softmax;
 * {@code predictionCol} (default {@code prediction}): the class for a softmax model or one with
 * several outputs, otherwise the one output; {@code probabilityCol} (default
 * {@code probability}): the class probabilities of a softmax model (a model without a softmax
 * adds no such column).
 *
 * <p><b>Where the work happens.</b> The file's bytes travel to the executors as a broadcast; each
 * executor JVM reads a model once and shares it among its tasks, and each task scores its
 * partition {@code batchSize} rows (default 256, {@code predict}'s batch) at a time with a
 * predictor of its own, closed when the task ends. A null or wrong-width features value, or a
 * NaN or infinite feature, fails the job with the column, the row within its partition, and
 * what was expected.
 *
 * <p><b>Persistence</b> is Spark ML's: {@code write().save(path)} (alone or in a
 * {@code PipelineModel}) stores the parameters as Spark's metadata and the model file itself,
 * unchanged, in {@code path/data/model.safetensors}; {@link #load} reads it back. A save that
 * fails leaves nothing at {@code path}.
 */
public final class VecmlpModel extends Model<VecmlpModel> implements MLWritable {
    private static final long serialVersionUID = 1L;

    /** Where a saved model keeps the model file, under the directory Spark saves into. */
    static final String DATA_FILE = "data/model.safetensors";

    private final String uid;
    private final byte[] bytes;
    private final String name;
    private final String key;
    private final int inputs;
    private final int outputs;
    private final boolean softmax;
    private final String architecture;

    private final Param<String> featuresCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final Param<String> rawPredictionCol;
    private final IntParam batchSize;

    private VecmlpModel(String uid, byte[] bytes, String name) {
        this.uid = uid;
        this.bytes = bytes;
        this.name = name;
        this.key = digest(bytes);
        // Read once here, on the driver, so that a file that is not a model fails now, not in a task.
        try (ModelFile.Contents c = ModelFile.read(Safetensors.read(java.nio.file.Path.of(name), bytes), KernelProvider.best())) {
            Mlp spec = c.model().spec();
            this.inputs = spec.inputs();
            this.outputs = spec.outputs();
            this.softmax = spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY;
            this.architecture = c.model().toString();
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        featuresCol = new Param<>(this, "featuresCol",
                "the features: array<float>, array<double> or an ML vector, of the model's input width");
        predictionCol = new Param<>(this, "predictionCol",
                "the predicted class (a softmax model or one with several outputs) or the one output; empty for none");
        probabilityCol = new Param<>(this, "probabilityCol",
                "the class probabilities of a softmax model, as an ML vector; empty for none");
        rawPredictionCol = new Param<>(this, "rawPredictionCol",
                "the network's outputs before any softmax, as an ML vector; empty for none");
        batchSize = new IntParam(this, "batchSize", "rows scored in one call of the engine (> 0)", ParamValidators.gt(0));
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(rawPredictionCol, "");
        setDefault(batchSize, 256);
    }

    /**
     * The model in a safetensors file written by vecmlp ({@code ./vecmlp train}, or
     * {@code ./vecmlp import} for a PyTorch file), read from a path the active session's
     * Hadoop configuration resolves.
     */
    public static VecmlpModel fromFile(String path) {
        return fromFile(SparkSession.active(), path);
    }

    /** As {@link #fromFile(String)}, with {@code spark}'s Hadoop configuration. */
    public static VecmlpModel fromFile(SparkSession spark, String path) {
        return new VecmlpModel(Identifiable.randomUID("vecmlp"), ModelBytes.read(path, spark.sparkContext().hadoopConfiguration()),
                path);
    }

    /** A model with the given uid, for the estimator that trained it. */
    static VecmlpModel of(String uid, byte[] bytes, String name) {
        return new VecmlpModel(uid, bytes, name);
    }

    /** The model in the bytes of a safetensors file; {@code name} stands for it in messages. */
    public static VecmlpModel fromBytes(byte[] bytes, String name) {
        return new VecmlpModel(Identifiable.randomUID("vecmlp"), bytes.clone(), name);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public VecmlpModel setFeaturesCol(String value) {
        return (VecmlpModel) set(featuresCol, value);
    }

    public VecmlpModel setPredictionCol(String value) {
        return (VecmlpModel) set(predictionCol, value);
    }

    public VecmlpModel setProbabilityCol(String value) {
        return (VecmlpModel) set(probabilityCol, value);
    }

    public VecmlpModel setRawPredictionCol(String value) {
        return (VecmlpModel) set(rawPredictionCol, value);
    }

    public VecmlpModel setBatchSize(int value) {
        return (VecmlpModel) set(batchSize, value);
    }

    public String getFeaturesCol() {
        return $(featuresCol);
    }

    public String getPredictionCol() {
        return $(predictionCol);
    }

    public String getProbabilityCol() {
        return $(probabilityCol);
    }

    public String getRawPredictionCol() {
        return $(rawPredictionCol);
    }

    public int getBatchSize() {
        return (Integer) $(batchSize);
    }

    /** The model's input width: the features each row must have. */
    public int numFeatures() {
        return inputs;
    }

    /** The model's output width: classes for a classifier. */
    public int numOutputs() {
        return outputs;
    }

    /** A copy of the model file's bytes. */
    public byte[] modelBytes() {
        return bytes.clone();
    }

    @Override
    public StructType transformSchema(StructType schema) {
        FeatureColumn.of(schema, getFeaturesCol());
        List<StructField> fields = new ArrayList<>(List.of(schema.fields()));
        if (!getRawPredictionCol().isEmpty()) {
            fields.add(newColumn(schema, "rawPredictionCol", getRawPredictionCol(), SQLDataTypes.VectorType()));
        }
        if (!getPredictionCol().isEmpty()) {
            fields.add(newColumn(schema, "predictionCol", getPredictionCol(), DataTypes.DoubleType));
        }
        if (softmax && !getProbabilityCol().isEmpty()) {
            fields.add(newColumn(schema, "probabilityCol", getProbabilityCol(), SQLDataTypes.VectorType()));
        }
        List<String> names = fields.stream().map(StructField::name).toList();
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("output columns: expected distinct names, found " + names.subList(
                    schema.fields().length, names.size()));
        }
        return new StructType(fields.toArray(StructField[]::new));
    }

    private static StructField newColumn(StructType schema, String param, String name, org.apache.spark.sql.types.DataType type) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                throw new IllegalArgumentException(param + " '" + name + "': expected a new column, found one of type "
                        + f.dataType().simpleString() + " already there");
            }
        }
        return DataTypes.createStructField(name, type, false);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = dataset.schema();
        StructType out = transformSchema(schema);
        FeatureColumn kind = FeatureColumn.of(schema, getFeaturesCol());
        Scorer.Settings settings = new Scorer.Settings(key, name, getFeaturesCol(),
                FeatureColumn.fieldIndex(schema, getFeaturesCol(), "featuresCol"), kind, inputs, outputs, softmax,
                softmax || outputs > 1, getBatchSize(), !getPredictionCol().isEmpty(), softmax && !getProbabilityCol().isEmpty(),
                !getRawPredictionCol().isEmpty());
        SparkSession spark = dataset.sparkSession();
        Broadcast<byte[]> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes);
        // Through the Dataset API with a row encoder, not an RDD of rows: its generated code turns
        // rows to and from Spark's own format; the RDD route converted every value by reflection.
        return dataset.toDF().mapPartitions((MapPartitionsFunction<Row, Row>) rows -> Scorer.score(rows, shared, settings),
                Encoders.row(out));
    }

    @Override
    public VecmlpModel copy(ParamMap extra) {
        VecmlpModel copy = new VecmlpModel(uid, bytes, name);
        copyValues(copy, extra);
        return copy.setParent(parent());
    }

    @Override
    public String toString() {
        return "VecmlpModel: uid=" + uid + ", " + architecture + ", from " + name;
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Persistence

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /** The reader of saved models; Spark's {@code PipelineModel.load} finds it by this name. */
    public static MLReader<VecmlpModel> read() {
        return new Reader();
    }

    /** The model saved at {@code path} by {@code write().save(path)}. */
    public static VecmlpModel load(String path) {
        return read().load(path);
    }

    private static final class Writer extends MLWriter {
        private final VecmlpModel model;

        Writer(VecmlpModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            Path dir = new Path(path);
            try {
                FileSystem fs = dir.getFileSystem(sc().hadoopConfiguration());
                try {
                    ModelBytes.write(new Path(dir, DATA_FILE), model.bytes, sc().hadoopConfiguration());
                    DefaultParamsWriter.saveMetadata(model, path, sparkSession());
                } catch (IOException | RuntimeException e) {
                    // MLWriter.save made sure nothing was at path before: what is there now is ours.
                    fs.delete(dir, true);
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": expected to save the model there, found " + e.getMessage(), e);
            }
        }
    }

    private static final class Reader extends MLReader<VecmlpModel> {
        @Override
        public VecmlpModel load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sparkSession(),
                    VecmlpModel.class.getName());
            String file = new Path(path, DATA_FILE).toString();
            VecmlpModel model = new VecmlpModel(metadata.uid(), ModelBytes.read(file, sc().hadoopConfiguration()), file);
            metadata.getAndSetParams(model, scala.Option.empty());
            return model;
        }
    }
}
