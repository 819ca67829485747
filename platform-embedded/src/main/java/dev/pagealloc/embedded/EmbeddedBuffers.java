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

    /**
     * The most pages one page table manages: 4 TiB of 4 KiB pages. Page numbers are {@code int}s,
     * and the table costs a reference and a bit of Java heap per page (4 GiB or more at the limit).
     */
    static final int MAX_PAGES = 1 << 30;

    /** {@code void *calloc(size_t count, size_t size)}, if the C library has it. */
    private static final Optional<MethodHandle> CALLOC = function("calloc",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
    /** {@code void free(void *pointer)}, if the C library has it. */
    private static final Optional<MethodHandle> FREE = function("free", FunctionDescriptor.ofVoid(ADDRESS));

    @SuppressWarnings("restricted") // see the SAFETY line
    private static Optional<MethodHandle> function(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        // SAFETY: calloc and free are the C standard's (C11 7.22.3), and each descriptor is their
        // prototype on LP64 and LLP64 alike: size_t is 64 bits and pointers are addresses.
        return linker.defaultLookup().find(name).map(address -> linker.downcallHandle(address, descriptor));
    }

    /**
     * {@return the buffer size the {@value EmbeddedPlatformProvider#BUFFER_BYTES_PROPERTY} property
     * asks for, rounded up to whole pages}, or the default
     *
     * @throws IllegalArgumentException if the property is not a positive decimal number of bytes, or
     *     passes {@value #MAX_PAGES} pages
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
        if (bytes <= 0) {
            throw new IllegalArgumentException("open(" + property + "=" + value
                    + "): must be a positive number of bytes");
        }
        if (bytes > MAX_PAGES * page) {
            throw new IllegalArgumentException("open(" + property + "=" + value
                    + "): the embedded page table manages at most " + MAX_PAGES + " pages ("
                    + MAX_PAGES * page + " bytes)");
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
        long blockAddress = block.address();
        // SAFETY: calloc returned `blockBytes` writable bytes at `block`; the automatic arena frees
        // them once no segment of the buffer (and so no page table or region view, see
        // EmbeddedVirtualMemory.view) is reachable, and never before. The dead page table's claim,
        // and the reservations of its regions never deallocated, are dropped first: the registry
        // may not have processed that page table's end yet, while the C library may hand the same
        // bytes to the next buffer at once.
        @SuppressWarnings("restricted") // see the SAFETY line
        MemorySegment whole = block.reinterpret(blockBytes, Arena.ofAuto(),
                unbounded -> call(() -> {
                    BufferClaims.forget(blockAddress, blockBytes);
                    free.invokeExact(unbounded);
                    return null;
                }));
        long skip = Math.ceilDiv(whole.address(), page) * page - whole.address();
        return whole.asSlice(skip, byteSize);
    }

    /**
     * {@return the caller's static buffer, trimmed to whole pages}
     *
     * <p>Only a buffer of the global scope is accepted. Views are made from addresses in the
     * region's own arena, which pagealloc closes to invalidate them; a segment has one scope, so a
     * view cannot also die with the buffer's arena. The buffer's memory must therefore outlive
     * every view, and only a global scope promises that: a confined or shared arena can be closed
     * at any time, and an automatic one cannot be told apart from a shared one through the public
     * API ({@link MemorySegment.Scope} offers only {@code isAlive} and {@code equals}). A view of a
     * pagealloc region belongs to that region's arena, so it is refused here too.
     *
     * @param buffer the caller's buffer
     * @throws IllegalArgumentException if it is a heap segment, read-only, misaligned, smaller than
     *     a page, larger than {@value #MAX_PAGES} pages, past the 63-bit address range, already
     *     closed, confined to one thread, or not of the global scope
     */
    static MemorySegment checkStatic(MemorySegment buffer) {
        long page = EmbeddedVirtualMemory.PAGE_BYTES;
        String operation = "open(staticBuffer=" + describe(buffer) + ")";
        if (!buffer.isNative()) {
            throw new IllegalArgumentException(operation + ": the embedded provider needs a native buffer: views of a"
                    + " heap array cannot be invalidated, so a view kept after deallocate would go on reading and"
                    + " writing pages that another region reuses; allocate the buffer with"
                    + " Arena.global().allocate(bytes, " + page + ")");
        }
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException(operation + ": the buffer is read-only");
        }
        if (buffer.address() % page != 0) {
            throw new IllegalArgumentException(operation + ": the buffer must be aligned to the page size " + page
                    + " bytes; allocate it with Arena.global().allocate(bytes, " + page + ")");
        }
        long pages = buffer.byteSize() / page;
        if (pages == 0) {
            throw new IllegalArgumentException(operation + ": the buffer is smaller than one page of " + page
                    + " bytes");
        }
        if (pages > MAX_PAGES) {
            throw new IllegalArgumentException(operation + ": the buffer holds " + pages + " pages of " + page
                    + " bytes; the embedded page table manages at most " + MAX_PAGES + " pages ("
                    + MAX_PAGES * page + " bytes); pass a slice of it");
        }
        long usable = pages * page;
        if (buffer.address() < 0 || buffer.address() > Long.MAX_VALUE - usable) {
            throw new IllegalArgumentException(operation + ": the buffer's end passes the 63-bit address range");
        }
        if (!buffer.scope().isAlive()) {
            throw new IllegalArgumentException(operation + ": the buffer's arena is closed");
        }
        // A thread that never runs (made per call so that no class loader stays reachable from it):
        // a segment it cannot access is confined to another thread.
        if (!buffer.isAccessibleBy(Thread.ofVirtual().unstarted(() -> { }))) {
            throw new IllegalArgumentException(operation
                    + ": the buffer is confined to one thread (Arena.ofConfined()); an allocator serves every"
                    + " thread, and another thread's allocate or grow would fail with WrongThreadException;"
                    + " pass a buffer of Arena.global()");
        }
        if (!buffer.scope().equals(Arena.global().scope())) {
            throw new IllegalArgumentException(operation + ": the buffer's memory can be freed while views of it live:"
                    + " its arena can be closed (Arena.ofShared()), or is one the JDK cannot tell apart from such an"
                    + " arena (Arena.ofAuto(), a view of a pagealloc region); views are made from addresses, so they"
                    + " would then read and write freed memory; pass a buffer of the global scope,"
                    + " Arena.global().allocate(bytes, " + page + "), or MemorySegment.ofAddress(address) resized"
                    + " with MemorySegment::reinterpret over memory that stays valid and accessible for the life of"
                    + " the process");
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
