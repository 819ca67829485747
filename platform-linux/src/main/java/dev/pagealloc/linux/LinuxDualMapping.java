package dev.pagealloc.linux;

import static dev.pagealloc.linux.LinuxAbi.MAP_FAILED;
import static dev.pagealloc.linux.LinuxAbi.MAP_SHARED;
import static dev.pagealloc.linux.LinuxAbi.PROT_EXEC;
import static dev.pagealloc.linux.LinuxAbi.PROT_READ;
import static dev.pagealloc.linux.LinuxAbi.PROT_WRITE;

import dev.pagealloc.api.Units;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.SystemCallException;

/**
 * {@link ExecutableMemory} on Linux: a {@code memfd} sized with {@code ftruncate} and mapped twice with
 * {@code MAP_SHARED}, read-write and read-execute, so both addresses reach the same page cache pages
 * (mmap(2): "Updates to the mapping are visible to other processes mapping the same region"). The
 * descriptor is closed once both views exist: a mapping holds its own reference to the file
 * (mmap(2): "closing the file descriptor does not unmap the region"). {@code /proc/self/maps} shows
 * the views as {@code rw-s} and {@code r-xs} mappings of {@code /memfd:pagealloc-code (deleted)}.
 *
 * <p>Instruction caches: x86-64 keeps them coherent with stores (Intel SDM vol. 3A, 11.6), so flushing
 * does nothing; arm64 calls libgcc's {@code __clear_cache} (not run on the machines that built this).
 *
 * <p>Stateless apart from the kernel: thread-safe.
 */
final class LinuxDualMapping implements ExecutableMemory {
    private final LinuxVirtualMemory memory;
    private final boolean arm64;

    LinuxDualMapping(LinuxVirtualMemory memory, boolean arm64) {
        this.memory = memory;
        this.arm64 = arm64;
    }

    @Override
    public String describe() {
        return "memfd_create + two mmap(MAP_SHARED) views, rw- and r-x"
                + (arm64 ? "; __clear_cache after writing" : "; x86-64 needs no instruction cache flush");
    }

    @Override
    public DualMapping map(long byteSize) throws SystemCallException {
        LinuxKernel kernel = memory.kernel();
        int fd = kernel.memfdCreate("pagealloc-code", LinuxAbi.MFD_CLOEXEC);
        if (fd < 0) {
            throw memory.failure("memfd_create(\"pagealloc-code\", MFD_CLOEXEC)");
        }
        long writable = MAP_FAILED;
        try {
            if (kernel.ftruncate(fd, byteSize) != 0) {
                throw memory.failure("ftruncate(" + fd + ", " + byteSize + ")");
            }
            writable = mapShared(kernel, fd, byteSize, PROT_READ | PROT_WRITE);
            long executable = mapShared(kernel, fd, byteSize, PROT_READ | PROT_EXEC);
            return new DualMapping(writable, executable, byteSize, 0);
        } catch (SystemCallException e) {
            if (writable != MAP_FAILED) {
                kernel.munmap(writable, byteSize);
            }
            throw e;
        } finally {
            // Each view holds the file; the descriptor is no longer needed, whatever happened.
            kernel.close(fd);
        }
    }

    private long mapShared(LinuxKernel kernel, int fd, long byteSize, int prot) throws SystemCallException {
        long address = kernel.mmap(0, byteSize, prot, MAP_SHARED, fd, 0);
        if (address == MAP_FAILED) {
            throw memory.failure("mmap(0x0, " + byteSize + ", " + LinuxAbi.protName(prot) + ", MAP_SHARED, " + fd
                    + ", 0)");
        }
        return address;
    }

    @Override
    public void unmap(DualMapping mapping) throws SystemCallException {
        LinuxKernel kernel = memory.kernel();
        // SAFETY: both views were mapped by map(); the caller guarantees no code runs in them any more.
        boolean executableGone = kernel.munmap(mapping.executableAddress(), mapping.byteSize()) == 0;
        SystemCallException first = executableGone ? null
                : memory.failure("munmap(" + Units.hex(mapping.executableAddress()) + ", " + mapping.byteSize() + ")");
        if (kernel.munmap(mapping.writableAddress(), mapping.byteSize()) != 0 && first == null) {
            first = memory.failure("munmap(" + Units.hex(mapping.writableAddress()) + ", " + mapping.byteSize() + ")");
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void flushInstructionCache(long address, long byteSize) {
        if (arm64) {
            memory.kernel().clearCache(address, address + byteSize);
        }
    }
}
