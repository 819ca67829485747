package dev.pagealloc.wasm;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;

/**
 * A memory's initial contents (WebAssembly's active data segments) prepared once, so that instantiating a
 * memory with them costs microseconds however many megabytes they hold.
 *
 * <p>Where the platform has copy-on-write images ({@link MemoryImages}: Linux, a sealed {@code memfd}),
 * each memory maps the image privately over its first pages: every memory shares the image's pages until
 * it writes one, and a pool slot is reset to the image by discarding its written pages
 * ({@code madvise(MADV_DONTNEED)} on a private file mapping drops the private copies, madvise(2)). Elsewhere
 * the image keeps the bytes and copies them into each memory; {@link #isCopyOnWrite()} and
 * {@link #mechanism()} say which happened.
 *
 * <p>Thread-safe. Close it once no memory will be created with it; memories already created keep their
 * pages.
 */
public final class MemoryImage implements AutoCloseable {

    /**
     * An active data segment.
     *
     * @param byteOffset where the bytes go in the memory, in bytes; {@code >= 0}
     * @param bytes the bytes; not null, not copied (the image copies them when prepared)
     */
    public record Segment(long byteOffset, byte[] bytes) {
        /**
         * Checks the segment.
         *
         * @throws NullPointerException if {@code bytes} is null
         * @throws IllegalArgumentException if {@code byteOffset} is negative or the end overflows a {@code long}
         */
        public Segment {
            Objects.requireNonNull(bytes, "Segment(bytes=null): the bytes must not be null");
            if (byteOffset < 0 || byteOffset > Long.MAX_VALUE - bytes.length) {
                throw new IllegalArgumentException("Segment(byteOffset=" + byteOffset + ", bytes.length="
                        + bytes.length + "): byteOffset must be within [0, Long.MAX_VALUE - bytes.length]");
            }
        }
    }

    private final long contentBytes;
    /** The platform's image, or null when copying. */
    private final MemoryImages images;
    private final MemoryImages.Image image;
    /** The bytes to copy, when the platform has no images; null otherwise. */
    private final MemorySegment contents;
    private final String mechanism;
    private volatile boolean closed;

    private MemoryImage(long contentBytes, MemoryImages images, MemoryImages.Image image, MemorySegment contents,
            String mechanism) {
        this.contentBytes = contentBytes;
        this.images = images;
        this.image = image;
        this.contents = contents;
        this.mechanism = mechanism;
    }

    /**
     * Prepares an image of {@code segments}; bytes no segment covers read zero, and later segments overwrite
     * earlier ones where they overlap, as instantiation applies them in order.
     *
     * @param segments the data segments; at least one byte in all
     * @return the image
     * @throws NullPointerException if {@code segments} or one of them is null
     * @throws IllegalArgumentException if the segments hold no byte
     * @throws KernelException if the platform refuses to prepare the image ({@code memfd_create},
     *     {@code ftruncate}, {@code mmap}); nothing is left allocated
     * @throws IllegalCallerException if this module ({@code dev.pagealloc.wasm}) has no native access: images
     *     are a restricted platform feature ({@link dev.pagealloc.api.PageAllocator#platformFeature}); the
     *     message names the {@code --enable-native-access} value that grants it. Refused rather than copied,
     *     so that a missing launcher option is seen, not paid for in every instantiation
     */
    public static MemoryImage of(List<Segment> segments) {
        Objects.requireNonNull(segments, "of(segments=null): the segments must not be null");
        long end = 0;
        for (Segment segment : segments) {
            Objects.requireNonNull(segment, "of(segments): a segment is null");
            end = Math.max(end, segment.byteOffset() + segment.bytes().length);
        }
        if (end == 0) {
            throw new IllegalArgumentException("of(segments=" + segments.size() + "): the segments hold no byte");
        }
        FeatureAnswer<MemoryImages> answer = Allocators.forImages().platformFeature(MemoryImages.class);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = answer.available() ? arena.allocate(end) : Arena.ofAuto().allocate(end);
            for (Segment segment : segments) {
                MemorySegment.copy(segment.bytes(), 0, staging, ValueLayout.JAVA_BYTE, segment.byteOffset(),
                        segment.bytes().length);
            }
            if (!answer.available()) {
                return new MemoryImage(end, null, null, staging, "copied into each memory: " + answer.reason());
            }
            MemoryImages images = answer.orElseThrow();
            try {
                return new MemoryImage(end, images, images.prepare(staging), null, "copy-on-write: " + answer.reason());
            } catch (SystemCallException e) {
                throw new KernelException("MemoryImage.of(contentBytes=" + end + ")", "cannot prepare the image",
                        e.error());
            }
        }
    }

    /**
     * {@return an image of one data segment}
     *
     * @param byteOffset where the bytes go, in bytes
     * @param bytes the bytes
     * @throws IllegalArgumentException as {@link Segment} and {@link #of(List)}
     * @throws KernelException as {@link #of(List)}
     * @throws IllegalCallerException as {@link #of(List)}
     */
    public static MemoryImage of(long byteOffset, byte[] bytes) {
        return of(List.of(new Segment(byteOffset, bytes)));
    }

    /** {@return the bytes the segments reach, in bytes: the smallest memory the image fits in} */
    public long contentBytes() {
        return contentBytes;
    }

    /** {@return whether memories map the image copy-on-write (true) or get a copy of its bytes (false)} */
    public boolean isCopyOnWrite() {
        return image != null;
    }

    /** {@return how memories get the image, and why: the platform feature used, or why it is absent} */
    public String mechanism() {
        return mechanism;
    }

    /**
     * Releases the prepared image (the {@code memfd}); memories already created keep their pages. Idempotent.
     *
     * @throws KernelException if the platform refuses to close it
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (image != null) {
            try {
                images.close(image);
            } catch (SystemCallException e) {
                throw new KernelException("MemoryImage.close()", "cannot close the image", e.error());
            }
        }
    }

    /** Throws unless the image's bytes end within {@code memoryBytes} and the image is open. */
    void requireFits(long memoryBytes, String operation) {
        if (closed) {
            throw new IllegalStateException(operation + "(image): the image was closed");
        }
        if (contentBytes > memoryBytes) {
            throw new IllegalArgumentException(operation + "(image.contentBytes=" + contentBytes
                    + "): the data segments end past the memory's minimum size of " + memoryBytes + " bytes");
        }
    }

    /** {@return the bytes a copy-on-write mapping covers: the content rounded up to the system page} */
    long mappedBytes() {
        return image != null ? image.byteSize() : 0;
    }

    /**
     * Puts the image's bytes at the start of a memory: maps it at {@code address}, or copies it into
     * {@code view}.
     *
     * @param address the memory's base; its committed pages cover {@link #mappedBytes()}
     * @param view the memory's bytes, at least {@link #contentBytes()} of them
     * @param operation for messages
     * @throws KernelException if the platform refuses the mapping; the range is then as it was
     */
    void applyTo(long address, MemorySegment view, String operation) {
        if (image == null) {
            MemorySegment.copy(contents, 0, view, 0, contentBytes);
            return;
        }
        try {
            images.map(address, image);
        } catch (SystemCallException e) {
            throw new KernelException(operation + "(image.contentBytes=" + contentBytes + ")",
                    "cannot map the image at 0x" + Long.toHexString(address), e.error());
        }
    }

    /**
     * Puts inaccessible, empty reserved pages back where {@link #applyTo} mapped the image.
     *
     * @throws KernelException if the platform refuses
     */
    void unmapFrom(long address, String operation) {
        try {
            images.unmap(address, image);
        } catch (SystemCallException e) {
            throw new KernelException(operation, "cannot unmap the image at 0x" + Long.toHexString(address),
                    e.error());
        }
    }
}
