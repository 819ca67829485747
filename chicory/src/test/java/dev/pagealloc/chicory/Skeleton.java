package dev.pagealloc.chicory;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.wasm.IndexType;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;

/**
 * Whether {@link LinearMemory} has its bodies yet. This branch was written against the agreed skeleton, whose
 * bodies throw {@code UnsupportedOperationException("skeleton")}; tests of our memory are skipped (not passed)
 * exactly while that is so, and run once the linear-memory implementation is merged.
 */
public final class Skeleton {

    private static final boolean IMPLEMENTED = probe();

    private Skeleton() {
    }

    private static boolean probe() {
        try (LinearMemory memory = LinearMemory.create(new MemoryType(IndexType.I32, MemoryType.WASM_PAGE_BYTES,
                1, 1, false))) {
            memory.loadI32(0);
            return true;
        } catch (UnsupportedOperationException e) {
            if ("skeleton".equals(e.getMessage())) {
                return false;
            }
            throw e;
        }
    }

    /** {@return whether {@link LinearMemory} has its bodies (creating and reading a memory works)} */
    public static boolean linearMemoryImplemented() {
        return IMPLEMENTED;
    }

    /** Skips the calling test while {@link LinearMemory} is the skeleton. */
    public static void assumeLinearMemoryImplemented() {
        assumeTrue(IMPLEMENTED, "LinearMemory is still the skeleton on this branch: runs after the merge");
    }
}
