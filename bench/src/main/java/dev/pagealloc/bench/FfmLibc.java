package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The "raw FFM" peer: the libc calls the Linux backend makes, bound with plain downcall handles
 * and nothing above them (no region state, no checks, no views). Errno is captured as the backend
 * captures it ({@code Linker.Option.captureCallState("errno")}), into one buffer per instance where
 * the backend looks up a per-thread one, so the difference between this peer and "ours" is the
 * library's own work.
 *
 * <p>Not thread-safe: each instance owns one errno capture buffer; use one per benchmark thread.
 */
final class FfmLibc implements AutoCloseable {
    /** {@code <sys/mman.h>} (Linux, every architecture). */
    static final int PROT_NONE = 0x0;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    /** The flags of a reservation, as the Linux backend reserves (DESIGN.md, platform notes). */
    static final int RESERVE_FLAGS = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    /** {@code MAP_FAILED}, {@code (void *) -1}. */
    static final long MAP_FAILED = -1L;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    // SAFETY: this descriptor and the next two transcribe <sys/mman.h> on LP64 Linux (size_t, off_t
    // and pointers are 64 bits), and every caller passes a range it mapped itself.
    @SuppressWarnings("restricted")
    private static final MethodHandle MMAP = LINKER.downcallHandle(LIBC.findOrThrow("mmap"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
            CAPTURE_ERRNO);
    /** {@code int mprotect(void *addr, size_t length, int prot)}. */
    @SuppressWarnings("restricted") // see the SAFETY line above MMAP
    private static final MethodHandle MPROTECT = LINKER.downcallHandle(LIBC.findOrThrow("mprotect"),
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), CAPTURE_ERRNO);
    /** {@code int munmap(void *addr, size_t length)}. */
    @SuppressWarnings("restricted") // see the SAFETY line above MMAP
    private static final MethodHandle MUNMAP = LINKER.downcallHandle(LIBC.findOrThrow("munmap"),
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), CAPTURE_ERRNO);

    private static final FunctionDescriptor LABS_DESCRIPTOR = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG);
    /** {@code long labs(long)}: a libc call that makes no system call. */
    // SAFETY: this descriptor and the next two are labs's prototype in <stdlib.h> (long: 64 bits on
    // LP64); labs touches no memory.
    @SuppressWarnings("restricted")
    static final MethodHandle LABS = LINKER.downcallHandle(LIBC.findOrThrow("labs"), LABS_DESCRIPTOR);
    /** The same, as a critical call: no thread-state transition, no safepoint during the call. */
    @SuppressWarnings("restricted") // see the SAFETY line above LABS
    static final MethodHandle LABS_CRITICAL = LINKER.downcallHandle(LIBC.findOrThrow("labs"), LABS_DESCRIPTOR,
            Linker.Option.critical(false));
    /** The same with errno captured, as every system call of the backend is bound. */
    @SuppressWarnings("restricted") // see the SAFETY line above LABS
    static final MethodHandle LABS_CAPTURE_ERRNO = LINKER.downcallHandle(LIBC.findOrThrow("labs"), LABS_DESCRIPTOR,
            CAPTURE_ERRNO);

    /** {@code void *malloc(size_t size)} ({@code <stdlib.h>}; size_t is 64 bits on LP64). */
    // SAFETY: malloc's and free's prototypes in <stdlib.h>; free is passed only malloc's results.
    @SuppressWarnings("restricted")
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LIBC.findOrThrow("malloc"),
            FunctionDescriptor.of(ADDRESS, JAVA_LONG));
    /** {@code void free(void *ptr)}. */
    @SuppressWarnings("restricted") // see the SAFETY line above MALLOC
    private static final MethodHandle FREE = LINKER.downcallHandle(LIBC.findOrThrow("free"),
            FunctionDescriptor.ofVoid(ADDRESS));

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);

    /**
     * {@return the address of {@code byteSize} bytes of fresh inaccessible address space}
     *
     * @param byteSize the size, in bytes; a multiple of the page size
     * @throws IllegalStateException if {@code mmap} fails, with its errno
     * @throws Throwable as {@link MethodHandle#invokeExact}; never in practice
     */
    long reserve(long byteSize) throws Throwable {
        long address = (long) MMAP.invokeExact(capture, 0L, byteSize, PROT_NONE, RESERVE_FLAGS, -1, 0L);
        if (address == MAP_FAILED) {
            throw failure("mmap", byteSize);
        }
        return address;
    }

    /**
     * {@return the address of one fresh system page, reserved, made read-write and written}: the raw
     * peer's equivalent of allocating a one-page region and touching it, for benchmark set-ups.
     *
     * @param value the long written at the page's start
     * @throws IllegalStateException if {@code mmap} or {@code mprotect} fails, with its errno
     * @throws Throwable as {@link MethodHandle#invokeExact}; never in practice
     */
    long mapWrittenPage(long value) throws Throwable {
        long address = reserve(Allocators.SYSTEM_PAGE_BYTES);
        mprotect(address, Allocators.SYSTEM_PAGE_BYTES, PROT_READ | PROT_WRITE);
        rawView(address, Allocators.SYSTEM_PAGE_BYTES).set(JAVA_LONG, 0, value);
        return address;
    }

    /**
     * Changes the protection of {@code [address, address + byteSize)}.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param prot {@code PROT_*} bits
     * @throws IllegalStateException if {@code mprotect} fails, with its errno
     * @throws Throwable as {@link MethodHandle#invokeExact}; never in practice
     */
    void mprotect(long address, long byteSize, int prot) throws Throwable {
        int result = (int) MPROTECT.invokeExact(capture, address, byteSize, prot);
        if (result != 0) {
            throw failure("mprotect", byteSize);
        }
    }

    /**
     * Unmaps {@code [address, address + byteSize)}.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws IllegalStateException if {@code munmap} fails, with its errno
     * @throws Throwable as {@link MethodHandle#invokeExact}; never in practice
     */
    void munmap(long address, long byteSize) throws Throwable {
        int result = (int) MUNMAP.invokeExact(capture, address, byteSize);
        if (result != 0) {
            throw failure("munmap", byteSize);
        }
    }

    /**
     * {@return a segment over {@code [address, address + byteSize)} with no lifetime checks}: the
     * raw peer's view, valid until the caller unmaps the range.
     *
     * @param address the first byte; mapped readable and writable
     * @param byteSize the length, in bytes
     */
    @SuppressWarnings("restricted") // see the SAFETY line
    static MemorySegment rawView(long address, long byteSize) {
        // SAFETY: callers pass a range they mapped read-write and use the view only until they
        // unmap it themselves; nothing else holds it.
        return MemorySegment.ofAddress(address).reinterpret(byteSize);
    }

    private IllegalStateException failure(String call, long byteSize) {
        int errno = (int) ERRNO.get(capture, 0L);
        return new IllegalStateException(call + "(byteSize=" + byteSize + ") failed: errno " + errno);
    }

    @Override
    public void close() {
        arena.close();
    }

    /**
     * {@return {@code byteSize} bytes from glibc's {@code malloc}, as a segment bounded to them}, for the
     * manual heap's peer; free it with {@link #free}
     *
     * @param byteSize the size, in bytes
     * @throws OutOfMemoryError if malloc returns NULL
     * @throws Throwable as the downcall may
     */
    @SuppressWarnings("restricted")
    static MemorySegment malloc(long byteSize) throws Throwable {
        // SAFETY: malloc returned byteSize usable bytes (or NULL, checked), freed only by free() below.
        MemorySegment block = ((MemorySegment) MALLOC.invokeExact(byteSize)).reinterpret(byteSize);
        if (block.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("malloc(" + byteSize + ")");
        }
        return block;
    }

    /**
     * glibc's {@code free} of a block {@link #malloc} returned.
     *
     * @param block the block
     * @throws Throwable as the downcall may
     */
    static void free(MemorySegment block) throws Throwable {
        FREE.invokeExact(block);
    }
}
