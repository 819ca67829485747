package dev.pagealloc.heap.manual;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Zeroes the dirty bytes of arena chunks. Spans of at least {@value #MEMSET_MIN_BYTES} bytes go to the C
 * library's {@code memset} (ISO C 7.24.6.1; memset(3)), which the JDK's {@link MemorySegment#fill} does
 * not match at these sizes: on the x86-64 machine the arena was measured on (glibc, JDK 25), 13-16 ns per
 * KiB against 19-21 for {@code fill}, in 16 KiB spans, and the arena's zeroed 1 KiB allocations went from
 * 25-26 to 17-19 ns of CPU time. glibc picks its strategy by size and CPU (its manual, "Hardware
 * Capability Tunables", {@code glibc.cpu.x86_rep_stosb_threshold}). A downcall's transition costs tens of
 * ns, so smaller spans, and platforms where {@code memset} cannot be linked as
 * {@code (void*, int, size_t)} with a 64-bit {@code size_t}, use {@code fill}.
 *
 * <p>Thread-safe (stateless).
 */
final class ChunkZeroing {
    /** The smallest span given to {@code memset}, in bytes. */
    static final long MEMSET_MIN_BYTES = 4096;
    /** {@code void *memset(void *s, int c, size_t n)}, or empty where it cannot be linked so. */
    private static final Optional<MethodHandle> MEMSET = linkMemset();

    private ChunkZeroing() {}

    /** Zeroes every byte of {@code span}, a segment of an arena chunk on the arena's own thread. */
    static void zero(MemorySegment span) {
        if (span.byteSize() < MEMSET_MIN_BYTES || MEMSET.isEmpty()) {
            span.fill((byte) 0);
            return;
        }
        try {
            // The linker keeps span's scope alive for the call and passes its address; memset writes
            // exactly span.byteSize() bytes from there, all inside the span.
            MemorySegment unused = (MemorySegment) MEMSET.get().invokeExact(span, 0, span.byteSize());
        } catch (Throwable e) {
            throw new AssertionError("memset failed", e); // it neither fails nor calls back
        }
    }

    @SuppressWarnings("restricted")
    private static Optional<MethodHandle> linkMemset() {
        Linker linker = Linker.nativeLinker();
        MemoryLayout sizeT = linker.canonicalLayouts().get("size_t");
        if (!ValueLayout.JAVA_LONG.equals(sizeT)) {
            return Optional.empty();
        }
        // SAFETY: the descriptor is memset's C signature with this platform's size_t (checked above to be
        // 64 bits): void *memset(void *s, int c, size_t n). zero() passes a live segment and its size.
        return linker.defaultLookup().find("memset").map(address -> linker.downcallHandle(address,
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG)));
    }
}
