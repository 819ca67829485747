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
     * The single switch: {@code -Dpagealloc.chicory.specMemory=pagealloc} on the Maven command line, or the
     * default below.
     */
    static final String PROPERTY = "pagealloc.chicory.specMemory";

    /**
     * The default memory under test. BYTE_ARRAY until the linear memory's bodies are merged (until then
     * {@link dev.pagealloc.wasm.LinearMemory} throws "skeleton"), then PAGEALLOC: change this one word.
     */
    private static final SpecMemory DEFAULT_UNDER_TEST = BYTE_ARRAY;

    final Function<MemoryLimits, Memory> factory;

    SpecMemory(Function<MemoryLimits, Memory> factory) {
        this.factory = factory;
    }

    /** {@return the memory under test: the property's choice, else the default} */
    static SpecMemory underTest() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen == null || chosen.isBlank()) {
            return DEFAULT_UNDER_TEST;
        }
        return switch (chosen.trim().toLowerCase(Locale.ROOT)) {
            case "pagealloc" -> PAGEALLOC;
            case "bytearray", "byte_array" -> BYTE_ARRAY;
            default -> throw new IllegalArgumentException(
                    PROPERTY + "=" + chosen + ": expected pagealloc or bytearray");
        };
    }
}
