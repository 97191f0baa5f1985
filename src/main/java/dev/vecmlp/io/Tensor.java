package dev.vecmlp.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable named-tensor value of a safetensors file: a {@link DType}, a shape and the
 * elements, row-major and little-endian, exactly as they sit in the file.
 *
 * <pre>{@code
 * Tensor w = Tensor.f32(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);   // [[1, 2, 3], [4, 5, 6]]
 * float first = w.data().getFloat(0);
 * }</pre>
 */
public final class Tensor {
    /**
     * The highest rank accepted: far above any real tensor, and it bounds what a hostile header
     * can make the reader allocate for one shape.
     */
    public static final int MAX_RANK = 64;

    /** The largest tensor, in bytes, that fits one Java array. */
    public static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    private final DType dtype;
    private final long[] shape;
    private final byte[] data;

    private Tensor(DType dtype, long[] shape, byte[] data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    /**
     * A tensor of {@code dtype} and {@code shape} over a copy of {@code littleEndianData}, whose
     * length must be the element count times {@link DType#byteSize()}.
     */
    public static Tensor of(DType dtype, long[] shape, byte[] littleEndianData) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(littleEndianData, "data");
        long[] s = checkShape(shape);
        long bytes = byteCount(dtype, s);
        if (bytes != littleEndianData.length) {
            throw new IllegalArgumentException("tensor data: expected " + bytes + " bytes for " + dtype + " "
                    + Arrays.toString(s) + ", found " + littleEndianData.length);
        }
        return new Tensor(dtype, s, littleEndianData.clone());
    }

    /** An F32 tensor of {@code shape} holding a copy of {@code values}, row-major. */
    public static Tensor f32(float[] values, long... shape) {
        long[] s = checkShape(shape);
        checkCount(DType.F32, values.length, s);
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new Tensor(DType.F32, s, b.array());
    }

    /** An F64 tensor of {@code shape} holding a copy of {@code values}, row-major. */
    public static Tensor f64(double[] values, long... shape) {
        long[] s = checkShape(shape);
        checkCount(DType.F64, values.length, s);
        ByteBuffer b = ByteBuffer.allocate(values.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return new Tensor(DType.F64, s, b.array());
    }

    /** For the reader, which has checked the sizes and hands over an array nobody else holds. */
    static Tensor adopt(DType dtype, long[] shape, byte[] data) {
        return new Tensor(dtype, shape, data);
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape; empty for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The product of the shape (1 for a scalar). */
    public long elementCount() {
        return (long) data.length / dtype.byteSize();
    }

    /** Size of the data in bytes. */
    public int byteSize() {
        return data.length;
    }

    /** A read-only little-endian view of the data. */
    public ByteBuffer data() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The data without a copy, for the writer. */
    byte[] array() {
        return data;
    }

    /** Shape values checked and copied, so later changes to the caller's array cannot reach the tensor. */
    private static long[] checkShape(long[] shape) {
        Objects.requireNonNull(shape, "shape");
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException("tensor shape: expected at most " + MAX_RANK + " dimensions, found "
                    + shape.length);
        }
        long[] s = shape.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) {
                throw new IllegalArgumentException("tensor shape: expected sizes >= 0, found " + s[i] + " in dimension " + i
                        + " of " + Arrays.toString(s));
            }
        }
        return s;
    }

    /** Checks the size first, so that the byte count of {@code values} cannot overflow an int. */
    private static void checkCount(DType dtype, int values, long[] shape) {
        long n = byteCount(dtype, shape) / dtype.byteSize();
        if (n != values) {
            throw new IllegalArgumentException("tensor data: expected " + n + " values for shape " + Arrays.toString(shape)
                    + ", found " + values);
        }
    }

    /** Product of the dimensions, or -1 when it does not fit a long. */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException overflow) {
                return -1;
            }
        }
        return n;
    }

    private static long byteCount(DType dtype, long[] shape) {
        long n = elementCount(shape);
        if (n < 0 || n > MAX_BYTES / dtype.byteSize()) {
            throw new IllegalArgumentException("tensor shape: expected at most " + MAX_BYTES + " bytes of " + dtype
                    + ", found shape " + Arrays.toString(shape));
        }
        return n * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.dtype == dtype && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + ", " + Arrays.toString(shape) + "]";
    }
}
