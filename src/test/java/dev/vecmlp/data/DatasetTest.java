package dev.vecmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;

class DatasetTest {

    /** Row r has features (r, 10r) and label r % 3. */
    private static Dataset threeClasses(int rows) {
        float[] x = new float[2 * rows];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) {
            x[2 * r] = r;
            x[2 * r + 1] = 10 * r;
            y[r] = r % 3;
        }
        return Dataset.ofClassification("three", x, 2, y, 3);
    }

    @Test
    void copyBatchCopiesTheChosenRowsAndOneHotTargets() {
        try (Dataset d = threeClasses(5); Slab slab = Slab.allocate("batch", 2 * 4 * 16)) {
            Matrix in = slab.matrix(0, 4, 2);
            Matrix t = slab.matrix(4 * 16, 4, 3);
            int[] order = {4, 0, 2, 1, 3};
            d.copyBatch(order, 1, 3, in, t);
            assertArrayEquals(new float[] {0, 0, 2, 20, 1, 10, 0, 0}, in.toArray(), "rows 0, 2, 1 then untouched");
            assertArrayEquals(new float[] {1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0}, t.toArray(), "labels 0, 2, 1 one-hot");
        }
    }

    @Test
    void copyBatchWritesATwoClassLabelAsA01TargetInOneColumn() {
        try (Dataset d = Dataset.ofClassification("two", new float[] {5, 6, 7}, 1, new int[] {1, 0, 1}, 2);
             Slab slab = Slab.allocate("batch", 2 * 3 * 16)) {
            Matrix in = slab.matrix(0, 3, 1);
            Matrix one = slab.matrix(3 * 16, 3, 1);
            d.copyBatch(new int[] {2, 1, 0}, 0, 3, in, one);
            assertArrayEquals(new float[] {7, 6, 5}, in.toArray());
            assertArrayEquals(new float[] {1, 0, 1}, one.toArray());
            assertNull(d.targetMismatch(1));
            assertNull(d.targetMismatch(2));
        }
    }

    @Test
    void copyBatchRejectsATargetWidthThatFitsNeitherEncoding() {
        try (Dataset d = threeClasses(3); Slab slab = Slab.allocate("batch", 3 * 16 * 2)) {
            Matrix in = slab.matrix(0, 3, 2);
            Matrix t = slab.matrix(3 * 16, 3, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.copyBatch(new int[] {0, 1, 2}, 0, 3, in, t));
            assertTrue(e.getMessage().contains("3 classes") && e.getMessage().contains("found 1"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> d.copyBatch(new int[] {0, 7}, 0, 2, in, null));
        }
    }

    @Test
    void copyBatchCopiesRegressionTargets() {
        try (Dataset d = Dataset.ofRegression("reg", new float[] {1, 2, 3, 4}, 2, new float[] {0.5f, -1, 2.5f, -3}, 2);
             Slab slab = Slab.allocate("batch", 2 * 2 * 16)) {
            Matrix in = slab.matrix(0, 2, 2);
            Matrix t = slab.matrix(2 * 16, 2, 2);
            d.copyBatch(new int[] {1, 0}, 0, 2, in, t);
            assertArrayEquals(new float[] {3, 4, 1, 2}, in.toArray());
            assertArrayEquals(new float[] {2.5f, -3, 0.5f, -1}, t.toArray());
        }
    }

    @Test
    void subsetAndSliceCopyRowsAndLabelsIntoIndependentSets() {
        try (Dataset d = threeClasses(6);
             Dataset sub = d.subset("sub", new int[] {5, 1, 5});
             Dataset slice = d.slice(2, 4)) {
            assertArrayEquals(new float[] {5, 50, 1, 10, 5, 50}, sub.featureMatrix().toArray());
            assertEquals(2, sub.label(0));
            assertEquals(1, sub.label(1));
            assertArrayEquals(new float[] {2, 20, 3, 30}, slice.featureMatrix().toArray());
            assertEquals(0, slice.label(1));
            d.featureMatrix().set(5, 0, -1f);
            assertEquals(5f, sub.feature(0, 0), "a copy, not a view");
        }
    }

    @Test
    void splitIsSeededDisjointAndCoversEveryRow() {
        try (Dataset d = threeClasses(10)) {
            Dataset[] a = d.split(0.3, 42);
            Dataset[] b = d.split(0.3, 42);
            try {
                assertEquals(7, a[0].size());
                assertEquals(3, a[1].size());
                assertArrayEquals(a[1].featureMatrix().toArray(), b[1].featureMatrix().toArray(), "same seed, same split");
                int[] seen = IntStream.concat(firstFeatures(a[0]), firstFeatures(a[1])).sorted().toArray();
                assertArrayEquals(IntStream.range(0, 10).toArray(), seen, "every row exactly once");
                for (Dataset part : a) {
                    for (int r = 0; r < part.size(); r++) {
                        assertEquals((int) part.feature(r, 0) % 3, part.label(r), "labels travel with their rows");
                    }
                }
            } finally {
                Arrays.stream(a).forEach(Dataset::close);
                Arrays.stream(b).forEach(Dataset::close);
            }
            assertThrows(IllegalArgumentException.class, () -> d.split(0, 1));
            assertThrows(IllegalArgumentException.class, () -> d.split(1, 1));
            assertThrows(IllegalArgumentException.class, () -> d.split(0.01, 1), "an empty held-out part");
        }
    }

    @Test
    void rejectsLabelsOutOfRangeAndUseAfterClose() {
        Dataset d = threeClasses(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.setLabel(1, 3));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("found 3"), e.getMessage());
        assertThrows(IllegalStateException.class, d::targetMatrix);
        d.close();
        assertThrows(IllegalStateException.class, () -> d.label(0));
        assertThrows(IllegalStateException.class, d::featureMatrix);
    }

    /** Row r has features (r, -r) and nothing else. */
    private static Dataset unlabeled(int rows) {
        Dataset d = Dataset.unlabeled("plain", rows, 2);
        for (int r = 0; r < rows; r++) {
            d.featureMatrix().set(r, 0, r);
            d.featureMatrix().set(r, 1, -r);
        }
        return d;
    }

    @Test
    void anUnlabeledSetHasFeaturesOnly() {
        try (Dataset d = unlabeled(3)) {
            assertEquals(3, d.size());
            assertEquals(2, d.features());
            assertEquals(0, d.classes());
            assertEquals(0, d.targetColumns());
            assertFalse(d.isClassification());
            assertFalse(d.isLabeled());
            assertEquals("Dataset[plain, 3 x 2, unlabeled]", d.toString());
        }
        try (Dataset c = threeClasses(1); Dataset r = Dataset.ofRegression("reg", new float[] {1}, 1, new float[] {2}, 1)) {
            assertTrue(c.isLabeled());
            assertTrue(r.isLabeled());
            assertEquals("Dataset[three, 1 x 2, 3 classes]", c.toString());
            assertEquals("Dataset[reg, 1 x 1, 1 targets]", r.toString());
        }
    }

    @Test
    void anUnlabeledSetRefusesLabelsAndTargetsSayingWhy() {
        try (Dataset d = unlabeled(2)) {
            for (IllegalStateException e : new IllegalStateException[] {
                    assertThrows(IllegalStateException.class, () -> d.label(0)),
                    assertThrows(IllegalStateException.class, () -> d.setLabel(0, 0))}) {
                assertEquals("plain is an unlabeled set: it has features only, no labels", e.getMessage());
            }
            IllegalStateException t = assertThrows(IllegalStateException.class, d::targetMatrix);
            assertEquals("plain is an unlabeled set: it has features only, no target columns", t.getMessage());
            String why = d.targetMismatch(3);
            assertTrue(why.startsWith("plain is an unlabeled set (features only)") && why.contains("3 output(s)")
                    && why.endsWith("found none"), why);
        }
        try (Dataset r = Dataset.ofRegression("reg", new float[] {1}, 1, new float[] {2}, 1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.label(0));
            assertEquals("reg is a regression set: it has target columns, not labels", e.getMessage(), "unchanged");
        }
    }

    @Test
    void copyBatchOfAnUnlabeledSetCopiesInputsAndRejectsATargetMatrix() {
        try (Dataset d = unlabeled(4); Slab slab = Slab.allocate("batch", 2 * 3 * 16)) {
            Matrix in = slab.matrix(0, 3, 2);
            Matrix t = slab.matrix(3 * 16, 3, 1);
            d.copyBatch(new int[] {3, 1, 0}, 0, 3, in, null);
            assertArrayEquals(new float[] {3, -3, 1, -1, 0, 0}, in.toArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.copyBatch(new int[] {3, 1, 0}, 0, 3, in, t));
            assertEquals("plain is an unlabeled set (features only): expected no target matrix (null), found one of 3x1",
                    e.getMessage());
        }
    }

    @Test
    void subsetSliceAndSplitOfAnUnlabeledSetStayUnlabeled() {
        try (Dataset d = unlabeled(10); Dataset sub = d.subset("sub", new int[] {7, 2}); Dataset slice = d.slice(8, 10)) {
            assertArrayEquals(new float[] {7, -7, 2, -2}, sub.featureMatrix().toArray());
            assertArrayEquals(new float[] {8, -8, 9, -9}, slice.featureMatrix().toArray());
            Dataset[] parts = d.split(0.3, 42);
            try {
                assertEquals(7, parts[0].size());
                assertEquals(3, parts[1].size());
                int[] seen = IntStream.concat(firstFeatures(parts[0]), firstFeatures(parts[1])).sorted().toArray();
                assertArrayEquals(IntStream.range(0, 10).toArray(), seen, "every row exactly once");
                for (Dataset part : new Dataset[] {sub, slice, parts[0], parts[1]}) {
                    assertFalse(part.isLabeled(), part.toString());
                    assertTrue(part.toString().endsWith(", unlabeled]"), part.toString());
                }
            } finally {
                Arrays.stream(parts).forEach(Dataset::close);
            }
        }
    }

    private static IntStream firstFeatures(Dataset d) {
        return IntStream.range(0, d.size()).map(r -> (int) d.feature(r, 0));
    }
}
