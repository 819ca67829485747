package dev.pagealloc.bench;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The JNA peer: the same libc calls as {@link FfmLibc}, bound by JNA's direct mapping
 * ({@link Native#register}), its fastest form. Pointers and {@code size_t} are passed as Java
 * {@code long}s (LP64), so no {@link Pointer} is allocated per call; JNA keeps errno after every
 * call ({@link Native#getLastError()}), which is what the FFM peers capture too.
 *
 * <p>Thread-safe: static native methods, no state.
 */
final class JnaLibc {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    private JnaLibc() {}

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    /** {@code int mprotect(void *addr, size_t length, int prot)}. */
    static native int mprotect(long addr, long length, int prot);

    /** {@code int munmap(void *addr, size_t length)}. */
    static native int munmap(long addr, long length);

    /** {@code long labs(long)}: a libc call that makes no system call. */
    static native long labs(long value);

    /**
     * {@return the address of {@code byteSize} bytes of fresh inaccessible address space}
     *
     * @param byteSize the size, in bytes; a multiple of the page size
     * @throws IllegalStateException if {@code mmap} fails, with its errno
     */
    static long reserve(long byteSize) {
        long address = mmap(0L, byteSize, FfmLibc.PROT_NONE, FfmLibc.RESERVE_FLAGS, -1, 0L);
        if (address == FfmLibc.MAP_FAILED) {
            throw failure("mmap", byteSize);
        }
        return address;
    }

    /**
     * Changes the protection of {@code [address, address + byteSize)}.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param prot {@code PROT_*} bits
     * @throws IllegalStateException if {@code mprotect} fails, with its errno
     */
    static void protect(long address, long byteSize, int prot) {
        if (mprotect(address, byteSize, prot) != 0) {
            throw failure("mprotect", byteSize);
        }
    }

    /**
     * Unmaps {@code [address, address + byteSize)}.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws IllegalStateException if {@code munmap} fails, with its errno
     */
    static void release(long address, long byteSize) {
        if (munmap(address, byteSize) != 0) {
            throw failure("munmap", byteSize);
        }
    }

    private static IllegalStateException failure(String call, long byteSize) {
        return new IllegalStateException(call + "(byteSize=" + byteSize + ") failed: errno " + Native.getLastError());
    }
}
