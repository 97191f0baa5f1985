package dev.vecmlp.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SlabTest {

    @ParameterizedTest(name = "{0} floats")
    @ValueSource(longs = {0, 1, 3, 15, 16, 17, 1000, 1 << 20})
    void allocatesAlignedZeroedMemory(long floats) {
        try (Slab slab = Slab.allocate("s", floats)) {
            MemorySegment seg = slab.segment();
            assertEquals(0, seg.address() % Slab.ALIGNMENT_BYTES, "64-byte aligned");
            assertEquals(Math.max(1, floats) * Float.BYTES, seg.byteSize());
            assertEquals(floats, slab.floats());
            assertEquals(-1, seg.mismatch(MemorySegment.ofArray(new byte[(int) seg.byteSize()])), "zero-filled");
        }
    }

    @Test
    void rejectsNegativeSizesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Slab.allocate("weights", -5));
        assertTrue(e.getMessage().contains("weights") && e.getMessage().contains("-5"), e.getMessage());
    }

    @Test
    void getSetAndClear() {
        try (Slab slab = Slab.allocate("s", 40)) {
            slab.set(0, 1.5f);
            slab.set(39, -2f);
            assertEquals(1.5f, slab.get(0));
            assertEquals(-2f, slab.get(39));
            assertEquals(-2f, slab.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 39));
            assertThrows(IndexOutOfBoundsException.class, () -> slab.get(40));
            slab.clear();
            assertEquals(0f, slab.get(0));
            assertEquals(0f, slab.get(39));
        }
    }

    @Test
    void matrixViewsArePaddedAndPlaced() {
        try (Slab slab = Slab.allocate("s", 200)) {
            Matrix m = slab.matrix(8, 3, 20);
            assertEquals(32, m.stride());
            assertEquals(8, m.offset());
            m.set(2, 19, 7f);
            assertEquals(7f, slab.get(8 + 2 * 32 + 19));
            Matrix explicit = slab.matrix(0, 4, 5, 7);
            assertEquals(7, explicit.stride());
            // A view that ends exactly at the end of the slab is allowed.
            Matrix last = slab.matrix(200 - 6 * 16, 6, 16);
            assertEquals(200, last.offset() + last.extentFloats());
        }
    }

    @Test
    void matrixOutOfRangeIsRejectedNamingTheSizes() {
        try (Slab slab = Slab.allocate("acts", 100)) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> slab.matrix(0, 7, 10));
            String msg = e.getMessage();
            for (String part : new String[] {"acts", "7x10", "stride 16", "offset 0", "112", "100"}) {
                assertTrue(msg.contains(part), () -> "'" + part + "' missing from: " + msg);
            }
            IndexOutOfBoundsException shifted = assertThrows(IndexOutOfBoundsException.class,
                    () -> slab.matrix(5, 6, 16));
            assertTrue(shifted.getMessage().contains("offset 5") && shifted.getMessage().contains("101"),
                    shifted.getMessage());
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> slab.matrix(-1, 1, 1));
            assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
            IllegalArgumentException narrow = assertThrows(IllegalArgumentException.class, () -> slab.matrix(0, 1, 8, 4));
            assertTrue(narrow.getMessage().contains("8") && narrow.getMessage().contains("4"), narrow.getMessage());
        }
    }

    /**
     * An offset so large that {@code offset + extent} overflows a long must be rejected like any
     * other view past the end; a wrapped-around sum must not pass the range check.
     */
    @Test
    void matrixWithAnOverflowingEndIsRejected() {
        try (Slab slab = Slab.allocate("s", 100)) {
            assertThrows(IndexOutOfBoundsException.class, () -> slab.matrix(Long.MAX_VALUE - 8, 1, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> slab.matrix(Long.MAX_VALUE - 1000, 2, 1, Integer.MAX_VALUE));
        }
    }

    @Test
    void everyAccessorThrowsAfterClose() {
        Slab slab = Slab.allocate("params", 64);
        slab.close();
        assertTrue(slab.isClosed());
        Executable[] uses = {
                slab::segment, () -> slab.get(0), () -> slab.set(0, 1f), slab::clear, slab::ensureOpen,
                () -> slab.matrix(0, 1, 1), () -> slab.matrix(0, 1, 1, 1)};
        for (Executable use : uses) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use);
            assertTrue(e.getMessage().contains("params") && e.getMessage().contains("closed"), e.getMessage());
        }
        // Plain facts stay readable.
        assertEquals(64, slab.floats());
        assertEquals("params", slab.name());
    }

    @Test
    void segmentsAndViewsObtainedBeforeCloseThrowAfterIt() {
        Slab slab = Slab.allocate("s", 64);
        MemorySegment seg = slab.segment();
        Matrix m = slab.matrix(0, 2, 3);
        slab.close();
        assertThrows(IllegalStateException.class, () -> seg.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
        assertThrows(IllegalStateException.class, () -> seg.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 1f));
        assertThrows(IllegalStateException.class, () -> m.get(0, 0));
        assertThrows(IllegalStateException.class, () -> m.copyFrom(new float[6], 0));
    }

    @Test
    void closeIsIdempotent() {
        Slab slab = Slab.allocate("s", 8);
        assertFalse(slab.isClosed());
        assertFalse(slab.toString().contains("closed"));
        slab.close();
        slab.close();
        assertTrue(slab.isClosed());
        assertTrue(slab.toString().contains("closed"), slab.toString());
    }

    /** The arena is shared: another thread may read a slab (a model's parameters are shared). */
    @Test
    void readableFromAnotherThread() {
        try (Slab slab = Slab.allocate("s", 16)) {
            slab.set(3, 4.25f);
            assertEquals(4.25f, CompletableFuture.supplyAsync(() -> slab.get(3)).join());
        }
    }
}
