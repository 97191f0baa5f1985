package dev.vecmlp.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A block of off-heap float memory, 64-byte aligned and zero-filled, allocated once and freed by
 * {@link #close()}. Everything that owns native memory in vecmlp owns it through a slab, so that
 * freeing is explicit and never left to the garbage collector.
 *
 * <p>The slab is backed by a shared {@link Arena}: several threads may read it at once (a model's
 * parameters are shared by many predictors). After {@code close()} every accessor, and every
 * access through a segment obtained earlier, throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (Slab slab = Slab.allocate("activations", 1024)) {
 *     Matrix x = slab.matrix(0, 4, 100);  // 4 rows of 100 floats, stride 112
 * }
 * }</pre>
 */
public final class Slab implements AutoCloseable {
    /** Alignment of every slab: one cache line, one 512-bit vector. */
    public static final long ALIGNMENT_BYTES = 64;

    private final String name;
    private final Arena arena;
    private final MemorySegment segment;
    private final long floats;
    private volatile boolean closed;

    private Slab(String name, Arena arena, MemorySegment segment, long floats) {
        this.name = name;
        this.arena = arena;
        this.segment = segment;
        this.floats = floats;
    }

    /**
     * Allocates {@code floats} zeroed floats. {@code name} appears in error messages.
     *
     * @throws IllegalArgumentException if {@code floats} is negative or too large to address
     */
    public static Slab allocate(String name, long floats) {
        if (floats < 0 || floats > Long.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("slab '" + name + "': expected a size of 0 to "
                    + (Long.MAX_VALUE / Float.BYTES) + " floats, found " + floats);
        }
        Arena arena = Arena.ofShared();
        try {
            // Arena.allocate zero-fills; padding relies on that.
            MemorySegment segment = arena.allocate(Math.max(1, floats) * Float.BYTES, ALIGNMENT_BYTES);
            return new Slab(name, arena, segment, floats);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /** The whole slab as a segment of {@code floats() * 4} bytes (or more, when empty). */
    public MemorySegment segment() {
        ensureOpen();
        return segment;
    }

    /** Size in floats. */
    public long floats() {
        return floats;
    }

    public String name() {
        return name;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * A view of {@code rows x cols} floats starting {@code offset} floats into the slab, with
     * rows padded to {@link Matrix#paddedStride(int)}.
     */
    public Matrix matrix(long offset, int rows, int cols) {
        return matrix(offset, rows, cols, Matrix.paddedStride(cols));
    }

    /** A view with an explicit stride (in floats). */
    public Matrix matrix(long offset, int rows, int cols, int stride) {
        ensureOpen();
        Matrix m = new Matrix(segment, offset, rows, cols, stride);
        // Compared without adding, so that an offset near Long.MAX_VALUE cannot wrap around.
        if (offset > floats || m.extentFloats() > floats - offset) {
            throw new IndexOutOfBoundsException("slab '" + name + "': a " + rows + "x" + cols
                    + " matrix with stride " + stride + " at float offset " + offset
                    + " needs floats up to " + endText(offset, m.extentFloats()) + ", but the slab holds " + floats);
        }
        return m;
    }

    private static String endText(long offset, long extent) {
        return extent > Long.MAX_VALUE - offset ? "past " + Long.MAX_VALUE : Long.toString(offset + extent);
    }

    public float get(long index) {
        ensureOpen();
        return segment.getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    public void set(long index, float value) {
        ensureOpen();
        segment.setAtIndex(ValueLayout.JAVA_FLOAT, index, value);
    }

    /** Sets every float to zero. */
    public void clear() {
        ensureOpen();
        segment.fill((byte) 0);
    }

    /** Throws {@link IllegalStateException} if the slab has been closed. */
    public void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("slab '" + name + "' is closed; it can no longer be used");
        }
    }

    /** Frees the memory. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "Slab[" + name + ", " + floats + " floats" + (closed ? ", closed" : "") + "]";
    }
}
