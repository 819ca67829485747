package dev.pagealloc.embedded;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The embedded provider ({@code pagealloc.platform=embedded}): every region lives inside one fixed
 * buffer, tracked by a page table, with protection enforced in software and inaccessible pages
 * canary-filled. It makes no page system call, so it is supported everywhere and has the lowest
 * priority: it is used when no OS provider is, or when asked for by name.
 *
 * <h2>The buffer</h2>
 * Each allocator gets its own buffer: the caller's
 * {@linkplain dev.pagealloc.api.PageAllocatorBuilder#withStaticBuffer static buffer} if one was
 * given, else a native buffer of {@value #BUFFER_BYTES_PROPERTY} bytes (default
 * {@value #DEFAULT_BUFFER_BYTES}, 64 MiB) allocated with the C library's {@code calloc}, so that its
 * pages cost resident memory only once regions commit them, and freed when neither the allocator nor
 * any view of it is reachable.
 * <ul>
 * <li>A static buffer must be a native, writable segment aligned to 4096 bytes; its size is used in
 *     whole 4 KiB pages. <b>Restricted:</b> the caller must keep it alive while any allocator over it
 *     or any view from one is in use. Views are made from raw addresses, so closing the buffer's
 *     arena early leaves them pointing at freed memory, and using them can crash the JVM; the
 *     provider notices a closed arena at the next operation and throws {@link IllegalStateException}.
 * <li>Heap buffers ({@link MemorySegment#ofArray}) are refused. A view of a heap array cannot belong
 *     to an arena, so it could not be invalidated on deallocate, decommit or protect: a stale view
 *     would keep reading and writing pages that later belong to another region, which breaks the
 *     guarantee that a stale view throws {@link IllegalStateException}.
 * </ul>
 *
 * <h2>What it cannot do</h2>
 * No huge pages, no NUMA nodes, no memory tagging, no page locking (refused, or downgraded with
 * best effort, by the shared layer), and no {@link dev.pagealloc.api.Protection#READ_EXECUTE}: the
 * buffer is data memory the CPU will not execute, so that protection is refused with {@code ENOTSUP}.
 * Nothing stops native code from writing into guard pages; the canaries report it afterwards
 * ({@link dev.pagealloc.api.GuardVerification}).
 *
 * @implSpec Thread-safe and stateless; each {@link #open} creates an independent page table.
 */
public final class EmbeddedPlatformProvider implements PlatformProvider {
    /** The provider's name, the value of {@code pagealloc.platform} that selects it. */
    public static final String NAME = "embedded";
    /** The provider's priority: the lowest, below every OS provider. */
    public static final int PRIORITY = 0;
    /** The system property giving the size of the buffer the provider allocates, in bytes. */
    public static final String BUFFER_BYTES_PROPERTY = "pagealloc.embedded.bufferBytes";
    /** The size of the buffer the provider allocates when the property is not set: 64 MiB. */
    public static final long DEFAULT_BUFFER_BYTES = 64L << 20;

    private final Consumer<? super EmbeddedVirtualMemory> onOpen;

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public EmbeddedPlatformProvider() {
        this(memory -> {});
    }

    /** Creates a provider that reports every page table it opens, for tests that inspect them. */
    EmbeddedPlatformProvider(Consumer<? super EmbeddedVirtualMemory> onOpen) {
        this.onOpen = Objects.requireNonNull(onOpen, "onOpen");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Support support() {
        return Support.yes("always: regions live in a fixed buffer and no system call is made");
    }

    /**
     * Opens a page table over the configuration's static buffer, or over a new buffer of
     * {@value #BUFFER_BYTES_PROPERTY} bytes.
     *
     * <p><b>Restricted</b> (see {@link PlatformProvider#open}): the page table hands out views over the raw
     * addresses of the configuration's static buffer, trusting the caller about its lifetime.
     *
     * @param config the allocator's configuration
     * @return the primitives
     * @throws IllegalCallerException if the caller's module has no native access (see {@link NativeAccess})
     * @throws IllegalArgumentException if the static buffer is a heap segment, read-only,
     *     misaligned, smaller than a page or already closed, or the property is not a positive
     *     number of bytes
     * @throws OutOfMemoryError if the buffer cannot be allocated
     */
    @Override
    public VirtualMemory open(AllocatorConfig config) {
        NativeAccess.ensureCallerHasNativeAccess("PlatformProvider.open");
        EmbeddedVirtualMemory memory = config.staticBuffer()
                .map(buffer -> new EmbeddedVirtualMemory(EmbeddedBuffers.checkStatic(buffer), false))
                .orElseGet(() -> new EmbeddedVirtualMemory(EmbeddedBuffers.allocate(EmbeddedBuffers.configuredBytes()), true));
        onOpen.accept(memory);
        return memory;
    }

    @Override
    public String toString() {
        return "EmbeddedPlatformProvider[name=" + NAME + ", priority=" + PRIORITY + "]";
    }
}
