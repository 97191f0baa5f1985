package dev.vecmlp.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A row-major view of floats inside a segment: element (r, c) lives at float index
 * {@code offset + r * stride + c}. Views made by a {@link Slab} have rows padded to a multiple of
 * {@link #PAD} floats (one 512-bit vector, one cache line), and the padding stays zero.
 *
 * <p>A view is a plain value: it does not own memory and is cheap to create.
 *
 * @param segment the memory
 * @param offset  float index of element (0, 0)
 * @param rows    number of rows
 * @param cols    number of columns in use
 * @param stride  floats from the start of one row to the next, at least {@code cols}
 */
public record Matrix(MemorySegment segment, long offset, int rows, int cols, int stride) {
    /** Row padding in floats: 16 floats = 64 bytes. */
    public static final int PAD = 16;

    public Matrix {
        Objects.requireNonNull(segment, "segment");
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("matrix: expected rows and cols >= 0, found " + rows + "x" + cols);
        }
        if (stride < cols) {
            throw new IllegalArgumentException("matrix: expected a stride >= cols (" + cols + "), found " + stride);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("matrix: expected a float offset >= 0, found " + offset);
        }
    }

    /** {@code cols} rounded up to a multiple of {@link #PAD}; at least {@code PAD}. */
    public static int paddedStride(int cols) {
        if (cols < 0 || cols > Integer.MAX_VALUE - PAD) {
            throw new IllegalArgumentException("matrix: expected 0 <= cols <= " + (Integer.MAX_VALUE - PAD) + ", found " + cols);
        }
        return Math.max(PAD, (cols + PAD - 1) / PAD * PAD);
    }

    /** Floats from element (0, 0) to the end of the last row's padding. */
    public long extentFloats() {
        return (long) rows * stride;
    }

    public float get(int r, int c) {
        return segment.getAtIndex(ValueLayout.JAVA_FLOAT, index(r, c));
    }

    public void set(int r, int c, float v) {
        segment.setAtIndex(ValueLayout.JAVA_FLOAT, index(r, c), v);
    }

    /** Copies {@code rows * cols} floats, row-major without padding, from {@code src[srcPos...]}. */
    public void copyFrom(float[] src, int srcPos) {
        copyRowsFrom(src, srcPos, rows);
    }

    /** Copies the first {@code count} rows, row-major without padding, from {@code src[srcPos...]}. */
    public void copyRowsFrom(float[] src, int srcPos, int count) {
        Objects.checkFromIndexSize(0, count, rows);
        Objects.checkFromIndexSize(srcPos, count * cols, src.length);
        for (int r = 0; r < count; r++) {
            MemorySegment.copy(src, srcPos + r * cols, segment, ValueLayout.JAVA_FLOAT,
                    (offset + (long) r * stride) * Float.BYTES, cols);
        }
    }

    /** Copies the matrix, row-major without padding, into {@code dst[dstPos...]}. */
    public void copyTo(float[] dst, int dstPos) {
        copyRowsTo(dst, dstPos, rows);
    }

    /** Copies the first {@code count} rows, row-major without padding, into {@code dst[dstPos...]}. */
    public void copyRowsTo(float[] dst, int dstPos, int count) {
        Objects.checkFromIndexSize(0, count, rows);
        Objects.checkFromIndexSize(dstPos, count * cols, dst.length);
        for (int r = 0; r < count; r++) {
            MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, (offset + (long) r * stride) * Float.BYTES,
                    dst, dstPos + r * cols, cols);
        }
    }

    /** The matrix as a new row-major array without padding. */
    public float[] toArray() {
        float[] out = new float[rows * cols];
        copyTo(out, 0);
        return out;
    }

    /** Sets every element in use (not the padding) to {@code v}. */
    public void fill(float v) {
        for (int r = 0; r < rows; r++) {
            MemorySegment row = segment.asSlice((offset + (long) r * stride) * Float.BYTES, (long) cols * Float.BYTES);
            for (int c = 0; c < cols; c++) {
                row.setAtIndex(ValueLayout.JAVA_FLOAT, c, v);
            }
        }
    }

    private long index(int r, int c) {
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        return offset + (long) r * stride + c;
    }
}
