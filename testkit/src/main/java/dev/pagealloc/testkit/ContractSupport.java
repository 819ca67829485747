package dev.pagealloc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.platform.support.MapsLine;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every part of the conformance suite shares: the {@link AllocatorFixture} a backend
 * supplies, the hooks where backends differ, region tracking, the W^X sweep after each test and
 * the assertions that compare a region with the kernel's own view.
 *
 * <p>Each part of the suite is an interface extending this one, with default {@code @Test}
 * methods: {@link RegionLifecycleContract}, {@link ViewContract}, {@link AccountingContract},
 * {@link BadInputContract}, {@link ConcurrencyContract}, {@link OptionsContract} and
 * {@link RandomOperationsContract}. A backend's test class implements the parts it passes and the
 * two fixture methods; a layer's own contract (JIT memory, linear memory) extends this interface
 * and so reuses the fixture, the tracking and the kernel assertions:
 *
 * {@snippet :
 * class LinuxPageAllocatorTest implements RegionLifecycleContract, ViewContract, AccountingContract,
 *         BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
 *     public PageAllocatorBuilder builder() { return PageAllocator.builder().withPlatform("linux"); }
 *     public KernelView kernelView() { return new ProcSelfKernelView(); }
 * }
 * }
 *
 * <p>Every page operation is checked against the {@link KernelView}, never against the
 * allocator's own bookkeeping; where the view cannot observe something (residency, NUMA nodes) the
 * case is skipped through an assumption, never passed vacuously.
 *
 * <p>Not thread-safe: JUnit creates one instance per test method, and the tracking state belongs to
 * that instance; the concurrency tests only share allocators and regions between their own threads.
 */
public interface ContractSupport extends AllocatorFixture {
    /** The system property that makes the model-checked random test replay one seed. */
    String SEED_PROPERTY = "pagealloc.contract.seed";
    /** The system property that sets the number of steps of the model-checked random test. */
    String STEPS_PROPERTY = "pagealloc.contract.steps";
    /** A WebAssembly page, in bytes: the page size the suite's layouts are written in. */
    long WASM_PAGE = 64 * 1024;

    /**
     * {@return whether {@link Protection#READ_EXECUTE} is honoured}; a backend whose memory the
     * CPU cannot execute (the embedded buffer) returns {@code false}, leaves it out of
     * {@link dev.pagealloc.api.Capabilities#protections()}, and so has it refused with an
     * {@link dev.pagealloc.api.UnsupportedOptionException} before any view is invalidated
     */
    default boolean canExecute() {
        return true;
    }

    /** {@return the threads the concurrency tests start; at least 2} */
    default int concurrencyThreads() {
        return 4;
    }

    /** {@return the steps of the model-checked random test}; {@value #STEPS_PROPERTY} overrides it */
    default int randomSteps() {
        return Integer.getInteger(STEPS_PROPERTY, 3000);
    }

    /** {@return how many mappings other threads of the JVM may add while a leak test runs} */
    default long mappingCountSlack() {
        return 16;
    }

    /** Records the writable and executable mappings present before the test, for the W^X sweep. */
    @BeforeEach
    default void recordWritableExecutableBaseline() {
        ContractState.of(this).writableExecutableBaseline(new HashSet<>(kernelView().writableExecutableMappings()));
    }

    /**
     * Deallocates the regions the test left alive, then runs the W^X sweep.
     *
     * @throws AssertionError if a region could not be deallocated or the sweep finds a mapping
     */
    @AfterEach
    default void releaseTrackedRegionsAndSweep() {
        ContractState state = ContractState.of(this);
        List<Throwable> failures = new ArrayList<>();
        try {
            for (Region region : state.trackedRegions()) {
                try {
                    region.deallocate();
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
            assertWritableExecutableFree();
        } finally {
            ContractState.forget(this);
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("a region the test left alive could not be deallocated");
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    // ---- allocators and regions ----

    /**
     * {@return an allocator from {@link #builder()} with {@code options} applied}
     *
     * @param options the suite's options, added to the backend's preconfigured builder
     */
    default PageAllocator allocator(UnaryOperator<PageAllocatorBuilder> options) {
        return options.apply(builder()).build();
    }

    /**
     * Allocates a region that is deallocated after the test if the test leaves it alive, and
     * whose reservation the W^X sweep watches.
     *
     * @param allocator the allocator
     * @param initialPages pages committed now
     * @param maximumPages pages reserved
     * @return the region
     */
    default Region allocate(PageAllocator allocator, long initialPages, long maximumPages) {
        return track(allocator.allocate(initialPages, maximumPages));
    }

    /**
     * Tracks a region allocated by the test itself.
     *
     * @param region the region
     * @return {@code region}
     */
    default Region track(Region region) {
        ContractState.of(this).track(region);
        return region;
    }

    /**
     * {@return the first address of {@code region}'s reservation, guard included}
     *
     * @param region the region
     */
    default long reservationStart(Region region) {
        return region.address() - region.guardBeforeBytes();
    }

    /**
     * {@return the bytes reserved for pages, {@code maximumPages * pageBytes} rounded up to the
     * granule: where the guard after begins}
     *
     * @param region the region
     */
    default long usableBytes(Region region) {
        long granule = region.protectionGranuleBytes();
        return Math.ceilDiv(region.maximumPages() * region.pageBytes(), granule) * granule;
    }

    // ---- assertions against the kernel ----

    /**
     * Asserts that the kernel maps all of {@code [address, address + byteSize)} with {@code expected},
     * without gaps (adjacent runs of the same protection are merged).
     *
     * @param address the first address
     * @param byteSize the length, in bytes; 0 checks nothing
     * @param expected the protection the kernel must report
     * @param what the range's role, for the message (e.g. {@code guard before})
     */
    default void assertKernel(long address, long byteSize, Protection expected, String what) {
        if (byteSize == 0) {
            return;
        }
        List<KernelView.Mapping> mappings = kernelView().mappings(address, byteSize);
        long cursor = address;
        for (KernelView.Mapping m : mappings) {
            if (m.start() != cursor) {
                fail(what + " [" + Units.hex(address) + ", +" + byteSize + "): unmapped gap at " + Units.hex(cursor)
                        + "; kernel reports " + mappings);
            }
            if (m.protection() != expected) {
                fail(what + " [" + Units.hex(address) + ", +" + byteSize + "): kernel reports " + m.protection()
                        + " at [" + Units.hex(m.start()) + ", " + Units.hex(m.end()) + "), expected " + expected);
            }
            cursor = m.end();
        }
        if (cursor != address + byteSize) {
            fail(what + " [" + Units.hex(address) + ", +" + byteSize + "): unmapped from " + Units.hex(cursor)
                    + "; kernel reports " + mappings);
        }
    }

    /**
     * Asserts that the kernel's view of {@code [address, address + byteSize)} is exactly
     * {@code expected}, reading the kernel once. Adjacent runs of the same protection are merged on
     * both sides before comparing, so the split of runs does not matter.
     *
     * @param address the first address
     * @param byteSize the length, in bytes
     * @param expected the runs the kernel must report, in address order, covering the range
     * @param what the range's role, for the message
     */
    default void assertKernelRuns(long address, long byteSize, List<KernelView.Mapping> expected, String what) {
        List<KernelView.Mapping> actual = merged(kernelView().mappings(address, byteSize));
        List<KernelView.Mapping> wanted = merged(expected);
        if (!actual.equals(wanted)) {
            fail(what + " [" + Units.hex(address) + ", +" + byteSize + "): kernel reports " + describe(actual)
                    + ", expected " + describe(wanted));
        }
    }

    private static List<KernelView.Mapping> merged(List<KernelView.Mapping> runs) {
        List<KernelView.Mapping> merged = new ArrayList<>();
        for (KernelView.Mapping m : runs) {
            if (m.byteSize() == 0) {
                continue;
            }
            KernelView.Mapping last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && last.end() == m.start() && last.protection() == m.protection()) {
                merged.set(merged.size() - 1, new KernelView.Mapping(last.start(), m.end(), m.protection()));
            } else {
                merged.add(m);
            }
        }
        return merged;
    }

    private static String describe(List<KernelView.Mapping> runs) {
        StringBuilder text = new StringBuilder("[");
        for (KernelView.Mapping m : runs) {
            text.append(text.length() > 1 ? ", " : "").append(Units.hex(m.start())).append('-')
                    .append(Units.hex(m.end())).append(' ').append(m.protection());
        }
        return text.append(']').toString();
    }

    /**
     * Asserts that the kernel maps nothing in {@code [address, address + byteSize)}.
     *
     * @param address the first address
     * @param byteSize the length, in bytes
     * @param what the range's role, for the message
     */
    default void assertUnmapped(long address, long byteSize, String what) {
        List<KernelView.Mapping> mappings = kernelView().mappings(address, byteSize);
        assertTrue(mappings.isEmpty(), () -> what + " [" + Units.hex(address) + ", +" + byteSize
                + "): still mapped: " + mappings);
    }

    /**
     * Asserts a live region's whole layout in the kernel's view: guards and the reserved tail
     * {@link Protection#NONE}, the first {@code committedBytes} {@link Protection#READ_WRITE}.
     *
     * @param region the region, never protected or decommitted by the test so far
     * @param committedBytes the committed prefix the test expects, in bytes
     */
    default void assertLayout(Region region, long committedBytes) {
        long base = region.address();
        long start = reservationStart(region);
        long end = start + region.reservedBytes();
        assertKernelRuns(start, end - start, List.of(
                new KernelView.Mapping(start, base, Protection.NONE),
                new KernelView.Mapping(base, base + committedBytes, Protection.READ_WRITE),
                new KernelView.Mapping(base + committedBytes, end, Protection.NONE)),
                "guard before, committed prefix, reserved tail and guard after of the region at " + Units.hex(base));
    }

    /**
     * The W^X sweep: no mapping is writable and executable at once. Lines that start with a
     * {@code start-end} hex range are failures when they overlap a reservation this test made;
     * other lines are failures unless they were there before the test began.
     */
    default void assertWritableExecutableFree() {
        ContractState state = ContractState.of(this);
        List<AddressRange> ours = state.reservations();
        for (String line : kernelView().writableExecutableMappings()) {
            MapsLine mapping = MapsLine.parse(line);
            if (mapping != null) {
                for (AddressRange r : ours) {
                    if (r.overlaps(mapping.start(), mapping.end())) {
                        fail("W^X: a writable and executable mapping overlaps the reservation " + r + ": " + line);
                    }
                }
            } else if (!state.writableExecutableBaseline().contains(line)) {
                fail("W^X: a writable and executable mapping appeared during the test: " + line);
            }
        }
    }

    // ---- contents ----

    /**
     * Asserts that every byte of {@code segment} is zero.
     *
     * @param segment the bytes
     * @param what their role, for the message
     */
    default void assertZero(MemorySegment segment, String what) {
        assertFilled(segment, (byte) 0, what);
    }

    /**
     * Asserts that every byte of {@code segment} is {@code value}.
     *
     * @param segment the bytes
     * @param value the expected byte
     * @param what their role, for the message
     */
    default void assertFilled(MemorySegment segment, byte value, String what) {
        MemorySegment expected = MemorySegment.ofArray(new byte[(int) Math.min(segment.byteSize(), 1 << 20)]);
        expected.fill(value);
        for (long offset = 0; offset < segment.byteSize(); offset += expected.byteSize()) {
            long length = Math.min(expected.byteSize(), segment.byteSize() - offset);
            long mismatch = MemorySegment.mismatch(segment, offset, offset + length, expected, 0, length);
            if (mismatch != -1) {
                assertEquals(value, segment.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + mismatch),
                        what + ": byte at offset " + (offset + mismatch));
            }
        }
    }
}
