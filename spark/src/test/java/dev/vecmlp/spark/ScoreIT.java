package dev.vecmlp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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

/**
 * The README's spark-submit example, run as spark-submit runs it: Spark's SparkSubmit main class
 * with the packaged target/vecmlp-spark.jar and Spark's own jars, none of vecmlp's, on the class
 * path. The scores are the engine's.
 */
class ScoreIT {
    @TempDir
    Path dir;

    @Test
    void sparkSubmitScoresACsvWithThePackagedJar() throws Exception {
        int inputs = 6, rows = 300, classes = 4;
        Path model = dir.resolve("m.safetensors");
        try (Model m = Mlp.input(inputs).dense(20, Activation.RELU).dense(classes, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build().init(5)) {
            ModelFile.write(model, m, Scaling.divide(inputs, 255f), Map.of());
        }
        SplittableRandom rng = new SplittableRandom(6);
        float[] x = new float[rows * inputs];
        StringBuilder csv = new StringBuilder("a,b,c,d,e,f\n");
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < inputs; c++) {
                x[r * inputs + c] = rng.nextInt(256);
                csv.append(c == 0 ? "" : ",").append((int) x[r * inputs + c]);
            }
            csv.append('\n');
        }
        Path data = Files.writeString(dir.resolve("digits.csv"), csv);
        Path out = dir.resolve("scored");

        String jar = System.getProperty("vecmlp.spark.jar");
        assertTrue(Files.isRegularFile(Path.of(jar)), jar);
        // Spark's class path without any of vecmlp's own: the jar must bring the engine.
        String sparkOnly = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("vecmlp")).reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of(System.getProperty("spark.opens").trim().split("\\s+")));
        cmd.addAll(List.of("-cp", sparkOnly, "org.apache.spark.deploy.SparkSubmit", "--class", "dev.vecmlp.spark.Score",
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
                jar, model.toString(), data.toString(), out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), log);
        assertEquals(0, p.exitValue(), log);

        Map<Long, String[]> scored = new TreeMap<>();
        try (Stream<Path> parts = Files.list(out)) {
            for (Path part : parts.filter(f -> f.getFileName().toString().endsWith(".csv")).toList()) {
                List<String> lines = Files.readAllLines(part);
                assertEquals("row,prediction,p0,p1,p2,p3", lines.getFirst());
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.split(",");
                    scored.put(Long.parseLong(f[0]), f);
                }
            }
        }
        assertEquals(rows, scored.size());
        try (ModelFile.Contents c = ModelFile.read(model); Predictor pr = c.model().predictor(rows)) {
            c.scaling().apply(x);
            float[] y = new float[rows * classes];
            pr.predict(x, y);
            for (int r = 0; r < rows; r++) {
                Outputs.softmaxInPlace(y, r * classes, classes);
                String[] f = scored.get((long) r);
                assertEquals(Outputs.predictedClass(y, r * classes, classes), (int) Double.parseDouble(f[1]), "row " + r);
                for (int k = 0; k < classes; k++) {
                    assertEquals(y[r * classes + k], Float.parseFloat(f[2 + k]), "row " + r + ", p" + k);
                }
            }
        }
    }
}
