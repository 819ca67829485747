package dev.pagealloc.embedded;

import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
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
 * <p>A static buffer is accepted only if it is:
 * <ul>
 * <li><b>native</b> ({@link MemorySegment#isNative()}). A view of a heap array
 *     ({@link MemorySegment#ofArray}) cannot belong to an arena, so it could not be invalidated on
 *     deallocate, decommit or protect: a stale view would keep reading and writing pages that later
 *     belong to another region.
 * <li><b>of the global scope</b>: {@code Arena.global().allocate(bytes, 4096)}, or
 *     {@code MemorySegment.ofAddress(address)} sized with {@link MemorySegment#reinterpret(long)}, over
 *     memory the caller manages.
 *     Region views are made from addresses in the region's own arena, which pagealloc closes to
 *     invalidate them; a segment has exactly one scope, so a view cannot also die with the
 *     buffer's arena, and the buffer must outlive every view. Only the global scope is never
 *     closed. A confined arena's buffer is refused also because other threads could not use it
 *     (the allocator serves every thread); a shared arena's because its owner may close it and free
 *     the memory under live views; an automatic arena's ({@link java.lang.foreign.Arena#ofAuto()})
 *     because the JDK offers no public way to tell it from a shared one
 *     ({@link MemorySegment.Scope} has only {@code isAlive} and {@code equals}). A view of a
 *     pagealloc region belongs to that region's arena, so it is refused too. Without a static
 *     buffer the provider allocates its own, freed once nothing uses it.
 * <li><b>not in use by another embedded allocator</b>: no byte of it may lie in the buffer of an
 *     allocator that is still reachable, directly or through one of its regions or their views
 *     (two allocators over the same bytes would hand out overlapping regions). The claim ends when
 *     that allocator, its regions and their views have been garbage-collected; there is no
 *     allocator {@code close()}.
 * <li><b>not in a live pagealloc region</b> of any provider: those pages may be protected or
 *     released at any time, and views over them would then fault.
 * <li>writable, aligned to 4096 bytes, at least one page and at most 2<sup>30</sup> pages (4 TiB);
 *     its size is used in whole 4 KiB pages.
 * </ul>
 * <b>Restricted:</b> the caller promises that a buffer made from a raw address stays valid,
 * readable and writable for the life of the process, and that nothing else (native code, a
 * mapping made over it later) frees or protects it; breaking that promise can crash the JVM.
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
        this(NoOpenObserver.INSTANCE);
    }

    /**
     * Observes nothing: a named class rather than a lambda, since ServiceLoader creates this provider in
     * every JVM's first {@code build()}, where each first lambda spins a class.
     */
    private static final class NoOpenObserver implements Consumer<EmbeddedVirtualMemory> {
        static final NoOpenObserver INSTANCE = new NoOpenObserver();

        @Override
        public void accept(EmbeddedVirtualMemory memory) {
            // nothing to report outside tests
        }
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

    /** {@return true: regions live in the caller's static buffer when one is given} */
    @Override
    public boolean takesStaticBuffer() {
        return true;
    }

    /**
     * Opens a page table over the request's static buffer, or over a new buffer of
     * {@value #BUFFER_BYTES_PROPERTY} bytes.
     *
     * <p><b>Restricted</b> (see {@link PlatformProvider#open}): the page table hands out views over the raw
     * addresses of the request's static buffer, trusting the caller about its lifetime.
     *
     * @param request the allocator's request: its static buffer, if the caller gave one
     * @return the primitives
     * @throws IllegalCallerException if the caller's module has no native access (see {@link NativeAccess})
     * @throws IllegalArgumentException if the static buffer is a heap segment, read-only,
     *     misaligned, smaller than a page, larger than 2<sup>30</sup> pages, closed, confined, not of
     *     the global scope, or overlaps the buffer of a live embedded allocator or the reservation
     *     of a live region; or if the property is not a positive number of bytes or asks for more
     *     than 2<sup>30</sup> pages
     * @throws OutOfMemoryError if the buffer cannot be allocated
     */
    @Override
    public VirtualMemory open(PlatformRequest request) {
        NativeAccess.ensureCallerHasNativeAccess("PlatformProvider.open");
        EmbeddedVirtualMemory memory = request.staticBuffer()
                .map(buffer -> new EmbeddedVirtualMemory(EmbeddedBuffers.checkStatic(buffer), false))
                .orElseGet(() -> new EmbeddedVirtualMemory(
                        EmbeddedBuffers.allocate(EmbeddedBuffers.configuredBytes()), true));
        onOpen.accept(memory);
        return memory;
    }

    @Override
    public String toString() {
        return "EmbeddedPlatformProvider[name=" + NAME + ", priority=" + PRIORITY + "]";
    }
}
