package dev.vecmlp.io;

/**
 * The element types of the safetensors format, named as in a file's header ({@code "F32"}),
 * with their size in bytes. Sub-byte types (F4, F6) are not supported: a file that uses them is
 * rejected as having an unknown dtype.
 */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype spelled {@code name} in a header (case-sensitive), or null. */
    static DType byName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
