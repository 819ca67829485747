package dev.pagealloc.embedded;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Units;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Where the embedded provider's buffer comes from: the caller's static buffer, checked, or a
 * native buffer of {@value EmbeddedPlatformProvider#BUFFER_BYTES_PROPERTY} bytes allocated with the
 * C library's {@code calloc}, which (unlike {@link Arena#allocate}, which writes zeros over the whole
 * block) leaves large blocks as untouched zero pages: the buffer costs resident memory only where
 * regions commit pages.
 *
 * <p>Stateless and thread-safe.
 */
final class EmbeddedBuffers {
    private EmbeddedBuffers() {}

    /** {@code void *calloc(size_t count, size_t size)}, if the C library has it. */
    private static final Optional<MethodHandle> CALLOC = function("calloc",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
    /** {@code void free(void *pointer)}, if the C library has it. */
    private static final Optional<MethodHandle> FREE = function("free", FunctionDescriptor.ofVoid(ADDRESS));

    private static Optional<MethodHandle> function(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find(name).map(address -> linker.downcallHandle(address, descriptor));
    }

    /**
     * {@return the buffer size the {@value EmbeddedPlatformProvider#BUFFER_BYTES_PROPERTY} property
     * asks for, rounded up to whole pages}, or the default
     *
     * @throws IllegalArgumentException if the property is not a positive decimal number of bytes
     */
    static long configuredBytes() {
        String property = EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY;
        String value = System.getProperty(property);
        if (value == null) {
            return EmbeddedPlatformProvider.DEFAULT_BUFFER_BYTES;
        }
        long bytes;
        try {
            bytes = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("open(" + property + "=" + value + "): not a number of bytes", e);
        }
        long page = EmbeddedVirtualMemory.PAGE_BYTES;
        if (bytes <= 0 || bytes > Long.MAX_VALUE - page) {
            throw new IllegalArgumentException("open(" + property + "=" + value + "): must be a positive number of bytes");
        }
        return Math.ceilDiv(bytes, page) * page;
    }

    /**
     * {@return a zeroed native buffer of {@code byteSize} bytes aligned to a page, freed when it
     * becomes unreachable}
     *
     * @param byteSize the size, in bytes; a positive multiple of the page
     * @throws OutOfMemoryError if the C library cannot allocate it
     */
    static MemorySegment allocate(long byteSize) {
        long page = EmbeddedVirtualMemory.PAGE_BYTES;
        if (CALLOC.isEmpty() || FREE.isEmpty()) {
            return Arena.ofAuto().allocate(byteSize, page);
        }
        long blockBytes = byteSize + page;
        MemorySegment block = call(() -> (MemorySegment) CALLOC.get().invokeExact(1L, blockBytes));
        if (block.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("open(" + EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY + "=" + byteSize
                    + "): calloc(1, " + blockBytes + ") returned NULL");
        }
        MethodHandle free = FREE.get();
        // SAFETY: calloc returned `blockBytes` writable bytes at `block`; the automatic arena frees
        // them once no segment of the buffer (and so no region view, see EmbeddedVirtualMemory.view)
        // is reachable, and never before.
        MemorySegment whole = block.reinterpret(blockBytes, Arena.ofAuto(),
                unbounded -> call(() -> {
                    free.invokeExact(unbounded);
                    return null;
                }));
        long skip = Math.ceilDiv(whole.address(), page) * page - whole.address();
        return whole.asSlice(skip, byteSize);
    }

    /**
     * {@return the caller's static buffer, trimmed to whole pages}
     *
     * @param buffer the caller's buffer
     * @throws IllegalArgumentException if it is a heap segment, read-only, misaligned or smaller than a page
     */
    static MemorySegment checkStatic(MemorySegment buffer) {
        long page = EmbeddedVirtualMemory.PAGE_BYTES;
        String operation = "open(staticBuffer=" + describe(buffer) + ")";
        if (!buffer.isNative()) {
            throw new IllegalArgumentException(operation + ": the embedded provider needs a native buffer: views of a"
                    + " heap array cannot be invalidated, so a view kept after deallocate would go on reading and"
                    + " writing pages that another region reuses; allocate the buffer from an Arena, e.g."
                    + " arena.allocate(bytes, " + page + ")");
        }
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException(operation + ": the buffer is read-only");
        }
        if (buffer.address() % page != 0) {
            throw new IllegalArgumentException(operation + ": the buffer must be aligned to the page size " + page
                    + " bytes; allocate it with arena.allocate(bytes, " + page + ")");
        }
        long usable = buffer.byteSize() / page * page;
        if (usable == 0) {
            throw new IllegalArgumentException(operation + ": the buffer is smaller than one page of " + page + " bytes");
        }
        if (!buffer.scope().isAlive()) {
            throw new IllegalArgumentException(operation + ": the buffer's arena is closed");
        }
        return buffer.asSlice(0, usable);
    }

    static String describe(MemorySegment buffer) {
        return buffer.isNative() ? Units.hex(buffer.address()) + "+" + buffer.byteSize()
                : "heap segment of " + buffer.byteSize() + " bytes";
    }

    @FunctionalInterface
    private interface NativeCall<T> {
        T call() throws Throwable;
    }

    private static <T> T call(NativeCall<T> call) {
        try {
            return call.call();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable impossible) {
            // calloc and free declare no checked exception; invokeExact merely says it could throw one.
            throw new IllegalStateException(impossible);
        }
    }
}
