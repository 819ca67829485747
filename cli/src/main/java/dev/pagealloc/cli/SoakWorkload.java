package dev.pagealloc.cli;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.heap.gc.BinaryTrees;
import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.manual.ManualHeap;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.CodeHeap;
import dev.pagealloc.jit.JitMemory;
import dev.pagealloc.wasm.AtomicOp;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryAccessTrap;
import dev.pagealloc.wasm.MemoryType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The operations of {@code pagealloc soak}: one thread's random walk over the layers, each step a small
 * life (made, used, misused on purpose, released) so that nothing outlives the step. Shared between the
 * threads: one page allocator, one manual heap and one JIT code heap; each thread has its own GC heap
 * (a GC heap's mutator is the thread that made it).
 *
 * <p>Errors the API documents for the misuse a step commits on purpose are counted by kind as
 * <em>handled</em>; anything else is <em>unexpected</em> and fails the soak.
 */
final class SoakWorkload implements AutoCloseable {
    private static final long PAGE = 4096;
    /** {@code ret} on x86-64 (C3) and {@code ret} on AArch64 (D65F03C0, little-endian). */
    private static final byte[] RET = "aarch64".equals(System.getProperty("os.arch"))
            ? new byte[] {(byte) 0xC0, 0x03, 0x5F, (byte) 0xD6} : new byte[] {(byte) 0xC3};

    final LongAdder operations = new LongAdder();
    final Map<String, LongAdder> handled = new ConcurrentHashMap<>();
    final Map<String, LongAdder> unexpected = new ConcurrentHashMap<>();
    final List<String> unexpectedSamples = java.util.Collections.synchronizedList(new ArrayList<>());
    final PageAllocator allocator = PageAllocator.builder().withPageBytes(PAGE).build();
    private final ManualHeap manual = ManualHeap.builder(PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
            .build()).build();
    private final JitMemory jit;
    private final CodeHeap code;

    SoakWorkload() {
        JitMemory made;
        try {
            made = JitMemory.builder().build();
        } catch (UnsupportedOperationException e) {
            made = null; // no way to run generated code here: the JIT layer is left out, and said so
        }
        jit = made;
        code = made == null ? null : made.newHeap();
    }

    /** {@return whether the JIT layer takes part} */
    boolean hasJit() {
        return jit != null;
    }

    /** Runs one thread's steps until {@code deadlineNanos}. */
    void run(long seed, long deadlineNanos) {
        SplittableRandom random = new SplittableRandom(seed);
        try (GcHeap gc = GcHeap.builder().withNurseryBytes(1L << 20).withOldGenerationLimitBytes(64L << 20).build()) {
            // One per heap: each BinaryTrees registers its node type, and a heap has 65535 type ids for its
            // whole life (a 10-minute soak that made one per step ran out of them).
            BinaryTrees trees = new BinaryTrees(gc);
            while (System.nanoTime() < deadlineNanos) {
                int kind = random.nextInt(jit == null ? 4 : 5);
                try {
                    switch (kind) {
                        case 0 -> region(random);
                        case 1 -> linearMemory(random);
                        case 2 -> manualHeap(random);
                        case 3 -> trees.run(4 + random.nextInt(4), line -> { });
                        default -> codeHeap(random);
                    }
                } catch (RuntimeException | Error e) {
                    count(unexpected, e);
                    if (unexpectedSamples.size() < 5) {
                        unexpectedSamples.add(e + " (the process then: " + addressSpace() + ")");
                    }
                }
                operations.increment();
            }
        }
    }

    /**
     * {@return the process's mapping count ({@code /proc/self/maps} lines, against {@code vm.max_map_count})
     * and virtual size ({@code VmSize}, proc(5)), to tell which limit a refused reservation met}
     */
    private static String addressSpace() {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            long mappings = lines.count();
            String size = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmSize:")).map(l -> l.substring(7).strip()).findFirst().orElse("?");
            return mappings + " mappings, VmSize " + size;
        } catch (IOException | UncheckedIOException e) {
            return "no procfs";
        }
    }

    private void region(SplittableRandom random) {
        try (Region region = allocator.allocate(1 + random.nextInt(4), 8)) {
            region.segment().set(ValueLayout.JAVA_LONG, 0, random.nextLong());
            for (int i = 0; i < 4; i++) {
                long pages = region.pages();
                long page = random.nextLong(pages);
                switch (random.nextInt(7)) {
                    case 0 -> expect(() -> region.grow(random.nextInt(6)), "MaximumPagesExceededException");
                    case 1 -> region.tryGrow(random.nextInt(6));
                    case 2 -> region.protect(page * PAGE, PAGE,
                            random.nextBoolean() ? Protection.READ : Protection.NONE);
                    case 3 -> {
                        region.decommit(page * PAGE, PAGE);
                        region.recommit(page * PAGE, PAGE);
                    }
                    case 4 -> expect(() -> region.discard(page * PAGE, PAGE), "IllegalStateException");
                    case 5 -> expect(() -> region.protect(1, PAGE, Protection.READ), "IllegalArgumentException");
                    default -> expect(() -> region.segment(pages * PAGE, 1), "IndexOutOfBoundsException");
                }
            }
        }
    }

    private void linearMemory(SplittableRandom random) {
        try (LinearMemory memory = LinearMemory.create(MemoryType.sharedI32(1, 4))) {
            long address = random.nextLong(8192) & ~7L;
            memory.atomicRmw(AtomicOp.ADD, 8, address, 1);
            memory.fill(address, (byte) 1, 64);
            memory.grow(random.nextInt(5));
            expect(() -> memory.storeI64(memory.byteSize() - 4, 1), "MemoryAccessTrap");
            expect(() -> memory.atomicLoad(4, address + 1), "MemoryAccessTrap");
        }
    }

    private void manualHeap(SplittableRandom random) {
        List<MemorySegment> blocks = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            MemorySegment block = manual.allocate(8 + random.nextInt(4096));
            block.set(ValueLayout.JAVA_BYTE, 0, (byte) i);
            blocks.add(block);
        }
        for (MemorySegment block : blocks) {
            manual.free(block);
        }
        MemorySegment freed = blocks.getFirst();
        expect(() -> manual.free(freed), "IllegalArgumentException", "IllegalStateException");
    }

    private void codeHeap(SplittableRandom random) {
        CodeBuffer buffer = code.install(RET);
        try {
            expect(() -> buffer.write(0, RET), "IllegalStateException");
        } finally {
            buffer.free();
        }
        expect(buffer::seal, "IllegalStateException");
    }

    /** Runs {@code misuse}, which must be refused with one of {@code allowed} (simple class names) or succeed. */
    private void expect(Runnable misuse, String... allowed) {
        try {
            misuse.run();
        } catch (RuntimeException e) {
            String name = e.getClass().getSimpleName();
            for (String a : allowed) {
                if (a.equals(name) || e instanceof MemoryAccessTrap && a.equals("MemoryAccessTrap")) {
                    count(handled, e);
                    return;
                }
            }
            throw e;
        }
    }

    private static void count(Map<String, LongAdder> counts, Throwable e) {
        counts.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
    }

    @Override
    public void close() {
        if (code != null) {
            code.close();
        }
        if (jit != null) {
            jit.close();
        }
        manual.close();
    }
}
