package dev.pagealloc.linux;

import static dev.pagealloc.linux.LinuxAbi.MAP_ANONYMOUS;
import static dev.pagealloc.linux.LinuxAbi.MAP_FAILED;
import static dev.pagealloc.linux.LinuxAbi.MAP_FIXED;
import static dev.pagealloc.linux.LinuxAbi.MAP_NORESERVE;
import static dev.pagealloc.linux.LinuxAbi.MAP_PRIVATE;
import static dev.pagealloc.linux.LinuxAbi.MAP_SHARED;
import static dev.pagealloc.linux.LinuxAbi.PROT_NONE;
import static dev.pagealloc.linux.LinuxAbi.PROT_READ;
import static dev.pagealloc.linux.LinuxAbi.PROT_WRITE;

import dev.pagealloc.api.Units;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.MemorySegment;

/**
 * {@link MemoryImages} on Linux, as wasmtime's {@code MemoryImage} does it
 * ({@code crates/wasmtime/src/runtime/vm/cow.rs}, {@code runtime/vm/sys/unix/vm.rs}): the image is a
 * {@code memfd} written once through a temporary shared mapping, then sealed against writes, growth and
 * shrinking ({@code F_SEAL_WRITE} is refused while a writable shared mapping exists, memfd_create(2), so
 * the temporary mapping is gone first); a range maps it {@code MAP_PRIVATE|MAP_FIXED} read-write, so
 * writes go to private copies; {@code madvise(MADV_DONTNEED)} drops those copies and the file's pages
 * show again. madvise(2), MADV_DONTNEED: later accesses "will result in either repopulating the memory
 * contents from the up-to-date contents of the underlying mapped file ... or zero-fill-on-demand pages
 * for anonymous private mappings"; a private file mapping is not anonymous, so its dropped copies read
 * the file again (zap_page_range frees the private anonymous pages; the next fault maps the file's
 * page-cache page, mm/memory.c do_read_fault). wasmtime resets its images the same way
 * ({@code MemoryImageSlot}, {@code cow.rs}); {@code LinuxFeaturesTest} checks it against the kernel.
 * Sealing keeps the file, and so every reset, equal to the image.
 *
 * <p>Stateless apart from the kernel: thread-safe.
 */
final class LinuxMemoryImages implements MemoryImages {
    private final LinuxVirtualMemory memory;

    LinuxMemoryImages(LinuxVirtualMemory memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "sealed memfd mapped mmap(MAP_PRIVATE|MAP_FIXED); reset by madvise(MADV_DONTNEED)";
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public Image prepare(MemorySegment contents) throws SystemCallException {
        long contentBytes = contents.byteSize();
        long byteSize = MemoryImages.imageBytes(contents, memory.pageBytes());
        LinuxKernel kernel = memory.kernel();
        int flags = LinuxAbi.MFD_CLOEXEC | LinuxAbi.MFD_ALLOW_SEALING;
        int fd = kernel.memfdCreate("pagealloc-image", flags);
        if (fd < 0) {
            throw memory.failure("memfd_create(\"pagealloc-image\", MFD_CLOEXEC|MFD_ALLOW_SEALING)");
        }
        try {
            if (kernel.ftruncate(fd, byteSize) != 0) {
                throw memory.failure("ftruncate(" + fd + ", " + byteSize + ")");
            }
            long staging = kernel.mmap(0, byteSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (staging == MAP_FAILED) {
                throw memory.failure("mmap(0x0, " + byteSize + ", PROT_READ|PROT_WRITE, MAP_SHARED, " + fd + ", 0)");
            }
            // SAFETY: `staging` is the fresh shared mapping of `byteSize` bytes made just above; nothing else
            // knows it, and it is unmapped right after the copy.
            MemorySegment.copy(contents, 0, MemorySegment.ofAddress(staging).reinterpret(byteSize), 0, contentBytes);
            if (kernel.munmap(staging, byteSize) != 0) {
                throw memory.failure("munmap(" + Units.hex(staging) + ", " + byteSize + ")");
            }
            int seals = LinuxAbi.F_SEAL_WRITE | LinuxAbi.F_SEAL_SHRINK | LinuxAbi.F_SEAL_GROW | LinuxAbi.F_SEAL_SEAL;
            if (kernel.fcntl(fd, LinuxAbi.F_ADD_SEALS, seals) != 0) {
                throw memory.failure("fcntl(" + fd
                        + ", F_ADD_SEALS, F_SEAL_WRITE|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL)");
            }
            return new Image(fd, byteSize);
        } catch (SystemCallException | RuntimeException e) {
            kernel.close(fd);
            throw e;
        }
    }

    @Override
    public void map(long address, Image image) throws SystemCallException {
        int flags = MAP_PRIVATE | MAP_FIXED;
        // SAFETY: the caller guarantees the range lies in a reservation of ours, so MAP_FIXED replaces
        // only our own pages; the replacement is atomic (one mmap call).
        long mapped = memory.kernel().mmap(address, image.byteSize(), PROT_READ | PROT_WRITE, flags,
                (int) image.handle(), 0);
        if (mapped == MAP_FAILED) {
            throw memory.failure("mmap(" + Units.hex(address) + ", " + image.byteSize() + ", PROT_READ|PROT_WRITE, "
                    + LinuxAbi.mapFlagsName(flags) + ", " + image.handle() + ", 0)");
        }
    }

    @Override
    public void reset(long address, Image image) throws SystemCallException {
        memory.dontNeed(address, image.byteSize());
    }

    /**
     * {@inheritDoc}
     *
     * @implNote A fresh inaccessible anonymous reservation replaces the range in one {@code MAP_FIXED}
     *     call. The range's NUMA policy and huge page advice are those of a new mapping: the caller
     *     re-applies them if it set any.
     */
    @Override
    public void unmap(long address, Image image) throws SystemCallException {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED;
        // SAFETY: the range is the caller's image mapping inside its own reservation.
        long mapped = memory.kernel().mmap(address, image.byteSize(), PROT_NONE, flags, -1, 0);
        if (mapped == MAP_FAILED) {
            throw memory.failure("mmap(" + Units.hex(address) + ", " + image.byteSize() + ", PROT_NONE, "
                    + LinuxAbi.mapFlagsName(flags) + ", -1, 0)");
        }
    }

    @Override
    public void close(Image image) throws SystemCallException {
        if (memory.kernel().close((int) image.handle()) != 0) {
            throw memory.failure("close(" + image.handle() + ")");
        }
    }
}
