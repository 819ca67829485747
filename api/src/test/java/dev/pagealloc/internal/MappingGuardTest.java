package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MappingLimitExceededException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The mapping-count guard over a platform with a small, injected {@code vm.max_map_count}: refusals come
 * before any system call and change nothing, merging always works, and a kernel ENOMEM at the limit
 * says it is about mappings. (The real kernel's limit is exercised in platform-linux's
 * {@code LinuxMappingLimitTest}.)
 */
class MappingGuardTest {
    private static final long P = 4096;
    /** The mappings the simulated JVM holds for itself. */
    private static final long JVM = 100;

    /** A fake with a mapping limit; the process count is the JVM's plus what pagealloc's regions hold. */
    private static final class LimitedMemory implements VirtualMemory {
        final FakeVirtualMemory fake = new FakeVirtualMemory();
        final long limit;
        long extra;
        int counted;
        ReservingPageAllocator allocator;

        LimitedMemory(long limit) {
            this.limit = limit;
        }

        @Override
        public OptionalLong mappingLimit() {
            return OptionalLong.of(limit);
        }

        @Override
        public long mappingCount() {
            counted++;
            return JVM + extra + allocator.mappings.ours();
        }

        @Override
        public Capabilities capabilities() {
            return fake.capabilities();
        }

        @Override
        public long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException {
            return fake.reserve(byteSize, alignmentBytes, backing);
        }

        @Override
        public void commit(long address, long byteSize, Backing backing) throws SystemCallException {
            fake.commit(address, byteSize, backing);
        }

        @Override
        public void protect(long address, long byteSize, Protection protection) throws SystemCallException {
            fake.protect(address, byteSize, protection);
        }

        @Override
        public void decommit(long address, long byteSize, Backing backing) throws SystemCallException {
            fake.decommit(address, byteSize, backing);
        }

        @Override
        public void discard(long address, long byteSize, Backing backing) throws SystemCallException {
            fake.discard(address, byteSize, backing);
        }

        @Override
        public void release(long address, long byteSize) throws SystemCallException {
            fake.release(address, byteSize);
        }

        @Override
        public void populate(long address, long byteSize) throws SystemCallException {
            fake.populate(address, byteSize);
        }

        @Override
        public void lock(long address, long byteSize) throws SystemCallException {
            fake.lock(address, byteSize);
        }
    }

    private static PageAllocatorBuilder builder(LimitedMemory memory) {
        return PageAllocator.builder().withPageBytes(P).withGuardPages(true)
                .withProvider(TestProviders.of("limited", memory));
    }

    private static ReservingPageAllocator allocator(LimitedMemory memory, long headroom) {
        ReservingPageAllocator allocator =
                (ReservingPageAllocator) builder(memory).withMappingHeadroom(headroom).build();
        memory.allocator = allocator;
        return allocator;
    }

    @Test
    void shouldReleaseQuarantinedRegionsBeforeRefusingAnAllocationForTheHeadroom() {
        LimitedMemory memory = new LimitedMemory(200);
        ReservingPageAllocator allocator = (ReservingPageAllocator) builder(memory).withMappingHeadroom(50)
                .withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(new ViewQuarantine(1000, 1L << 40, Duration.ofHours(1)))
                .build();
        memory.allocator = allocator;
        // Room for 50 of pagealloc's mappings: 16 one-run regions of 3. Each dead one keeps its 3 in the quarantine.
        for (int i = 0; i < 40; i++) {
            Region region = allocator.allocate(1, 1);
            region.segment();
            region.deallocate();
            assertTrue(allocator.statistics().quarantinedRegions() <= 16,
                    "the quarantine gives its mappings back before the headroom refuses: "
                            + allocator.statistics().quarantinedRegions());
        }
        assertEquals(0, allocator.statistics().failures(), "no allocation was refused");
    }

    @Test
    void shouldRefuseFragmentingPastTheHeadroomBeforeAnySystemCall() {
        LimitedMemory memory = new LimitedMemory(200);
        ReservingPageAllocator allocator = allocator(memory, 50);
        Region region = allocator.allocate(100, 100);
        // One page in two READ: each protect splits a run into three, two more mappings each time.
        int protectedPages = 0;
        MappingLimitExceededException refused = null;
        for (long page = 1; page < 100; page += 2) {
            try {
                region.protect(page * P, P, Protection.READ);
                protectedPages++;
            } catch (MappingLimitExceededException e) {
                refused = e;
                break;
            }
        }
        assertTrue(refused != null, "fragmenting 100 pages must hit a limit of 200 with 50 kept free");
        // The region costs runs + 2; JVM 100 + that must stay <= 150.
        assertEquals(23, protectedPages);
        assertEquals(JVM + 2 * protectedPages + 1 + 2, refused.processMappings());
        assertEquals(2, refused.additionalMappings());
        assertEquals(200, refused.limit());
        assertEquals(50, refused.headroom());
        long offset = (2L * protectedPages + 1) * P;
        assertEquals("protect(byteOffset=" + offset + ", byteLength=4096, protection=READ): the process has "
                + refused.processMappings() + " memory mappings and this could add 2, leaving fewer than"
                + " mappingHeadroom=50 of vm.max_map_count=200 for the JVM; deallocate regions or merge protections"
                + " first", refused.getMessage());
        assertTrue(refused instanceof PageAllocatorException);
        assertEquals(1, allocator.statistics().failures(), "counted as budget refusals are");
        // Nothing changed: no protect call reached the platform, the page and the earlier view are as they were.
        assertEquals(protectedPages, memory.fake.calls().stream().filter(c -> c.startsWith("protect")).count());
        assertEquals(Protection.READ_WRITE, region.protectionAt(offset));
        MemorySegment view = region.segment(0, P);
        view.set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
        long refusedOffset = offset;
        assertThrows(MappingLimitExceededException.class, () -> region.protect(refusedOffset, P, Protection.READ));
        assertEquals(7, view.get(ValueLayout.JAVA_BYTE, 0), "the refusal must not invalidate views");
        region.close();
        assertEquals(0, allocator.mappings.ours(), "a released region gives its mappings back");
    }

    @Test
    void shouldLetMergingProtectionsThroughAtTheLimit() {
        LimitedMemory memory = new LimitedMemory(200);
        ReservingPageAllocator allocator = allocator(memory, 50);
        Region region = allocator.allocate(100, 100);
        for (long page = 1; page < 46; page += 2) {
            region.protect(page * P, P, Protection.READ);
        }
        assertThrows(MappingLimitExceededException.class, () -> region.protect(47 * P, P, Protection.READ));
        assertThrows(MappingLimitExceededException.class, () -> allocator.allocate(1, 1));
        // Undoing the fragmentation removes mappings, so it must pass even now.
        region.protect(0, 100 * P, Protection.READ_WRITE);
        assertEquals(1 + MappingGuard.REGION_OVERHEAD, allocator.mappings.ours());
        region.close();
    }

    @Test
    void shouldReportTryGrowAtTheLimitAsMinusOne() {
        LimitedMemory memory = new LimitedMemory(200);
        ReservingPageAllocator allocator = allocator(memory, 50);
        // With the region's 3 mappings the process reaches limit - headroom = 150 exactly.
        memory.extra = 150 - JVM - 3;
        Region region = allocator.allocate(1, 2);
        region.protect(0, P, Protection.READ); // the last run is READ, so a grow adds a run
        assertEquals(-1, region.tryGrow(1));
        assertThrows(MappingLimitExceededException.class, () -> region.grow(1));
        assertEquals(1, region.pages());
        region.close();
    }

    @Test
    void shouldReadTheProcessCountOnlyNearTheLimit() {
        LimitedMemory memory = new LimitedMemory(100_000);
        ReservingPageAllocator allocator = allocator(memory, 10_000);
        Region region = allocator.allocate(1000, 1000);
        for (long page = 1; page < 1000; page += 2) {
            region.protect(page * P, P, Protection.READ);
        }
        // One read at the first check, then one each time our count moved by a quarter of the headroom.
        assertTrue(memory.counted <= 2, "read the process's mappings " + memory.counted + " times for 1001 changes");
        region.close();
    }

    @Test
    void shouldSayAKernelEnomemAtTheLimitIsAboutMappings() {
        LimitedMemory memory = new LimitedMemory(200);
        ReservingPageAllocator allocator = allocator(memory, 0);
        Region region = allocator.allocate(4, 4);
        memory.extra = 200 - JVM - allocator.mappings.ours();
        memory.fake.failNext("protect");
        // Protecting the whole region adds no mapping by our count, so only the kernel can refuse it.
        KernelException e = assertThrows(KernelException.class, () -> region.protect(0, 4 * P, Protection.READ));
        assertEquals("protect(byteOffset=0, byteLength=16384, protection=READ): cannot change the protection of"
                + " 16384 bytes at 0x" + Long.toHexString(region.address()) + " (the process has 200 memory mappings,"
                + " at the kernel's limit vm.max_map_count=200; the ENOMEM is about mappings, not memory):"
                + " protect(...) -> ENOMEM (12): Cannot allocate memory", e.getMessage());
        memory.extra = 0;
        memory.fake.failNext("protect");
        KernelException plain = assertThrows(KernelException.class, () -> region.protect(0, 4 * P, Protection.READ));
        assertFalse(plain.getMessage().contains("max_map_count"), plain.getMessage());
        region.close();
    }

    @Test
    void shouldRefuseAHeadroomThatLeavesNothingAtBuild() {
        LimitedMemory memory = new LimitedMemory(200);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder(memory).withMappingHeadroom(200).build());
        assertEquals("build(mappingHeadroom=200): must be in [0, vm.max_map_count=200)", e.getMessage());
        assertEquals("build(mappingHeadroom=-1): must not be negative",
                assertThrows(IllegalArgumentException.class, () -> builder(memory).withMappingHeadroom(-1).build())
                        .getMessage());
        assertEquals(25, ((ReservingPageAllocator) builder(memory).build()).mappings.headroom(),
                "the default keeps an eighth of the limit");
        assertEquals(List.of(), memory.fake.calls());
    }
}
