package dev.pagealloc.internal;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Protection;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A {@link VirtualMemory} for unit tests of the shared layer: reservations are real zeroed memory
 * from a shared arena (so views work), every call is recorded as text, and a test can make the next
 * call of one primitive fail with an errno. Protections are recorded, not enforced.
 *
 * <p>Thread-safe (every method is synchronized).
 */
final class FakeVirtualMemory implements VirtualMemory {
    final Capabilities capabilities;
    final List<String> calls = new ArrayList<>();
    private final Map<Long, Arena> reservations = new HashMap<>();
    private final Map<String, Integer> failNext = new HashMap<>();
    private boolean canPopulate = true;
    private boolean canLock = true;
    /** Why explicit huge pages take no protection but read-write, or null where they take any. */
    private String hugePagesReadWriteOnly;

    FakeVirtualMemory(UnaryOperator<Capabilities.Builder> capabilities) {
        this.capabilities = capabilities.apply(Capabilities.builder().platform("fake").pageBytes(4096)).build();
    }

    FakeVirtualMemory() {
        this(b -> b);
    }

    /** Makes the next call of {@code primitive} (e.g. {@code commit}) fail with ENOMEM. */
    synchronized FakeVirtualMemory failNext(String primitive) {
        return failNext(primitive, 1);
    }

    /** Makes the next {@code calls} calls of {@code primitive} fail with ENOMEM. */
    synchronized FakeVirtualMemory failNext(String primitive, int calls) {
        failNext.put(primitive, calls);
        return this;
    }

    synchronized FakeVirtualMemory withoutPopulateAndLock() {
        canPopulate = false;
        canLock = false;
        return this;
    }

    /** Makes explicit huge pages read-write only, as Windows large pages are, for {@code reason}. */
    synchronized FakeVirtualMemory withReadWriteOnlyHugePages(String reason) {
        hugePagesReadWriteOnly = reason;
        return this;
    }

    @Override
    public synchronized java.util.Optional<String> protectionUnsupported(Protection protection, Backing backing) {
        return backing.explicitHugePageBytes() != 0 && protection != Protection.READ_WRITE
                ? java.util.Optional.ofNullable(hugePagesReadWriteOnly)
                : java.util.Optional.empty();
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized int liveReservations() {
        return reservations.size();
    }

    private void call(String primitive, String text) throws SystemCallException {
        calls.add(text);
        Integer failures = failNext.remove(primitive);
        if (failures != null) {
            if (failures > 1) {
                failNext.put(primitive, failures - 1);
            }
            throw new SystemCallException(primitive + "(...)", 12, "ENOMEM", "Cannot allocate memory");
        }
    }

    /** The page size without a probe, as every real backend knows it. */
    @Override
    public long pageBytes() {
        return capabilities.pageBytes();
    }

    @Override
    public long allocationGranularityBytes() {
        return capabilities.allocationGranularityBytes();
    }

    /** How often {@link #capabilities()} was asked: a probe, for a real backend. */
    int capabilitiesAsked;

    @Override
    public synchronized Capabilities capabilities() {
        capabilitiesAsked++;
        return capabilities;
    }

    @Override
    public synchronized long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException {
        call("reserve", "reserve(" + byteSize + ", " + alignmentBytes + ", " + backing.hugePages() + ")");
        Arena arena = Arena.ofShared();
        long address = arena.allocate(byteSize, alignmentBytes).address();
        reservations.put(address, arena);
        return address;
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public synchronized void commit(long address, long byteSize, Backing backing) throws SystemCallException {
        call("commit", "commit(+" + byteSize + ", " + backing.hugePages() + ")");
        // SAFETY: the range lies inside a reservation this fake allocated and has not freed.
        MemorySegment.ofAddress(address).reinterpret(byteSize).fill((byte) 0);
    }

    @Override
    public synchronized void protect(long address, long byteSize, Protection protection) throws SystemCallException {
        call("protect", "protect(+" + byteSize + ", " + protection + ")");
    }

    @Override
    public synchronized void decommit(long address, long byteSize, Backing backing) throws SystemCallException {
        call("decommit", "decommit(+" + byteSize + ")");
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public synchronized void discard(long address, long byteSize, Backing backing) throws SystemCallException {
        call("discard", "discard(+" + byteSize + ")");
        // SAFETY: as in commit.
        MemorySegment.ofAddress(address).reinterpret(byteSize).fill((byte) 0);
    }

    @Override
    public synchronized void release(long address, long byteSize) throws SystemCallException {
        call("release", "release(" + byteSize + ")");
        reservations.remove(address).close();
    }

    @Override
    public synchronized void populate(long address, long byteSize) throws SystemCallException {
        if (!canPopulate) {
            throw new UnsupportedOperationException("the fake cannot populate");
        }
        call("populate", "populate(+" + byteSize + ")");
    }

    @Override
    public synchronized void lock(long address, long byteSize) throws SystemCallException {
        if (!canLock) {
            throw new UnsupportedOperationException("the fake cannot lock");
        }
        call("lock", "lock(+" + byteSize + ")");
    }
}
