package dev.pagealloc.cli;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.Parser;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.chicory.PageallocMemory;
import dev.pagealloc.chicory.PageallocMemoryFactory;
import dev.pagealloc.chicory.programs.SampleProgram;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * {@code pagealloc tour}: a guided run of what the library does on this machine, printing the
 * kernel's own view after each step. Every figure printed is read back, never assumed.
 */
final class TourCommand {
    private static final long WASM_PAGE = PageAllocatorBuilder.WASM_PAGE_BYTES;
    private static final long TWO_MIB = HugePages.SIZE_2_MIB;

    private final PrintStream out;
    private int step;

    TourCommand(PrintStream out) {
        this.out = out;
    }

    int run(List<String> args, PrintStream err) {
        if (!args.isEmpty()) {
            err.println("pagealloc tour: takes no arguments");
            return 2;
        }
        PageAllocator allocator = PageAllocator.builder().withPageBytes(WASM_PAGE).withGuardPages(true).build();
        Capabilities caps = allocator.capabilities();
        out.println("pagealloc tour on provider '" + allocator.platform() + "' (" + caps.operatingSystem() + ", "
                + caps.architecture() + "), page size " + Units.bytes(caps.pageBytes()));
        if (!ProcView.available()) {
            out.println("(the kernel's own view is shown on Linux only; here the tour shows the library's results)");
        }
        basics(allocator);
        hugePages(caps);
        numa(caps);
        new LinearMemoryStep(this::heading, this::say, this::kernel).run();
        webAssemblyModule();
        new JitTourStep(this::heading, this::say, this::kernel).run(caps);
        new GcTourStep(this::heading, this::say, this::kernel).run();
        new HeapTourStep(this::heading, this::say, this::kernel).run();
        new PartitionTourStep(this::heading, this::say, this::kernel).run();
        new TaggingTourStep(this::heading, this::say).run();
        out.println();
        out.println("statistics of the first allocator: " + allocator.statistics());
        out.println("tour complete.");
        return 0;
    }

    private void basics(PageAllocator allocator) {
        heading("allocate(initialPages=1, maximumPages=16): reserve 1 MiB + a guard page each side, commit 64 KiB");
        Region region = allocator.allocate(1, 16);
        long start = region.address() - region.guardBeforeBytes();
        long end = start + region.reservedBytes();
        say("base " + Units.hex(region.address()) + ", " + region.byteSize() + " bytes accessible, "
                + region.reservedBytes() + " bytes reserved");
        kernel(start, end, "guard ---p, committed rw-p, reserved tail ---p, guard ---p (adjacent equal runs merge)");

        heading("write through the bounded segment, then grow(3): the base does not move");
        MemorySegment view = region.segment();
        view.set(ValueLayout.JAVA_INT, 0, 42);
        long base = region.address();
        long before = region.grow(3);
        say("grow returned " + before + " (the old size); base " + Units.hex(region.address())
                + (region.address() == base ? " unchanged" : " MOVED") + "; the old view still reads "
                + view.get(ValueLayout.JAVA_INT, 0) + "; fresh page reads "
                + region.segment().get(ValueLayout.JAVA_INT, WASM_PAGE));
        kernel(start, end, "now 256 KiB rw-p");

        heading("protect(0, 64 KiB, READ): the kernel makes it read-only and every older view is invalidated");
        region.protect(0, WASM_PAGE, Protection.READ);
        try {
            view.get(ValueLayout.JAVA_INT, 0);
            say("UNEXPECTED: the stale view still worked");
        } catch (IllegalStateException e) {
            say("stale view -> IllegalStateException: " + e.getMessage());
        }
        MemorySegment readOnly = region.segment(0, WASM_PAGE);
        say("a new view is read-only: isReadOnly()=" + readOnly.isReadOnly() + ", reads "
                + readOnly.get(ValueLayout.JAVA_INT, 0));
        try {
            readOnly.set(ValueLayout.JAVA_INT, 0, 7);
            say("UNEXPECTED: the read-only view accepted a write");
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // The JDK reports a write to a read-only segment as IllegalArgumentException since 22.
            say("writing it -> " + e.getClass().getSimpleName() + " (no SIGSEGV): " + e.getMessage());
        }
        kernel(start, end, "first 64 KiB r--p");

        heading("decommit(64 KiB, 64 KiB): memory goes back to the kernel; recommit reads zero");
        MemorySegment second = region.segment(WASM_PAGE, WASM_PAGE);
        second.fill((byte) 0x5A);
        long rssBefore = ProcView.available() ? ProcView.smapsKb(start, end, "Rss") : -1;
        region.decommit(WASM_PAGE, WASM_PAGE);
        if (rssBefore >= 0) {
            say("Rss of the reservation " + rssBefore + " kB -> " + ProcView.smapsKb(start, end, "Rss") + " kB");
        }
        kernel(start, end, "second 64 KiB back to ---p");
        region.recommit(WASM_PAGE, WASM_PAGE);
        say("after recommit the page reads " + region.segment(WASM_PAGE, WASM_PAGE).get(ValueLayout.JAVA_BYTE, 0)
                + " (was 0x5A)");

        heading("bounds: Java code cannot reach the guard page");
        try {
            region.segment().get(ValueLayout.JAVA_BYTE, region.byteSize());
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            say(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        say("(native or JIT code writing one byte past the committed end, or before the base, faults with SIGSEGV:"
                + " the guard is a barrier for native code; Java code is bounds-checked)");

        heading("deallocate(): the whole reservation, guards included, is unmapped");
        region.deallocate();
        region.deallocate();
        say("deallocated (twice: the second call is a no-op)");
        kernel(start, end, "nothing left");
    }

    private void hugePages(Capabilities caps) {
        heading("transparent huge pages: a 4 MiB region advised MADV_HUGEPAGE and prefaulted");
        try {
            PageAllocator thp = PageAllocator.builder()
                    .withPageBytes(TWO_MIB).withHugePages(HugePages.transparent()).withPopulate(true).build();
            try (Region region = thp.allocate(2, 2)) {
                say("region at " + Units.hex(region.address()) + ", applied " + region.appliedOptions().hugePages());
                if (ProcView.available()) {
                    long end = region.address() + region.byteSize();
                    say("smaps AnonHugePages: " + ProcView.smapsKb(region.address(), end, "AnonHugePages")
                            + " kB (THP mode " + caps.transparentHugePages().name().toLowerCase() + ")");
                }
            }
        } catch (PageAllocatorException e) {
            // UnsupportedOptionException when THP is off; a KernelException when the kernel refuses.
            say("refused: " + e.getMessage());
        }

        heading("explicit 2 MiB huge pages (hugetlb): used when the pool has free pages, refused clearly otherwise");
        long free = caps.hugePageSize(TWO_MIB).map(Capabilities.HugePageSize::freePages).orElse(0L);
        say("pool of 2 MiB pages: " + free + " free");
        try {
            PageAllocator explicit =
                    PageAllocator.builder().withPageBytes(TWO_MIB).withHugePages(HugePages.explicit(TWO_MIB)).build();
            try (Region region = explicit.allocate(1, 1)) {
                region.segment().set(ValueLayout.JAVA_LONG, 0, 1);
                say("allocated at " + Units.hex(region.address()));
                if (ProcView.available()) {
                    long end = region.address() + region.byteSize();
                    say("smaps KernelPageSize: " + ProcView.smapsKb(region.address(), end, "KernelPageSize") + " kB");
                }
            }
        } catch (PageAllocatorException e) {
            say("refused: " + e.getMessage());
            try {
                PageAllocator bestEffort = PageAllocator.builder().withPageBytes(TWO_MIB)
                        .withHugePages(HugePages.explicit(TWO_MIB)).withBestEffort(true).build();
                try (Region region = bestEffort.allocate(1, 1)) {
                    say("with best effort: applied " + region.appliedOptions().hugePages() + ", downgrades "
                            + region.appliedOptions().downgrades());
                }
            } catch (PageAllocatorException again) {
                say("best effort failed too: " + again.getMessage());
            }
        }
    }

    private void numa(Capabilities caps) {
        heading("NUMA: bind a region to a node before first touch");
        if (caps.numaNodes().isEmpty()) {
            say("this platform reports no NUMA nodes; a NUMA policy would be refused (or downgraded with best effort)");
            return;
        }
        int node = caps.numaNodes().getFirst().id();
        say(caps.numaNodes().size() + " node(s); binding to node " + node);
        PageAllocator bound = PageAllocator.builder().withNumaNode(node).withPopulate(true).build();
        try (Region region = bound.allocate(1, 1)) {
            for (String line : ProcView.numaMaps(region.address(), region.address() + region.byteSize())) {
                say("numa_maps: " + line);
            }
        }
    }

    private void webAssemblyModule() {
        heading("WebAssembly: Chicory runs a sieve (memory 1 page) on a guarded linear memory, which grows in place");
        try (PageallocMemoryFactory memories = PageallocMemoryFactory.create()) {
            Instance instance = Instance.builder(Parser.parse(SampleProgram.SIEVE.wasm()))
                    .withMemoryFactory(memories).build();
            PageallocMemory memory = (PageallocMemory) instance.memory();
            long base = memory.linearMemory().segment().address();
            // The reservation covers the whole maximum; show that much of the kernel's view.
            long end = base + (long) memory.maximumPages() * Memory.PAGE_SIZE;
            say("memory at " + Units.hex(base) + ", " + memory.pages() + " page(s) of 64 KiB, maximum "
                    + memory.maximumPages());
            kernel(base, end, "64 KiB rw-p, then the reserved rest ---p");
            long primes = instance.export("sieve").apply(2_000_000)[0];
            long after = memory.linearMemory().segment().address();
            say("sieve(2000000) = " + primes + " primes; the module grew its memory to " + memory.pages()
                    + " pages; base " + Units.hex(after) + (after == base ? " unchanged" : " MOVED"));
            kernel(base, end, "about 2 MiB rw-p now, the rest still ---p");
            try {
                memory.readInt(memory.pages() * Memory.PAGE_SIZE);
                say("UNEXPECTED: a read past the end worked");
            } catch (WasmRuntimeException e) {
                say("a host read past the end traps as Chicory's own memories do: " + e.getMessage());
            }
        }
        say("released with the factory that made it");
    }

    private void heading(String text) {
        out.println();
        out.println(++step + ". " + text);
    }

    private void say(String text) {
        out.println("   " + text);
    }

    private void kernel(long start, long end, String expectation) {
        if (!ProcView.available()) {
            return;
        }
        List<String> lines = ProcView.maps(start, end);
        say("/proc/self/maps [" + Units.hex(start) + ", " + Units.hex(end) + ") -- expect: " + expectation);
        if (lines.isEmpty()) {
            say("   (no mapping)");
        }
        for (String line : lines) {
            say("   " + line);
        }
    }
}
