package dev.vecmlp.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@code rows x cols} operand at float offset {@code off} with leading dimension {@code ld}
 * in an allocation of its own; every float of the allocation starts as {@link SimdKernelsTest#SENTINEL}.
 * {@link #seg} is what a kernel gets: it ends right after the last element. Used by
 * {@link SimdKernelsTest} and by the kernel property in {@code property-tests/java}.
 */
final class Region {
    final MemorySegment whole;
    final MemorySegment seg;
    final long off;
    final int rows;
    final int cols;
    final int ld;

    Region(Arena arena, int rows, int cols, int ld, long off) {
        this.rows = rows;
        this.cols = cols;
        this.ld = ld;
        this.off = off;
        long floats = off + (long) rows * ld;
        whole = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            whole.setAtIndex(ValueLayout.JAVA_INT, i, SimdKernelsTest.SENTINEL);
        }
        seg = whole.asSlice(0, (off + (long) (rows - 1) * ld + cols) * Float.BYTES);
    }

    /** Layout variant {@code slot} of case {@code index}: tight, padded to 16 or odd ld, and an offset of 1 to 29. */
    static Region of(Arena arena, int rows, int cols, int index, int slot) {
        int ld = switch (SimdKernelsTest.pick(index, slot, 3)) {
            case 0 -> cols;
            case 1 -> (cols + 15) / 16 * 16;
            default -> cols + 3;
        };
        return new Region(arena, rows, cols, ld, 1 + SimdKernelsTest.pick(index, slot + 100, 29));
    }

    /** A contiguous vector of {@code n} floats after {@code guard} sentinels. */
    static Region vector(Arena arena, int n, int guard) {
        return new Region(arena, 1, n, n, guard);
    }

    Region write(float[] v) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                whole.setAtIndex(ValueLayout.JAVA_FLOAT, off + (long) r * ld + c, v[r * cols + c]);
            }
        }
        return this;
    }

    float[] read() {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] = whole.getAtIndex(ValueLayout.JAVA_FLOAT, off + (long) r * ld + c);
            }
        }
        return v;
    }

    /** Fails if any float outside the {@code rows x cols} rectangle is no longer the sentinel. */
    void assertSentinels(String what) {
        long floats = whole.byteSize() / Float.BYTES;
        for (long i = 0; i < floats; i++) {
            long rel = i - off;
            boolean inside = rel >= 0 && rel / ld < rows && rel % ld < cols;
            int bits = whole.getAtIndex(ValueLayout.JAVA_INT, i);
            if (!inside && bits != SimdKernelsTest.SENTINEL) {
                fail(what + ": float " + i + " outside the " + rows + "x" + cols + " operand (offset " + off
                        + ", ld " + ld + ") was overwritten with " + Float.intBitsToFloat(bits));
            }
        }
    }
}
