package dev.vecmlp.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;

/**
 * Scores a file with a vecmlp model on Spark, as {@code ./vecmlp predict} scores one on one
 * machine: the main class for {@code spark-submit}.
 *
 * <pre>
 * spark-submit --class dev.vecmlp.spark.Score --master local[2] spark/target/vecmlp-spark.jar \
 *     model.safetensors digits.csv scored
 * </pre>
 *
 * INPUT is a CSV file (or directory) with a header whose columns are all features, in the
 * model's order, or a Parquet file (or directory) with a features column ({@code --features},
 * default {@code features}). OUTPUT is a directory of CSV files: for a CSV input the row number
 * ({@code row}, from 0 in the file's order), for Parquet the input's other columns; then
 * {@code prediction} and, for a softmax model, the class probabilities {@code p0, p1, ...}.
 * The numbers are those of {@code ./vecmlp predict}, bit for bit before printing.
 */
public final class Score {
    private Score() {
    }

    public static void main(String[] args) {
        List<String> positional = new ArrayList<>();
        String featuresCol = "features";
        int batch = 256;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--features" -> featuresCol = value(args, ++i, "--features");
                case "--batch" -> batch = Integer.parseInt(value(args, ++i, "--batch"));
                case "-h", "--help" -> {
                    System.out.println("usage: Score MODEL INPUT OUTPUT [--features COLUMN] [--batch ROWS]");
                    return;
                }
                default -> positional.add(args[i]);
            }
        }
        if (positional.size() != 3) {
            System.err.println("Score: expected MODEL INPUT OUTPUT, found " + positional.size() + " arguments " + positional
                    + "\nusage: Score MODEL INPUT OUTPUT [--features COLUMN] [--batch ROWS]");
            System.exit(2);
        }
        SparkSession spark = SparkSession.builder().appName("vecmlp score").getOrCreate();
        try {
            run(spark, positional.get(0), positional.get(1), positional.get(2), featuresCol, batch);
        } finally {
            spark.stop();
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + ": expected a value, found the end of the arguments");
        }
        return args[i];
    }

    /** Scores {@code input} with the model at {@code model} into the CSV directory {@code output}. */
    static void run(SparkSession spark, String model, String input, String output, String featuresCol, int batch) {
        VecmlpModel m = VecmlpModel.fromFile(spark, model).setBatchSize(batch).setProbabilityCol("probability");
        boolean parquet = input.toLowerCase(Locale.ROOT).endsWith(".parquet");
        Dataset<Row> data;
        List<Column> keep = new ArrayList<>();
        if (parquet) {
            data = spark.read().parquet(input);
            m.setFeaturesCol(featuresCol);
            for (String c : data.columns()) {
                if (!c.equals(featuresCol)) {
                    keep.add(functions.col(c));
                }
            }
        } else {
            Dataset<Row> csv = spark.read().option("header", "true").option("inferSchema", "true").csv(input);
            List<Column> features = new ArrayList<>();
            for (StructField f : csv.schema().fields()) {
                if (!(f.dataType() instanceof NumericType)) {
                    throw new IllegalArgumentException(input + ", column '" + f.name() + "': expected a number in every row (every"
                            + " column is a feature), found " + f.dataType().simpleString());
                }
                features.add(functions.col("`" + f.name() + "`").cast(DataTypes.FloatType));
            }
            // The file's row numbers, in its order: partitions of one file are read in order.
            Dataset<Row> numbered = spark.createDataFrame(csv.javaRDD().zipWithIndex().map(t -> {
                Object[] v = new Object[t._1().length() + 1];
                v[0] = t._2();
                for (int c = 0; c < t._1().length(); c++) {
                    v[c + 1] = t._1().get(c);
                }
                return org.apache.spark.sql.RowFactory.create(v);
            }), new org.apache.spark.sql.types.StructType().add("row", DataTypes.LongType, false).merge(csv.schema(), false));
            data = numbered.select(functions.col("row"), functions.array(features.toArray(Column[]::new)).as("features"));
            m.setFeaturesCol("features");
            keep.add(functions.col("row"));
        }
        Dataset<Row> scored = m.transform(data);
        keep.add(functions.col(m.getPredictionCol()));
        if (List.of(scored.columns()).contains("probability")) {
            Column p = org.apache.spark.ml.functions.vector_to_array(functions.col("probability"), "float32");
            for (int c = 0; c < m.numOutputs(); c++) {
                keep.add(p.getItem(c).as("p" + c));
            }
        }
        scored.select(keep.toArray(Column[]::new)).write().option("header", "true").csv(output);
    }
}
