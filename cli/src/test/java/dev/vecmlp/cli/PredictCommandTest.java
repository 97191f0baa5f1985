package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vecmlp predict} on labelled files and on files of features only ({@code --no-label}). */
class PredictCommandTest {
    @TempDir
    static Path dir;

    /** Columns a, b, y, c: the label sits between features, so skipping it must pick the right column. */
    private static Path labelled;
    /** The same rows without the y column. */
    private static Path features;
    private static Path model;

    private static CommandLineTest.Run run(String... args) {
        return CommandLineTest.run(args);
    }

    /** Three classes, each with a high mean in its own feature. */
    @BeforeAll
    static void trainATinyModel() throws IOException {
        SplittableRandom rng = new SplittableRandom(7);
        StringBuilder withLabel = new StringBuilder("a,b,y,c\n"), without = new StringBuilder("a,b,c\n");
        for (int r = 0; r < 90; r++) {
            int y = rng.nextInt(3);
            String[] f = new String[3];
            for (int c = 0; c < 3; c++) {
                f[c] = String.format(Locale.ROOT, "%.4f", (c == y ? 2 : 0) + rng.nextGaussian());
            }
            withLabel.append(f[0]).append(',').append(f[1]).append(',').append(y).append(',').append(f[2]).append('\n');
            without.append(String.join(",", f)).append('\n');
        }
        labelled = Files.writeString(dir.resolve("f.csv"), withLabel);
        features = Files.writeString(dir.resolve("features.csv"), without);
        model = dir.resolve("m.safetensors");
        CommandLineTest.Run train = run("train", "--data", labelled.toString(), "--label", "y", "--layers", "8:tanh", "--epochs", "3",
                "--output", model.toString());
        assertEquals(0, train.exit(), train.err());
    }

    @Test
    void noLabelPredictsTheSameAsTheLabelledFile() throws IOException {
        Path withLabel = dir.resolve("labelled-predictions.csv"), out = dir.resolve("out.csv");
        CommandLineTest.Run a = run("predict", "--model", model.toString(), "--data", labelled.toString(), "--label", "y",
                "--output", withLabel.toString());
        assertEquals(0, a.exit(), a.err());
        CommandLineTest.Run b = run("predict", "--model", model.toString(), "--data", features.toString(), "--no-label",
                "--output", out.toString());
        assertEquals(0, b.exit(), b.err());
        assertTrue(b.out().contains("(90 rows)"), b.out());

        List<String> expected = Files.readAllLines(withLabel, StandardCharsets.UTF_8);
        List<String> actual = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals("row,class,p0,p1,p2", actual.getFirst(), "a softmax model gets its class column");
        assertEquals(91, actual.size());
        assertEquals(classes(expected), classes(actual));
        assertEquals(3, Set.copyOf(classes(actual).subList(1, 91)).size(), "the model tells the classes apart: not a vacuous match");
        assertEquals(expected, actual, "the same CSV, probabilities included");
    }

    /**
     * {@code -o} writes through the models' atomic writer: the usual permissions (it once made
     * owner-only files, through Files.createTempFile), a replaced file whole, and no temporary
     * file left beside it.
     */
    @Test
    void anOutputFileIsWrittenAsAModelIs() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("predict-o"));
        Path out = sub.resolve("p.csv");
        CommandLineTest.Run r = run("predict", "--model", model.toString(), "--data", features.toString(), "--no-label",
                "--output", out.toString());
        assertEquals(0, r.exit(), r.err());
        r = run("predict", "--model", model.toString(), "--data", features.toString(), "--no-label", "--output", out.toString(),
                "--force");
        assertEquals(0, r.exit(), r.err());
        assertEquals(91, Files.readAllLines(out, StandardCharsets.UTF_8).size());
        try (var files = Files.list(sub)) {
            assertEquals(List.of("p.csv"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
        if (Files.getFileAttributeView(sub, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            Path usual = Files.createFile(sub.resolve("usual"));
            assertEquals(Files.getPosixFilePermissions(usual), Files.getPosixFilePermissions(out), "the usual permissions");
        }
    }

    @Test
    void noLabelReadsAFileWithoutHeaderAndPrintsWithoutOutput() throws IOException {
        List<String> rows = Files.readAllLines(features, StandardCharsets.UTF_8);
        Path noHeader = Files.write(dir.resolve("no-header.csv"), rows.subList(1, rows.size()));
        CommandLineTest.Run printed = run("predict", "--model", model.toString(), "--data", noHeader.toString(), "--no-label");
        assertEquals(0, printed.exit(), printed.err());
        Path out = dir.resolve("from-header.csv");
        CommandLineTest.Run written = run("predict", "--model", model.toString(), "--data", features.toString(), "--no-label",
                "--output", out.toString());
        assertEquals(0, written.exit(), written.err());
        assertEquals(Files.readAllLines(out, StandardCharsets.UTF_8), printed.out().lines().toList());
    }

    @Test
    void withoutLabelsTheClassColumnFollowsTheModelsOutputs() throws IOException {
        Path squared = dir.resolve("squared.safetensors"), regression = dir.resolve("regression.safetensors");
        CommandLineTest.Run a = run("train", "--data", labelled.toString(), "--label", "y", "--loss", "squared", "--layers", "8:tanh",
                "--epochs", "3", "--output", squared.toString());
        assertEquals(0, a.exit(), a.err());
        CommandLineTest.Run b = run("train", "--data", labelled.toString(), "--label", "y", "--regression", "--layers", "8:tanh",
                "--epochs", "3", "--output", regression.toString());
        assertEquals(0, b.exit(), b.err());

        CommandLineTest.Run classes = run("predict", "--model", squared.toString(), "--data", features.toString(), "--no-label");
        assertEquals(0, classes.exit(), classes.err());
        assertEquals("row,class,y0,y1,y2", classes.out().lines().findFirst().orElseThrow(), "three outputs: class scores");
        CommandLineTest.Run values = run("predict", "--model", regression.toString(), "--data", features.toString(), "--no-label");
        assertEquals(0, values.exit(), values.err());
        assertEquals("row,y0", values.out().lines().findFirst().orElseThrow(), "one output: a value, no class");
    }

    @Test
    void noLabelIsRejectedForAnIdxDirectory() throws IOException {
        Path idx = Files.createDirectories(dir.resolve("idx"));
        Path out = dir.resolve("never.csv");
        CommandLineTest.Run r = run("predict", "--model", model.toString(), "--data", idx.toString(), "--no-label", "--output", out.toString());
        assertEquals(1, r.exit());
        assertEquals("vecmlp predict: --no-label: " + idx + " is an IDX directory, whose images always come with a labels file;"
                + " --no-label is for a CSV file of features only (give one with --data)", r.err().strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void noLabelExcludesLabelAndRegression() {
        CommandLineTest.Run label = run("predict", "--model", model.toString(), "--data", features.toString(), "--no-label", "--label", "y");
        assertEquals(1, label.exit());
        assertTrue(label.err().contains("--no-label: every column is a feature, so there is no label column for --label 'y'"),
                label.err());
        CommandLineTest.Run regression = run("predict", "--model", model.toString(), "--data", features.toString(), "--no-label", "--regression");
        assertEquals(1, regression.exit());
        assertTrue(regression.err().contains("--no-label: there is no label column for --regression"), regression.err());
    }

    @Test
    void aFeatureCountThatDoesNotFitTheModelSaysWhatWasExpectedAndFound() throws IOException {
        CommandLineTest.Run labelColumnKept = run("predict", "--model", model.toString(), "--data", labelled.toString(), "--no-label");
        assertEquals(1, labelColumnKept.exit());
        assertEquals("vecmlp predict: " + labelled + ": the model expects 3 features per row, found 4 (with --no-label every"
                + " column is a feature; if one of them is a label, name it with --label instead)", labelColumnKept.err().strip());

        Path wholeNumbers = Files.writeString(dir.resolve("whole.csv"), "a,b,c\n1,2,0\n3,4,1\n");
        CommandLineTest.Run lastColumnTaken = run("predict", "--model", model.toString(), "--data", wholeNumbers.toString());
        assertEquals(1, lastColumnTaken.exit());
        assertEquals("vecmlp predict: " + wholeNumbers + ": the model expects 3 features per row, found 2 (one column was"
                + " taken as the label; if every column is a feature, add --no-label)", lastColumnTaken.err().strip());

        Path narrow = Files.writeString(dir.resolve("narrow.csv"), "1\n2\n");
        CommandLineTest.Run oneColumn = run("predict", "--model", model.toString(), "--data", narrow.toString(), "--no-label");
        assertEquals(1, oneColumn.exit());
        assertEquals("vecmlp predict: " + narrow + ": the model expects 3 features per row, found 1", oneColumn.err().strip());
    }

    private static List<String> classes(List<String> csv) {
        return csv.stream().map(line -> line.split(",")[1]).toList();
    }
}
