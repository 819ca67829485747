package dev.pagealloc.jit;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.Units;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.SystemCallException;

/**
 * Code pages mapped twice: written through a read-write view, run from a read-execute view of the
 * same memory, so no protection ever changes and code can be patched while it runs. Linux maps a
 * {@code memfd} twice ({@code rw-s} and {@code r-xs} in {@code /proc/self/maps}); macOS aliases
 * ordinary memory with {@code mach_vm_remap}; Windows maps two views of one section (see
 * {@link ExecutableMemory}).
 *
 * <p>Thread-safe: nothing here changes after construction but the bytes.
 */
final class DualPages implements CodePages {
    private final ExecutableMemory platform;
    private final ExecutableMemory.DualMapping mapping;
    private final InstructionCache cache;

    private DualPages(ExecutableMemory platform, ExecutableMemory.DualMapping mapping, InstructionCache cache) {
        this.platform = platform;
        this.mapping = mapping;
        this.cache = cache;
    }

    /**
     * Maps {@code byteSize} bytes twice.
     *
     * @param operation the caller's operation, for the message
     * @param platform the platform's executable memory
     * @param byteSize the size, in bytes; a multiple of the allocation granularity
     * @param cache the instruction cache maintenance
     * @return the pages
     * @throws KernelException if the platform refuses; nothing is left mapped
     */
    static DualPages map(String operation, ExecutableMemory platform, long byteSize, InstructionCache cache) {
        try {
            return new DualPages(platform, platform.map(byteSize), cache);
        } catch (SystemCallException e) {
            throw new KernelException(operation, "cannot map " + byteSize + " bytes of code twice", e.error());
        }
    }

    @Override
    public long writableAddress() {
        return mapping.writableAddress();
    }

    @Override
    public long executableAddress() {
        return mapping.executableAddress();
    }

    @Override
    public long byteSize() {
        return mapping.byteSize();
    }

    @Override
    public long alignmentBytes() {
        return 1;
    }

    @Override
    public void makeWritable(long byteOffset, long byteLength) {
        // The writable view never stops being writable.
    }

    @Override
    public void makeExecutable(long byteOffset, long byteLength) {
        cache.flush(mapping.executableAddress() + byteOffset, byteLength);
    }

    @Override
    public void makeInaccessible(long byteOffset, long byteLength) {
        // Other code shares these pages; the caller has filled the range with traps.
    }

    @Override
    public void release() {
        try {
            platform.unmap(mapping);
        } catch (SystemCallException e) {
            throw new KernelException("release(executableAddress=" + Units.hex(mapping.executableAddress()) + ")",
                    "cannot unmap " + mapping.byteSize() + " bytes of code", e.error());
        }
    }
}
