package dev.pagealloc.spi;

import java.lang.foreign.MemorySegment;

/**
 * Copy-on-write memory images, as wasmtime's {@code MemoryImage} (crates/wasmtime/src/runtime/vm/cow.rs):
 * contents prepared once, mapped private into any number of reserved ranges, each of which reads the
 * image until it writes, and is reset to the image by discarding its written pages, without copying.
 *
 * @implNote Linux: the image is a sealed {@code memfd} ({@code F_SEAL_WRITE|F_SEAL_SHRINK|F_SEAL_GROW|
 *     F_SEAL_SEAL}), mapped with {@code mmap(MAP_PRIVATE|MAP_FIXED)} over the range; reset is
 *     {@code madvise(MADV_DONTNEED)}, which on a private file mapping drops the private copies so the
 *     file's pages show again (madvise(2), MADV_DONTNEED). macOS would map a memory entry with
 *     {@code mach_vm_map(..., copy=TRUE)}, Windows a section with {@code MapViewOfFile3(FILE_MAP_COPY)};
 *     neither is implemented yet, and those platforms answer "absent".
 * @implSpec Implementations are thread-safe.
 */
public non-sealed interface MemoryImages extends PlatformFeature {

    /**
     * Prepares an image of {@code contents}, padded with zeros to a whole number of pages.
     *
     * @param contents the bytes; copied, so the caller may reuse it at once
     * @return the image; the caller closes it with {@link #close} once no range maps it any more
     * @throws IllegalArgumentException if {@code contents} is empty
     * @throws SystemCallException if the OS refuses; nothing is left allocated
     */
    Image prepare(MemorySegment contents) throws SystemCallException;

    /**
     * {@return the size of an image of {@code contents}: its bytes rounded up to whole pages}, for
     * implementations of {@link #prepare}
     *
     * @param contents the image's bytes
     * @param pageBytes the page size, in bytes; a power of two
     * @throws IllegalArgumentException if {@code contents} is empty
     * @throws ArithmeticException if the rounded size overflows a {@code long}
     */
    static long imageBytes(MemorySegment contents, long pageBytes) {
        long contentBytes = contents.byteSize();
        if (contentBytes == 0) {
            throw new IllegalArgumentException("prepare(contents.byteSize()=0): an image holds at least one byte");
        }
        return Math.multiplyExact(Math.ceilDiv(contentBytes, pageBytes), pageBytes);
    }

    /**
     * Maps {@code image} copy-on-write, read-write, over {@code [address, +image.byteSize())}, replacing
     * whatever pages were there.
     *
     * @param address the first page; inside a reservation this implementation's {@link VirtualMemory} made
     * @param image the image
     * @throws SystemCallException if the OS refuses; the range is then as it was
     */
    void map(long address, Image image) throws SystemCallException;

    /**
     * Resets a range mapped by {@link #map} to the image: written pages are discarded and read the
     * image's bytes again.
     *
     * @param address the address given to {@link #map}
     * @param image the image mapped there
     * @throws SystemCallException if the OS refuses
     */
    void reset(long address, Image image) throws SystemCallException;

    /**
     * Puts a range mapped by {@link #map} back to reserved, inaccessible pages that read zero when
     * committed again.
     *
     * @param address the address given to {@link #map}
     * @param image the image mapped there
     * @throws SystemCallException if the OS refuses
     */
    void unmap(long address, Image image) throws SystemCallException;

    /**
     * Releases an image. Ranges still mapping it keep its pages.
     *
     * @param image the image
     * @throws SystemCallException if the OS refuses
     */
    void close(Image image) throws SystemCallException;

    /**
     * A prepared image.
     *
     * @param handle the platform's handle (a file descriptor on Linux)
     * @param byteSize the image's size, in bytes; a multiple of the page size
     */
    record Image(long handle, long byteSize) {}
}
