package dev.pagealloc.cli;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * The child JVM of {@code pagealloc startup}: times, once, the first
 * {@code PageAllocator.builder().build()} of the process and the first {@code allocate(1, 4).close()}
 * after it, and prints one line, {@code build_wall_ns build_cpu_ns allocate_wall_ns allocate_cpu_ns}.
 *
 * <p>Nothing of pagealloc runs before the first timestamp. Marker classes ({@link BuildStarts},
 * {@link AllocateStarts}, {@link AllocateEnded}) are loaded between the phases, so a
 * {@code -Xlog:class+load} log of the run can be cut into them. The CPU times are the main thread's
 * ({@link ThreadMXBean#getCurrentThreadCpuTime()}); with {@code --wall-only} the management classes
 * are not touched before the measured phases (they load ~200 classes of their own, some of which
 * the build would otherwise load), and the CPU columns are -1.
 */
final class StartupProbe {
    private StartupProbe() {}

    /**
     * Runs the measurement.
     *
     * @param args {@code --wall-only} to leave CPU time unmeasured
     */
    public static void main(String[] args) {
        boolean cpu = !List.of(args).contains("--wall-only");
        ThreadMXBean threads = cpu ? ManagementFactory.getThreadMXBean() : null;
        long cpu0 = cpu ? threads.getCurrentThreadCpuTime() : 0;
        BuildStarts.mark();
        long wall0 = System.nanoTime();
        PageAllocator allocator = PageAllocator.builder().build();
        long wall1 = System.nanoTime();
        long cpu1 = cpu ? threads.getCurrentThreadCpuTime() : 0;
        AllocateStarts.mark();
        long wall2 = System.nanoTime();
        long cpu2 = cpu ? threads.getCurrentThreadCpuTime() : 0;
        Region region = allocator.allocate(1, 4);
        region.close();
        long wall3 = System.nanoTime();
        long cpu3 = cpu ? threads.getCurrentThreadCpuTime() : 0;
        AllocateEnded.mark();
        System.out.println((wall1 - wall0) + " " + (cpu ? cpu1 - cpu0 : -1) + " " + (wall3 - wall2) + " "
                + (cpu ? cpu3 - cpu2 : -1));
    }

    /** Loaded just before {@code build()}. */
    static final class BuildStarts {
        private BuildStarts() {}

        static void mark() {}
    }

    /** Loaded after {@code build()} returned, before {@code allocate}. */
    static final class AllocateStarts {
        private AllocateStarts() {}

        static void mark() {}
    }

    /** Loaded after the first region was closed. */
    static final class AllocateEnded {
        private AllocateEnded() {}

        static void mark() {}
    }
}
