package dev.vecmlp.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatrixTest {

    @ParameterizedTest(name = "paddedStride({0}) = {1}")
    @CsvSource({"0, 16", "1, 16", "15, 16", "16, 16", "17, 32", "32, 32", "33, 48", "784, 784", "785, 800",
            "2147483631, 2147483632"})
    void paddedStride(int cols, int expected) {
        assertEquals(expected, Matrix.paddedStride(cols));
    }

    @Test
    void paddedStrideRejectsNegativeAndUnpaddableWidths() {
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> Matrix.paddedStride(-1));
        assertTrue(neg.getMessage().contains("-1"), neg.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Matrix.paddedStride(Integer.MAX_VALUE));
        assertTrue(big.getMessage().contains(String.valueOf(Integer.MAX_VALUE)), big.getMessage());
    }

    @Test
    void constructorChecksItsArgumentsNamingThem() {
        MemorySegment seg = MemorySegment.ofArray(new float[64]);
        assertThrows(NullPointerException.class, () -> new Matrix(null, 0, 1, 1, 1));
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class, () -> new Matrix(seg, 0, -2, 3, 3));
        assertTrue(rows.getMessage().contains("-2x3"), rows.getMessage());
        IllegalArgumentException cols = assertThrows(IllegalArgumentException.class, () -> new Matrix(seg, 0, 2, -3, 3));
        assertTrue(cols.getMessage().contains("2x-3"), cols.getMessage());
        IllegalArgumentException stride = assertThrows(IllegalArgumentException.class, () -> new Matrix(seg, 0, 2, 9, 8));
        assertTrue(stride.getMessage().contains("9") && stride.getMessage().contains("8"), stride.getMessage());
        IllegalArgumentException offset = assertThrows(IllegalArgumentException.class, () -> new Matrix(seg, -4, 1, 1, 1));
        assertTrue(offset.getMessage().contains("-4"), offset.getMessage());
    }

    @Test
    void extentIsRowsTimesStrideWithoutIntOverflow() {
        Matrix m = new Matrix(MemorySegment.ofArray(new float[1]), 0, 100_000, 1, 100_000);
        assertEquals(10_000_000_000L, m.extentFloats());
    }

    @Test
    void elementsLiveAtOffsetPlusRowTimesStridePlusColumn() {
        try (Slab slab = Slab.allocate("s", 100)) {
            Matrix m = slab.matrix(3, 4, 5, 9);
            m.set(2, 4, 6f);
            assertEquals(6f, slab.get(3 + 2 * 9 + 4));
            assertEquals(6f, m.get(2, 4));
            // The padding is not part of the matrix, even though it is inside the stride.
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(4, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.set(-1, 0, 1f));
        }
    }

    @Test
    void copyRoundTripLeavesThePaddingZero() {
        int rows = 3, cols = 17;
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = i + 1;
        }
        try (Slab slab = Slab.allocate("s", 200)) {
            Matrix m = slab.matrix(16, rows, cols);
            assertEquals(32, m.stride());
            float[] src = new float[data.length + 2];
            System.arraycopy(data, 0, src, 2, data.length);
            m.copyFrom(src, 2);
            float[] dst = new float[data.length + 5];
            m.copyTo(dst, 5);
            float[] back = new float[data.length];
            System.arraycopy(dst, 5, back, 0, data.length);
            assertArrayEquals(data, back);
            assertArrayEquals(data, m.toArray());
            assertPaddingZero(slab, m);
            for (int i = 0; i < 16; i++) {
                assertEquals(0f, slab.get(i), "before the view");
            }
        }
    }

    @Test
    void copyRowsCopiesOnlyTheFirstRows() {
        try (Slab slab = Slab.allocate("s", 64)) {
            Matrix m = slab.matrix(0, 3, 2);
            m.copyRowsFrom(new float[] {1, 2, 3, 4}, 0, 2);
            assertArrayEquals(new float[] {1, 2, 3, 4, 0, 0}, m.toArray());
            float[] firstRow = new float[2];
            m.copyRowsTo(firstRow, 0, 1);
            assertArrayEquals(new float[] {1, 2}, firstRow);
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowsFrom(new float[8], 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowsFrom(new float[3], 0, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyFrom(new float[6], 1));
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyTo(new float[5], 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowsTo(new float[2], 0, -1));
        }
    }

    @Test
    void fillSetsTheElementsAndNotThePadding() {
        try (Slab slab = Slab.allocate("s", 100)) {
            Matrix m = slab.matrix(0, 3, 5);
            m.fill(2.5f);
            float[] all = m.toArray();
            for (float v : all) {
                assertEquals(2.5f, v);
            }
            assertPaddingZero(slab, m);
            assertEquals(0f, slab.get(3 * 16), "after the last row");
        }
    }

    private static void assertPaddingZero(Slab slab, Matrix m) {
        for (int r = 0; r < m.rows(); r++) {
            for (int c = m.cols(); c < m.stride(); c++) {
                assertEquals(0f, slab.get(m.offset() + (long) r * m.stride() + c), "padding [" + r + "][" + c + "]");
            }
        }
    }
}
