package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mistyped label is caught before it becomes thousands of outputs; empty classes get a note. */
class LabelCheckTest {
    @TempDir
    Path dir;

    /** A CSV of rows {@code x, y, label}: two features, the label last. */
    private Path csv(String name, int... labels) throws IOException {
        List<String> lines = new ArrayList<>(List.of("x,y,label"));
        for (int i = 0; i < labels.length; i++) {
            lines.add((i % 7) * 0.5 + "," + (i % 3) + "," + labels[i]);
        }
        return Files.write(dir.resolve(name), lines);
    }

    private static int[] mostlyThreeClasses(int typo) {
        int[] labels = new int[30];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 3;
        }
        labels[17] = typo;
        return labels;
    }

    @Test
    void aMistypedLabelIsRefusedNamingTheLabelsAndWhereTheLargestIs() throws IOException {
        Path data = csv("typo.csv", mostlyThreeClasses(50000));
        Path model = dir.resolve("never.safetensors");
        CommandLineTest.Run r = CommandLineTest.run("train", "--data", data.toString(), "--layers", "4:relu", "--epochs", "1",
                "--output", model.toString());
        assertEquals(1, r.exit(), r.out());
        String err = r.err();
        assertTrue(err.contains("typo.csv, labels: expected most of the classes 0 to 50000 to have examples"), err);
        assertTrue(err.contains("found 4 distinct labels (0, 1, 2, 50000) for 50,001 classes, 49,997 of them with no example"), err);
        assertTrue(err.contains("the largest label, 50000, is on example 18 of 30"), err);
        assertTrue(err.contains("--allow-sparse-labels"), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
        assertFalse(Files.exists(model), "no model written");
    }

    @Test
    void theFlagTrainsSparseLabelsAnyway() throws IOException {
        Path data = csv("sparse.csv", mostlyThreeClasses(40));
        Path model = dir.resolve("sparse.safetensors");
        CommandLineTest.Run r = CommandLineTest.run("train", "--data", data.toString(), "--layers", "4:relu", "--epochs", "1",
                "--allow-sparse-labels", "--output", model.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("note: " + data + ": 37 of 41 classes have no training example (3, 4, 5, 6, 7, 8, 9,"
                + " 10, 11, 12, 13, 14 and 25 more)"), r.err());
        assertTrue(Files.exists(model));
    }

    @Test
    void aFewEmptyClassesTrainWithANote() throws IOException {
        int[] labels = new int[24];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = 1 + i % 2; // labels 1 and 2: class 0 never appears (labels counted from 1)
        }
        Path data = csv("from-one.csv", labels);
        CommandLineTest.Run r = CommandLineTest.run("train", "--data", data.toString(), "--layers", "4:relu", "--epochs", "1",
                "--output", dir.resolve("from-one.safetensors").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("note: " + data + ": 1 of 3 classes have no training example (0); the network still"
                + " has an output for each."), r.err());
    }

    @Test
    void everyClassPresentSaysNothing() throws IOException {
        int[] labels = new int[24];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 4;
        }
        Path data = csv("full.csv", labels);
        CommandLineTest.Run r = CommandLineTest.run("train", "--data", data.toString(), "--layers", "4:relu", "--epochs", "1",
                "--output", dir.resolve("full.safetensors").toString());
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.err().contains("note:"), r.err());
    }
}
