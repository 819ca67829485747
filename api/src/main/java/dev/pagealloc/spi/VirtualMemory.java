package dev.pagealloc.spi;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.Protection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The page primitives of one operating system, on raw address ranges. Everything else (argument
 * checks, overflow-checked page math, the region state machine, guards, views, statistics,
 * messages) is written once above this interface, so implementations hold no region state and
 * repeat no checks.
 *
 * <p>Callers guarantee: addresses and sizes are multiples of {@link #pageBytes()} (and of the
 * explicit huge page size where the {@link Backing} has one), ranges lie inside one reservation
 * made by {@link #reserve}, and sizes are positive.
 *
 * <p>A {@code VirtualMemory} is a raw capability: whoever holds one can unmap or unprotect any address of
 * the process. Only {@link PlatformProvider#open}, a restricted method, hands one out, and pagealloc
 * keeps the ones it opens to itself: no public API returns one.
 *
 * @implSpec Implementations are thread-safe and stateless apart from cached probes.
 */
public interface VirtualMemory {

    /** {@return the capabilities of the platform, probed once} */
    Capabilities capabilities();

    /** {@return the base page size, in bytes} */
    default long pageBytes() {
        return capabilities().pageBytes();
    }

    /** {@return the alignment of reservations, in bytes} */
    default long allocationGranularityBytes() {
        return capabilities().allocationGranularityBytes();
    }

    /**
     * {@return the width of a user virtual address, in bits}: the shared layer refuses a reservation
     * larger than the address space before asking the kernel. A backend that knows it without its probe
     * overrides this, so that allocating costs no probe.
     */
    default int addressBits() {
        return capabilities().addressBits();
    }

    /**
     * {@return why this platform cannot apply {@code policy}, or empty if it can}: the shared layer
     * then refuses the policy at build, or under best effort builds without it and reports the
     * reason. The default can apply every policy.
     *
     * @param policy a NUMA policy naming nodes that exist
     */
    default Optional<String> numaPolicyUnsupported(NumaPolicy policy) {
        return Optional.empty();
    }

    /**
     * {@return why pages of {@code backing} cannot be given {@code protection}, or empty if they can}:
     * the shared layer then refuses the change before any view is invalidated, so nothing changes.
     * For what a platform can never do, {@link Capabilities#protections()} answers; this is for what
     * depends on the backing (Windows large pages are always read-write). The default: any protection
     * the capabilities list.
     *
     * @param protection the protection asked for
     * @param backing the reservation's backing
     */
    default Optional<String> protectionUnsupported(Protection protection, Backing backing) {
        return Optional.empty();
    }

    /**
     * Reserves {@code byteSize} bytes of inaccessible address space aligned to {@code alignmentBytes},
     * committing nothing, and applies the backing's NUMA policy and huge page advice to it.
     *
     * @param byteSize the size, in bytes; a multiple of the allocation granularity
     * @param alignmentBytes the alignment of the returned address, in bytes; a power of two, at
     *     least the allocation granularity
     * @param backing how pages will be backed
     * @return the reservation's address
     * @throws SystemCallException if the OS refuses; nothing is left reserved
     */
    long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException;

    /**
     * Makes reserved pages readable, writable and zero.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param backing the reservation's backing
     * @throws SystemCallException if the OS refuses (no memory, empty huge page pool); the range is
     *     left reserved and inaccessible
     */
    void commit(long address, long byteSize, Backing backing) throws SystemCallException;

    /**
     * Changes the protection of committed pages.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param protection the new protection; never writable and executable
     * @throws SystemCallException if the OS refuses
     */
    void protect(long address, long byteSize, Protection protection) throws SystemCallException;

    /**
     * Returns committed pages to the reserved, inaccessible state; their memory goes back to the OS
     * and they read zero when committed again.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param backing the reservation's backing
     * @throws SystemCallException if the OS refuses
     */
    void decommit(long address, long byteSize, Backing backing) throws SystemCallException;

    /**
     * Drops the contents of committed pages, keeping their protection: they read zero next.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param backing the reservation's backing
     * @throws SystemCallException if the OS refuses
     */
    void discard(long address, long byteSize, Backing backing) throws SystemCallException;

    /**
     * Releases a whole reservation made by {@link #reserve}.
     *
     * @param address the reservation's address, as returned by {@code reserve}
     * @param byteSize the reservation's size, as given to {@code reserve}
     * @throws SystemCallException if the OS refuses
     */
    void release(long address, long byteSize) throws SystemCallException;

    /**
     * {@return whether one {@link #release} call may span several adjacent reservations}, each made
     * by {@link #reserve} and none still used, so that a run of them is given back in one call. A
     * backend whose release takes exactly one reservation (Windows {@code VirtualFree(MEM_RELEASE)},
     * the embedded buffer) keeps the default, {@code false}.
     */
    default boolean releasesAdjacentReservations() {
        return false;
    }

    /**
     * Prefaults committed pages so that first access takes no fault.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the OS refuses
     * @throws UnsupportedOperationException if the platform cannot prefault
     */
    void populate(long address, long byteSize) throws SystemCallException;

    /**
     * Locks committed pages in physical memory.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the OS refuses (e.g. over {@code RLIMIT_MEMLOCK})
     * @throws UnsupportedOperationException if the platform cannot lock pages
     */
    void lock(long address, long byteSize) throws SystemCallException;

    /**
     * {@return a segment over {@code [address, address + byteSize)} that dies with {@code arena}}.
     * The default reinterprets the raw address; a backend that must tie more to the arena (the embedded
     * provider keeps its buffer reachable while a view lives) overrides it.
     *
     * <p><b>Restricted.</b> The default builds a segment over any address it is given, inside
     * pagealloc's API module, which holds native access. So that an implementation cannot borrow that
     * access, the default serves only implementations whose own module has native access (or is the API
     * module itself, as on the class path, where the JDK then checks the reinterpretation against that
     * same module); an implementation that overrides it makes its segments with its own module's rights.
     * pagealloc's shared layer calls it only for committed, readable pages of a reservation this
     * implementation made.
     *
     * @param address the first byte; readable
     * @param byteSize the length, in bytes
     * @param arena the arena whose closing must invalidate the segment
     * @throws IllegalCallerException if the implementing class's module has no native access and is
     *     not pagealloc's API module; the message names the module and the {@code --enable-native-access}
     *     value that grants it
     */
    @SuppressWarnings("restricted") // see the SAFETY line
    default MemorySegment view(long address, long byteSize, Arena arena) {
        Module implementation = getClass().getModule();
        NativeAccess.missingNativeAccess(implementation).ifPresent(reason -> {
            throw new IllegalCallerException("VirtualMemory.view(address=0x" + Long.toHexString(address) + ", byteSize="
                    + byteSize + ", implementation=" + getClass().getName() + "): " + reason);
        });
        // SAFETY: the implementation's module has native access (checked above), so it could build this
        // segment itself; pagealloc's shared layer guarantees the range is committed and readable, and
        // closes `arena` before any page in it loses access.
        return MemorySegment.ofAddress(address).reinterpret(byteSize, arena, null);
    }

    /**
     * Checks the software-kept canaries of a reservation's inaccessible pages.
     *
     * @param reservation the reservation's address, as returned by {@link #reserve}
     * @param reservationBytes its size
     * @return the first address whose canary changed, or empty if all are intact (always empty
     *     where the hardware enforces guards)
     */
    default OptionalLong verifyGuards(long reservation, long reservationBytes) {
        return OptionalLong.empty();
    }

    /**
     * {@return the kernel's limit on the number of memory mappings of this process}, or empty when
     * the platform has no such limit (the default). Read once per allocator.
     *
     * @implNote Linux: {@code /proc/sys/vm/max_map_count}. Windows, macOS and the embedded provider
     *     have no limit of this kind.
     */
    default OptionalLong mappingLimit() {
        return OptionalLong.empty();
    }

    /**
     * {@return the number of memory mappings the process has now, as the kernel counts them}. Called
     * only near {@link #mappingLimit()}: it may be slow.
     *
     * @throws UnsupportedOperationException if {@link #mappingLimit()} is empty (the default)
     */
    default long mappingCount() {
        throw new UnsupportedOperationException("mappingCount(): this platform has no mapping limit");
    }

    /**
     * {@return this platform's {@code type} feature, or why it has none}, answered in-band: absence is
     * an answer with a reason, never an exception. The default answers every type absent.
     *
     * <p>The feature acts on raw addresses, as this interface does, and is reached the same way: by
     * pagealloc's shared layer, and by callers with native access through the restricted
     * {@link dev.pagealloc.api.PageAllocator#platformFeature(Class)}.
     *
     * @param type a {@link PlatformFeature} type, e.g. {@code ExecutableMemory.class}
     * @param <F> the feature type
     * @throws NullPointerException if {@code type} is null
     */
    default <F extends PlatformFeature> FeatureAnswer<F> feature(Class<F> type) {
        return FeatureAnswer.absent(type, getClass().getSimpleName() + " offers no " + type.getSimpleName());
    }
}
