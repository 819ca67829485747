package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;

/**
 * The child JVM of the 100,000-cycle leak test: run with a fixed, pre-touched heap
 * ({@code -Xms=-Xmx}, {@code -XX:+AlwaysPreTouch}) so that the Java heap adds nothing to the
 * resident set while it runs. Prints {@code mappings=<before>,<after> rss=<before>,<after>
 * millis=<elapsed>}, read from the kernel ({@link ProcKernelView}).
 */
public final class CycleChild {
    private CycleChild() {}

    /**
     * Runs the cycles.
     *
     * @param args the number of cycles
     */
    public static void main(String[] args) {
        int cycles = Integer.parseInt(args[0]);
        ProcKernelView view = new ProcKernelView();
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux")
                .withPageBytes(FfmLinuxKernel.INSTANCE.sysconf(LinuxAbi.SC_PAGESIZE)).build();
        cycle(allocator, 2_000); // load, link and compile everything first
        System.gc();
        long mappingsBefore = view.mappingCount().orElseThrow();
        long rssBefore = view.residentSetBytes().orElseThrow();
        long start = System.nanoTime();
        cycle(allocator, cycles);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.gc();
        System.out.println("mappings=" + mappingsBefore + "," + view.mappingCount().orElseThrow() + " rss=" + rssBefore
                + ","
                + view.residentSetBytes().orElseThrow() + " millis=" + millis + " live="
                + allocator.statistics().liveRegions()
                + " committed=" + allocator.statistics().committedBytes());
    }

    private static void cycle(PageAllocator allocator, int cycles) {
        for (int i = 0; i < cycles; i++) {
            Region region = allocator.allocate(1, 4);
            region.segment().set(JAVA_BYTE, i % 4096, (byte) i);
            region.deallocate();
        }
    }
}
