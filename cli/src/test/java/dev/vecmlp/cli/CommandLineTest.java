package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** The commands end to end, as a user runs them, on small generated files. */
class CommandLineTest {
    @TempDir
    static Path dir;

    private static Path trainCsv;
    private static Path testCsv;

    /** What a command printed and returned. */
    record Run(int exit, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\\R");
            return lines[lines.length - 1];
        }
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * {@code classes} classes of points in {@code features} dimensions, each class with a high
     * mean in every {@code classes}-th feature; a header of feature names and {@code kind}.
     */
    static void writeBlobs(Path file, int rows, long seed, int classes, int features) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < features; c++) {
            s.append("f").append(c).append(',');
        }
        s.append("kind\n");
        for (int r = 0; r < rows; r++) {
            int label = rng.nextInt(classes);
            for (int c = 0; c < features; c++) {
                double centre = (c % classes == label) ? 3 : 0;
                s.append(String.format(Locale.ROOT, "%.4f,", centre + rng.nextGaussian()));
            }
            s.append(label).append('\n');
        }
        Files.writeString(file, s.toString());
    }

    private static void writeBlobs(Path file, int rows, long seed) throws IOException {
        writeBlobs(file, rows, seed, 4, 16);
    }

    @BeforeAll
    static void data() throws IOException {
        trainCsv = dir.resolve("train.csv");
        testCsv = dir.resolve("test.csv");
        writeBlobs(trainCsv, 400, 1);
        writeBlobs(testCsv, 100, 2);
    }

    private static double lastNumber(String line) {
        Matcher m = Pattern.compile("([0-9.]+)$").matcher(line);
        assertTrue(m.find(), line);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void trainEvalPredictAndFeaturesOnACsv() throws IOException {
        Path model = dir.resolve("blobs.safetensors"), plot = dir.resolve("curves.png");
        Run train = run("train", "--data", trainCsv.toString(), "--test", testCsv.toString(), "--label", "kind",
                "--layers", "16:tanh", "--epochs", "8", "--batch", "16", "--validation", "0.25", "--plot", plot.toString(),
                "--output", model.toString());
        assertEquals(0, train.exit(), train.err());
        assertTrue(train.lastLine().startsWith("test accuracy: "), train.out());
        double testAccuracy = lastNumber(train.lastLine());
        assertTrue(testAccuracy > 0.9, train.out());
        assertEquals(8, train.out().lines().filter(l -> l.startsWith("epoch ")).count(), "one line per epoch off a terminal");
        assertTrue(train.out().contains("validation loss"), train.out());
        BufferedImage curves = ImageIO.read(plot.toFile());
        assertEquals(1280, curves.getWidth(), "loss and accuracy side by side");

        Run eval = run("eval", "--model", model.toString(), "--data", testCsv.toString(), "--label", "kind");
        assertEquals(0, eval.exit(), eval.err());
        assertEquals(testAccuracy, lastNumber(eval.lastLine()), 1e-4, "eval agrees with train's test figure");

        Path predictions = dir.resolve("predictions.csv");
        Run predict = run("predict", "--model", model.toString(), "--data", testCsv.toString(), "--label", "kind",
                "--output", predictions.toString());
        assertEquals(0, predict.exit(), predict.err());
        List<String> lines = Files.readAllLines(predictions, StandardCharsets.UTF_8);
        assertEquals("row,class,p0,p1,p2,p3", lines.get(0));
        assertEquals(101, lines.size());
        List<String> truth = Files.readAllLines(testCsv).subList(1, 101);
        int right = 0;
        for (int r = 0; r < 100; r++) {
            String[] cells = lines.get(r + 1).split(",");
            double sum = 0;
            for (int c = 2; c < 6; c++) {
                sum += Double.parseDouble(cells[c]);
            }
            assertEquals(1.0, sum, 1e-4, "probabilities of row " + r);
            String[] t = truth.get(r).split(",");
            right += cells[1].equals(t[t.length - 1]) ? 1 : 0;
        }
        assertEquals(testAccuracy, right / 100.0, 1e-9, "predict classifies as eval counts");

        Path features = dir.resolve("features.png");
        Run f = run("features", "--model", model.toString(), "--output", features.toString(), "--zoom", "2");
        assertEquals(0, f.exit(), f.err());
        BufferedImage grid = ImageIO.read(features.toFile());
        assertTrue(grid.getWidth() >= 4 * 8 && grid.getHeight() >= 4 * 8, grid.getWidth() + "x" + grid.getHeight());
        Run bad = run("features", "--model", model.toString(), "--output", features.toString(), "--image", "3x5");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("W*H = 16"), bad.err());
    }

    @Test
    void theSameSeedWritesTheSameModel() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        for (Path p : new Path[] {a, b}) {
            Run r = run("train", "--data", trainCsv.toString(), "--layers", "8:relu", "--epochs", "2", "--seed", "7",
                    "--output", p.toString());
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.lastLine().startsWith("training accuracy: "), r.out());
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        Run again = run("train", "--data", trainCsv.toString(), "--layers", "8:relu", "--epochs", "1", "--output", a.toString());
        assertEquals(0, again.exit(), "a vecmlp model is replaced without --force: " + again.err());
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)), "and it was replaced");
    }

    @Test
    void aFileThatIsNotAModelIsNotReplaced() throws IOException {
        Path precious = dir.resolve("notes.safetensors");
        Files.writeString(precious, "my notes");
        Run r = run("train", "--data", trainCsv.toString(), "--layers", "4", "--epochs", "1", "--output", precious.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("not a vecmlp model") && r.err().contains("--force"), r.err());
        assertEquals("my notes", Files.readString(precious));
    }

    @Test
    void aTestFileMissingSomeClassesIsEvaluatedWithTheTrainingClasses() throws IOException {
        List<String> lines = Files.readAllLines(testCsv);
        StringBuilder fewer = new StringBuilder(lines.get(0)).append('\n');
        for (String line : lines.subList(1, lines.size())) {
            if (line.endsWith(",0") || line.endsWith(",1")) {
                fewer.append(line).append('\n');
            }
        }
        Path twoClasses = dir.resolve("two-classes.csv");
        Files.writeString(twoClasses, fewer);
        Path model = dir.resolve("four.safetensors");
        Run r = run("train", "--data", trainCsv.toString(), "--test", twoClasses.toString(), "--layers", "8:tanh",
                "--epochs", "3", "--output", model.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.lastLine().startsWith("test accuracy: "), r.out());
        Run eval = run("eval", "--model", model.toString(), "--data", twoClasses.toString());
        assertEquals(0, eval.exit(), eval.err());
    }

    @Test
    void picturesNeverReplaceAnotherFile() throws IOException {
        Path model = dir.resolve("pictures.safetensors");
        Path notes = dir.resolve("notes.png");
        Files.writeString(notes, "not a picture");
        Run r = run("train", "--data", trainCsv.toString(), "--layers", "4", "--epochs", "1", "--output", model.toString(),
                "--plot", notes.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("not a PNG"), r.err());
        assertEquals("not a picture", Files.readString(notes));
        r = run("train", "--data", trainCsv.toString(), "--layers", "4", "--epochs", "1", "--output", model.toString(),
                "--plot", model.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("found a file this command also reads or writes"), r.err());
        r = run("train", "--data", trainCsv.toString(), "--layers", "4", "--epochs", "1", "--output", model.toString());
        assertEquals(0, r.exit(), r.err());
        byte[] before = Files.readAllBytes(model);
        r = run("features", "--model", model.toString(), "--output", model.toString(), "--image", "4x4");
        assertEquals(1, r.exit());
        assertArrayEquals(before, Files.readAllBytes(model), "the model is still there");
    }

    @Test
    void csvOptionsAreRejectedForAnIdxDirectory() {
        Run r = run("train", "--label", "kind", "--epochs", "1", "--output", dir.resolve("idx.safetensors").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("IDX directory"), r.err());
    }

    @Test
    void malformedDataIsReportedWithItsLineAndNoStackTrace() throws IOException {
        Path broken = dir.resolve("broken.csv");
        Files.writeString(broken, "a,b,label\n1,2,0\n3,x,1\n");
        Run r = run("train", "--data", broken.toString(), "--output", dir.resolve("never.safetensors").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("broken.csv") && r.err().contains("line 3"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(dir.resolve("never.safetensors")));
    }

    @Test
    void aDivergingRunSaysWhereAndWritesNoModel() {
        Path out = dir.resolve("diverged.safetensors");
        Run r = run("train", "--data", trainCsv.toString(), "--layers", "32:relu,32:relu", "--optimizer", "sgd", "--lr", "1e30",
                "--weight-decay", "0", "--epochs", "3", "--output", out.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.err().contains("training diverged at step") && r.err().contains("layer"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void badOptionsNameWhatWasExpected() {
        Run r = run("train", "--data", trainCsv.toString(), "--layers", "16:swish");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("swish") && r.err().contains("relu"), r.err());
        r = run("train", "--data", dir.resolve("missing.csv").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("missing.csv"), r.err());
        r = run("train", "--data", trainCsv.toString(), "--schedule", "linear");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("schedule"), r.err());
    }

    @Test
    void demoXorGetsEveryCaseRight() {
        Run r = run("demo", "xor");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals("all four cases right in every part", r.lastLine());
        assertEquals(12, r.out().lines().filter(l -> l.endsWith(" right")).count(), r.out());
    }

    @Test
    void demoPatternsLinearFailsAndTheMlpSeparates() {
        Run r = run("demo", "patterns");
        assertEquals(0, r.exit(), r.out() + r.err());
        Matcher linear = Pattern.compile("linear classifier.*accuracy +([0-9.]+) %").matcher(r.out());
        Matcher mlp = Pattern.compile("MLP.*accuracy +([0-9.]+) %").matcher(r.out());
        assertTrue(linear.find() && mlp.find(), r.out());
        assertTrue(Double.parseDouble(linear.group(1)) <= 60, r.out());
        assertEquals(100.0, Double.parseDouble(mlp.group(1)), r.out());
    }

    @Test
    void demoBooleanLearnsARandomFunctionALineCannot() {
        Run r = run("demo", "boolean", "--inputs", "5", "--seed", "3");
        assertEquals(0, r.exit(), r.out() + r.err());
        Matcher mlp = Pattern.compile("MLP.*accuracy +([0-9.]+) %").matcher(r.out());
        assertTrue(mlp.find(), r.out());
        assertEquals(100.0, Double.parseDouble(mlp.group(1)), r.out());
        Run bad = run("demo", "boolean", "--inputs", "9");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("1 to 8"), bad.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"train", "eval", "predict", "demo", "features", "info"}) {
            Run r = run(command, "--help");
            assertEquals(0, r.exit(), command);
            assertTrue(r.out().contains("Usage: vecmlp " + command), r.out());
        }
    }
}
