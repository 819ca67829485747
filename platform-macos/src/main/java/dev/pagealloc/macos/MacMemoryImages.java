package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.MemorySegment;

/**
 * {@link MemoryImages} on macOS with {@code mach_vm_copy} ({@link MacVirtualMemory#copyPages}): the image
 * is a read-only allocation of its own; mapping and resetting copy it over the range, which XNU does by
 * sharing the source's pages copy-on-write where the range is large enough rather than copying bytes
 * ({@code vm_map_copy_overwrite} of a {@code vm_map_copyin} copy, {@code osfmk/vm/vm_map.c}). Unlike
 * Linux, a reset copies the whole image again instead of dropping only written pages: XNU has no
 * discard that shows a mapping's source again. The closer primitive, {@code mach_vm_map} of a memory
 * entry ({@code mach_make_memory_entry_64}) with {@code copy=TRUE}, is not bound yet. Run only against
 * the simulated kernel here.
 *
 * <p>Stateless apart from the primitives: thread-safe.
 */
final class MacMemoryImages implements MemoryImages {
    private final MacVirtualMemory memory;

    MacMemoryImages(MacVirtualMemory memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "a read-only image allocation, mach_vm_copy over the range; reset copies again";
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public Image prepare(MemorySegment contents) throws SystemCallException {
        long contentBytes = contents.byteSize();
        long byteSize = MemoryImages.imageBytes(contents, memory.pageBytes());
        long address = memory.allocateAnywhere(byteSize);
        try {
            // SAFETY: `address` is the fresh read-write allocation of `byteSize` bytes made just above.
            MemorySegment.copy(contents, JAVA_BYTE, 0, MemorySegment.ofAddress(address).reinterpret(byteSize),
                    JAVA_BYTE, 0, contentBytes);
            memory.protectBits(address, byteSize, MachAbi.VM_PROT_READ);
        } catch (SystemCallException e) {
            memory.release(address, byteSize);
            throw e;
        }
        return new Image(address, byteSize);
    }

    @Override
    public void map(long address, Image image) throws SystemCallException {
        memory.protectBits(address, image.byteSize(), MachAbi.VM_PROT_READ | MachAbi.VM_PROT_WRITE);
        try {
            memory.copyPages(image.handle(), address, image.byteSize());
        } catch (SystemCallException e) {
            memory.protectBits(address, image.byteSize(), MachAbi.VM_PROT_NONE);
            throw e;
        }
    }

    @Override
    public void reset(long address, Image image) throws SystemCallException {
        memory.copyPages(image.handle(), address, image.byteSize());
    }

    @Override
    public void unmap(long address, Image image) throws SystemCallException {
        memory.protectBits(address, image.byteSize(), MachAbi.VM_PROT_NONE);
        memory.replaceWithZeroPages(address, image.byteSize());
        memory.protectBits(address, image.byteSize(), MachAbi.VM_PROT_NONE);
    }

    @Override
    public void close(Image image) throws SystemCallException {
        memory.release(image.handle(), image.byteSize());
    }
}
