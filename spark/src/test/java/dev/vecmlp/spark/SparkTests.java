package dev.vecmlp.spark;

import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The one local[2] session every test class shares (starting one takes seconds): on the loopback
 * address, with no UI. Surefire runs all test classes in one JVM with Spark's --add-opens flags.
 */
final class SparkTests {
    private static SparkSession session;

    private SparkTests() {
    }

    static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSession.builder()
                    .appName("vecmlp-spark-tests")
                    .master("local[2]")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
            session.sparkContext().setLogLevel("ERROR");
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }

    /** The share of {@code data}'s rows whose {@code label} column {@code m} predicts. */
    static double accuracy(VecmlpModel m, Dataset<Row> data) {
        List<Row> rows = m.transform(data).select("label", m.getPredictionCol()).collectAsList();
        int right = 0;
        for (Row r : rows) {
            right += ((Number) r.get(0)).intValue() == (int) r.getDouble(1) ? 1 : 0;
        }
        return (double) right / rows.size();
    }
}
