package dev.pagealloc.chicory.spec;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.chicory.PageallocMemory;
import java.util.Locale;
import java.util.function.Function;

/** The memories the spec tests compare: Chicory's own, the reference, and ours. */
enum SpecMemory {
    /** Chicory's {@code ByteArrayMemory}: the reference every outcome is compared with. */
    BYTE_ARRAY(ByteArrayMemory::new),
    /** pagealloc's {@link PageallocMemory}. */
    PAGEALLOC(PageallocMemory::create);

    /**
     * The system property choosing the memory under test ("ours"): {@code pagealloc} or {@code bytearray}.
     * Without it, the memory under test is ours; {@code bytearray} runs the side-by-side comparison of
     * Chicory's own memory with itself (a check of the runner); the test names say which ran.
     */
    static final String PROPERTY = "pagealloc.chicory.specMemory";

    final Function<MemoryLimits, Memory> factory;

    SpecMemory(Function<MemoryLimits, Memory> factory) {
        this.factory = factory;
    }

    /** {@return the memory under test: the property's choice, else the default} */
    static SpecMemory underTest() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen == null || chosen.isBlank()) {
            return PAGEALLOC;
        }
        return switch (chosen.trim().toLowerCase(Locale.ROOT)) {
            case "pagealloc" -> PAGEALLOC;
            case "bytearray", "byte_array" -> BYTE_ARRAY;
            default -> throw new IllegalArgumentException(
                    PROPERTY + "=" + chosen + ": expected pagealloc or bytearray");
        };
    }
}
