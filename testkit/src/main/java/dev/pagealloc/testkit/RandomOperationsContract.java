package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite, part 7: model-checked random operation sequences and a leak check. The
 * sequences print their seed on failure; {@code -Dpagealloc.contract.seed=<seed>} replays one,
 * {@code -Dpagealloc.contract.steps=<n>} sets their length ({@link #randomSteps()}).
 */
public interface RandomOperationsContract extends ContractSupport {

    /**
     * Seeded random operations leave the region as a simple model says; a failure names the seed that replays
     * it.
     */
    @Test
    default void shouldMatchASimpleModelOverSeededRandomOperations() {
        Long fixed = Long.getLong(SEED_PROPERTY);
        long seed = fixed != null ? fixed : new Random().nextLong();
        int steps = randomSteps();
        Deque<String> log = new ArrayDeque<>();
        try {
            runModel(seed, steps, log);
        } catch (Throwable t) {
            throw new AssertionError("model check failed with seed " + seed + " (replay with -D" + SEED_PROPERTY + "="
                    + seed + "); last operations:\n  " + String.join("\n  ", log), t);
        }
    }

    private void runModel(long seed, int steps, Deque<String> log) {
        Random random = new Random(seed);
        long system = allocator(b -> b).capabilities().pageBytes();
        long[] pageSizes = {system, 64 * 1024, 1};
        long pageBytes = pageSizes[random.nextInt(pageSizes.length)];
        long maximumBytes = 32 * system + (random.nextBoolean() ? 0 : system / 2);
        long maximumPages = Math.max(1, maximumBytes / pageBytes);
        PageAllocator allocator = allocator(b -> b.withPageBytes(pageBytes).withGuardPages(true));
        log.add("pageBytes=" + pageBytes + ", maximumPages=" + maximumPages);
        Region region = null;
        RegionModel model = null;
        MemorySegment held = null;
        long heldEpoch = -1;
        for (int step = 0; step < steps; step++) {
            if (region == null || random.nextInt(400) == 0) {
                if (region != null) {
                    record(log, step, "deallocate()");
                    long start = reservationStart(region);
                    long bytes = region.reservedBytes();
                    region.deallocate();
                    model.invalidateAll();
                    assertUnmapped(start, bytes, "deallocated reservation");
                    checkHeldView(held, heldEpoch, model, region);
                }
                long initial = random.nextLong(maximumPages + 1);
                record(log, step, "allocate(" + initial + ", " + maximumPages + ")");
                region = allocate(allocator, initial, maximumPages);
                model = new RegionModel(pageBytes, region.protectionGranuleBytes(), initial, maximumPages);
                held = null;
            }
            long g = model.granuleBytes();
            long granules = model.committedBytes() / g;
            long first = granules == 0 ? 0 : random.nextLong(granules);
            long start = first * g;
            long length = (granules == 0 ? 0 : random.nextLong(Math.min(granules - first, 8) + 1)) * g;
            int op = random.nextInt(100);
            if (op < 10) {
                long add = random.nextLong(Math.max(1, (model.maximumPages() - model.pages()) / 2 + 2));
                record(log, step, "grow(" + add + ")");
                long before = model.pages();
                Class<? extends Exception> outcome = model.grow(add);
                Region r = region;
                boolean tryGrow = random.nextBoolean();
                if (outcome == null) {
                    assertEquals(before, tryGrow ? region.tryGrow(add) : region.grow(add));
                } else if (outcome == MaximumPagesExceededException.class && tryGrow) {
                    assertEquals(-1, region.tryGrow(add));
                } else {
                    assertThrows(outcome, () -> {
                        if (tryGrow) {
                            r.tryGrow(add);
                        } else {
                            r.grow(add);
                        }
                    });
                }
            } else if (op < 30) {
                Protection[] choices = canExecute() ? Protection.values()
                        : new Protection[] {Protection.NONE, Protection.READ, Protection.READ_WRITE};
                Protection p = choices[random.nextInt(choices.length)];
                record(log, step, "protect(" + start + ", " + length + ", " + p + ")");
                Region r = region;
                expect(model.protect(start, length, p), () -> r.protect(start, length, p));
            } else if (op < 38) {
                record(log, step, "decommit(" + start + ", " + length + ")");
                model.decommit(start, length);
                region.decommit(start, length);
            } else if (op < 46) {
                record(log, step, "recommit(" + start + ", " + length + ")");
                Region r = region;
                expect(model.recommit(start, length), () -> r.recommit(start, length));
            } else if (op < 54) {
                record(log, step, "discard(" + start + ", " + length + ")");
                Region r = region;
                expect(model.discard(start, length), () -> r.discard(start, length));
            } else if (op < 60) {
                record(log, step, "hold a view");
                long size = model.byteSize();
                long offset = size == 0 ? 0 : random.nextLong(size);
                long bytes = random.nextLong(size - offset + 1);
                if (model.viewAccess(offset, bytes) != Protection.NONE) {
                    held = region.segment(offset, bytes);
                    heldEpoch = model.epoch();
                }
            } else {
                writeOrRead(random, region, model, step, log);
            }
            checkKernel(region, model);
            checkHeldView(held, heldEpoch, model, region);
            if (step % 97 == 0) {
                checkAllContents(region, model);
                assertWritableExecutableFree();
            }
        }
        checkAllContents(region, model);
    }

    private void writeOrRead(Random random, Region region, RegionModel model, int step, Deque<String> log) {
        long size = model.byteSize();
        if (size == 0) {
            return;
        }
        long offset = random.nextLong(size);
        int length = (int) Math.min(size - offset, 1 + random.nextInt(3 * (int) Math.min(model.granuleBytes(), 4096)));
        Protection access = model.viewAccess(offset, length);
        boolean write = random.nextBoolean();
        record(log, step, (write ? "write(" : "read(") + offset + ", " + length + ") expecting " + access);
        if (access == Protection.NONE) {
            assertThrows(IllegalStateException.class, () -> region.segment(offset, length));
            return;
        }
        MemorySegment view = region.segment(offset, length);
        assertEquals(access == Protection.READ, view.isReadOnly(), "view access");
        if (!write) {
            assertContents(view, model, offset);
            return;
        }
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        if (access == Protection.READ) {
            assertThrows(IllegalArgumentException.class, () -> view.set(JAVA_BYTE, 0, (byte) 1));
            return;
        }
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, view, 0, length);
        model.write(offset, bytes);
    }

    private static void expect(Class<? extends Exception> expected, Runnable call) {
        if (expected == null) {
            call.run();
        } else {
            assertThrows(expected, call::run);
        }
    }

    private static void record(Deque<String> log, int step, String operation) {
        log.addLast(step + ": " + operation);
        if (log.size() > 40) {
            log.removeFirst();
        }
    }

    private void checkKernel(Region region, RegionModel model) {
        long base = region.address();
        long start = reservationStart(region);
        long end = start + region.reservedBytes();
        List<KernelView.Mapping> expected = new ArrayList<>();
        expected.add(new KernelView.Mapping(start, base, Protection.NONE));
        for (KernelView.Mapping run : model.expectedRuns()) {
            expected.add(new KernelView.Mapping(base + run.start(), base + run.end(), run.protection()));
        }
        expected.add(new KernelView.Mapping(base + usableBytes(region), end, Protection.NONE));
        assertKernelRuns(start, end - start, expected, "reservation");
        assertEquals(model.pages(), region.pages(), "pages");
        assertEquals(model.committedBytes(), region.committedBytes(), "committedBytes");
    }

    private static void checkHeldView(MemorySegment held, long heldEpoch, RegionModel model, Region region) {
        if (held == null) {
            return;
        }
        if (heldEpoch == model.epoch()) {
            assertContents(held, model, held.address() - region.address());
        } else if (held.byteSize() > 0) {
            assertThrows(IllegalStateException.class, () -> held.get(JAVA_BYTE, 0),
                    "a view from before access was taken away");
        }
    }

    private static void checkAllContents(Region region, RegionModel model) {
        long g = model.granuleBytes();
        for (long offset = 0; offset < model.byteSize(); offset += g) {
            long length = Math.min(g, model.byteSize() - offset);
            if (model.viewAccess(offset, length) != Protection.NONE) {
                assertContents(region.segment(offset, length), model, offset);
            }
        }
    }

    private static void assertContents(MemorySegment view, RegionModel model, long byteOffset) {
        MemorySegment expected = MemorySegment.ofArray(model.contents());
        long mismatch = MemorySegment.mismatch(view, 0, view.byteSize(), expected, byteOffset,
                byteOffset + view.byteSize());
        if (mismatch != -1) {
            fail("contents at byteOffset=" + (byteOffset + mismatch) + " (" + Units.hex(view.address() + mismatch)
                    + "): read " + view.get(JAVA_BYTE, mismatch) + ", model holds "
                    + model.contents()[(int) (byteOffset + mismatch)]);
        }
    }

    /** Many regions, allocated, changed and deallocated, leave the kernel's mapping count as it was. */
    @Test
    default void shouldLeaveNoMappingBehindAfterManyRegions() {
        PageAllocator allocator = allocator(b -> b.withGuardPages(true));
        OptionalLong mappingsBefore = kernelView().mappingCount();
        List<AddressRange> released = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Region region = allocate(allocator, 1 + i % 3, 4 + i % 5);
            region.segment().set(JAVA_BYTE, 0, (byte) i);
            if (i % 2 == 0) {
                region.protect(0, region.protectionGranuleBytes(), Protection.READ);
            }
            if (i % 3 == 0) {
                region.decommit(0, region.protectionGranuleBytes());
            }
            released.add(AddressRange.reservationOf(region));
            region.deallocate();
        }
        for (AddressRange r : released) {
            assertUnmapped(r.start(), r.byteSize(), "deallocated reservation");
        }
        assertEquals(0, allocator.statistics().liveRegions());
        assertEquals(0, allocator.statistics().reservedBytes());
        assertEquals(0, allocator.statistics().committedBytes());
        OptionalLong mappingsAfter = kernelView().mappingCount();
        if (mappingsBefore.isPresent() && mappingsAfter.isPresent()) {
            assertTrue(mappingsAfter.getAsLong() <= mappingsBefore.getAsLong() + mappingCountSlack(),
                    () -> "mappings grew from " + mappingsBefore.getAsLong() + " to " + mappingsAfter.getAsLong());
        }
    }
}
