package dev.vecmlp.cli;

import static dev.vecmlp.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.cli.CommandLineTest.Run;
import dev.vecmlp.train.CheckpointFile;
import dev.vecmlp.train.TrainingState;
import picocli.CommandLine;

/**
 * {@code train --checkpoint} and {@code train --resume} end to end: a run that stops after an
 * epoch and is resumed writes the same model file, and prints the same last line, as a run that
 * never stopped; a resume that does not fit its checkpoint stops with one line saying why.
 */
class TrainCheckpointTest {
    @TempDir
    static Path dir;

    private static Path trainCsv;
    private static Path testCsv;

    /** Three classes of points in 5 dimensions, with a header. */
    private static void writeBlobs(Path file, int rows, long seed) throws IOException {
        CommandLineTest.writeBlobs(file, rows, seed, 3, 5);
    }

    @BeforeAll
    static void data() throws IOException {
        trainCsv = dir.resolve("train.csv");
        testCsv = dir.resolve("test.csv");
        writeBlobs(trainCsv, 300, 1);
        writeBlobs(testCsv, 90, 2);
    }

    /** Thrown from standard output to stop a run the way a killed process stops. */
    private static final class Crash extends RuntimeException {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }

    /**
     * Runs a command whose standard output fails when the line of epoch 3 is printed: after the
     * checkpoint of epoch 2 was written, before that of epoch 3 is.
     */
    private static Run runCrashingInEpoch3(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter() {
            @Override
            public void write(String s, int off, int len) {
                if (s.startsWith("epoch   3/", off)) {
                    throw new Crash();
                }
                super.write(s, off, len);
            }
        }, err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static String[] args(List<String> run, String... more) {
        List<String> all = new ArrayList<>(run);
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    static Stream<Arguments> recipes() {
        return Stream.of(
                Arguments.of("adam, cosine, a test set", List.of("--optimizer", "adam", "--lr", "0.01", "--schedule", "cosine",
                        "--layers", "8:tanh", "--batch", "16", "--epochs", "5", "--seed", "3"), List.of("--test", testCsv.toString())),
                Arguments.of("nesterov, validation and early stopping", List.of("--optimizer", "nesterov", "--layers", "6:relu",
                        "--batch", "32", "--epochs", "6", "--validation", "0.25", "--patience", "2", "--seed", "4",
                        "--data", trainCsv.toString()), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void aResumedRunWritesTheSameModelAndLastLineAsOneThatNeverStopped(String name, List<String> recipe, List<String> free)
            throws IOException {
        Path sub = Files.createDirectories(dir.resolve(name.replaceAll("[^a-z]+", "-")));
        Path straight = sub.resolve("straight.safetensors"), resumed = sub.resolve("resumed.safetensors");
        Path again = sub.resolve("again.safetensors"), checkpoint = sub.resolve("run.ckpt.safetensors");
        List<String> run = new ArrayList<>(List.of("train"));
        run.addAll(recipe);
        if (!run.contains("--data")) {
            run.addAll(List.of("--data", trainCsv.toString()));
        }
        run.addAll(free);

        Run whole = run(args(run, "--threads", "2", "-o", straight.toString()));
        assertEquals(0, whole.exit(), whole.err());

        Run crashed = runCrashingInEpoch3(args(run, "--threads", "2", "--checkpoint", checkpoint.toString(),
                "-o", sub.resolve("never.safetensors").toString()));
        assertTrue(crashed.err().contains("simulated crash"), crashed.err());
        assertFalse(Files.exists(sub.resolve("never.safetensors")));
        assertEquals(2, CheckpointFile.read(checkpoint).state().epochsDone());

        // The other thread count, the free options again, and one run option given again with the checkpoint's value.
        List<String> resume = new ArrayList<>(List.of("train", "--resume", checkpoint.toString(), "--threads", "1",
                "--seed", recipe.get(recipe.indexOf("--seed") + 1), "-o", resumed.toString()));
        resume.addAll(free);
        Run rest = run(resume.toArray(new String[0]));
        assertEquals(0, rest.exit(), rest.err());
        assertTrue(rest.out().contains("resuming:  " + checkpoint + " after epoch 2 of "), rest.out());
        assertFalse(rest.out().contains("epoch   2/"), "epochs 1 and 2 are not trained again: " + rest.out());
        assertEquals(whole.lastLine(), rest.lastLine(), rest.out());
        assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(resumed), "the same model file, byte for byte");

        TrainingState end = CheckpointFile.read(checkpoint).state();
        assertTrue(end.finished(), "checkpoints went on to the resumed file: " + end);
        resume.set(resume.indexOf(resumed.toString()), again.toString());
        Run complete = run(resume.toArray(new String[0]));
        assertEquals(0, complete.exit(), complete.err());
        assertTrue(complete.out().contains("the run is complete, nothing is left to train"), complete.out());
        assertEquals(whole.lastLine(), complete.lastLine(), complete.out());
        assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(again), "a finished run writes its model again");

        Run eval = run("eval", "--model", checkpoint.toString(), "--data", testCsv.toString());
        assertEquals(0, eval.exit(), "a checkpoint is also a model file: " + eval.err());
    }

    @Test
    void aResumeThatDoesNotFitItsCheckpointSaysWhy() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("mismatch"));
        Path data = sub.resolve("data.csv"), checkpoint = sub.resolve("run.ckpt.safetensors");
        Path model = sub.resolve("model.safetensors");
        writeBlobs(data, 120, 5);
        Run first = run("train", "--data", data.toString(), "--layers", "4:tanh", "--epochs", "2", "--batch", "16",
                "--checkpoint", checkpoint.toString(), "-o", model.toString());
        assertEquals(0, first.exit(), first.err());

        assertFails("--batch: expected 16, as the run in " + checkpoint + " was started with, found 32; leave it out",
                "train", "--resume", checkpoint.toString(), "--batch", "32", "-o", model.toString());
        assertFails("--lr: expected no value, as the run in " + checkpoint + " was started without one (the default),"
                + " found 0.05", "train", "--resume", checkpoint.toString(), "--lr", "0.05", "-o", model.toString());
        assertFails("--data: expected " + data, "train", "--resume", checkpoint.toString(), "--data", trainCsv.toString(),
                "-o", model.toString());
        assertFails("is also --output", "train", "--resume", checkpoint.toString(), "-o", checkpoint.toString());
        assertFails("--resume " + sub.resolve("none.safetensors") + ": expected a training checkpoint (written by"
                + " --checkpoint), found no such file", "train", "--resume", sub.resolve("none.safetensors").toString());
        assertFails("expected a training checkpoint's checkpoint.version, found none; this is a model file", "train",
                "--resume", model.toString(), "-o", sub.resolve("other.safetensors").toString());
        // Standardized inputs: other values in the file change the scaling fitted on them.
        writeBlobs(data, 120, 6);
        assertFails("the input scaling fitted on the training rows differs from the checkpoint's", "train", "--resume",
                checkpoint.toString(), "-o", model.toString());

        Path own = sub.resolve("own.ckpt.safetensors");
        CheckpointFile.write(own, CheckpointFile.read(checkpoint).state(), null, Map.of());
        assertFails("expected a checkpoint written by train --checkpoint (metadata train.", "train", "--resume",
                own.toString(), "-o", model.toString());

        // Unscaled inputs: fewer rows are caught by the trainer.
        Run unscaled = run("train", "--data", data.toString(), "--scaling", "none", "--layers", "4:tanh", "--epochs", "2",
                "--checkpoint", checkpoint.toString(), "-o", model.toString());
        assertEquals(0, unscaled.exit(), unscaled.err());
        writeBlobs(data, 100, 6);
        assertFails("expected 120 training rows, as the run was started on, found 100", "train", "--resume",
                checkpoint.toString(), "-o", model.toString());
    }

    private static void assertFails(String fragment, String... args) {
        Run r = run(args);
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("vecmlp train: ") && r.err().contains(fragment), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    }
}
