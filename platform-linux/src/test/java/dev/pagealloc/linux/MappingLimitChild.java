package dev.pagealloc.linux;

import dev.pagealloc.api.MappingLimitExceededException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * The child JVM of {@link LinuxMappingLimitTest}: fragments one region with alternating protections
 * (one page in two read-only) until pagealloc refuses, prints what the kernel sees, then makes the JVM
 * map memory for itself (hundreds of thread stacks, new classes, heap churn) to show it still can. Run
 * apart because, without the guard, the kernel's {@code vm.max_map_count} refusal kills the JVM the
 * next time it needs a mapping.
 */
public final class MappingLimitChild {
    static final String REFUSED = "refused: ";
    static final String PROCESS = "process mappings: ";
    static final String REGION = "region mappings: ";
    static final String PROTECTED = "protected pages: ";
    static final String SURVIVED = "the JVM still maps memory";

    private MappingLimitChild() {}

    /**
     * Runs the child.
     *
     * @param args unused
     * @throws Exception if the JVM could not do its own work after the refusal
     */
    public static void main(String[] args) throws Exception {
        long page = 4096;
        long limit = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).getFirst().strip());
        long pages = 2 * limit + 2;
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(page).build();
        Region region = allocator.allocate(pages, pages);
        long protectedPages = 0;
        try {
            for (long p = 1; p < pages; p += 2) {
                region.protect(p * page, page, Protection.READ);
                protectedPages++;
            }
            System.out.println("never refused");
        } catch (MappingLimitExceededException e) {
            System.out.println(REFUSED + e.getMessage());
        } catch (PageAllocatorException e) {
            System.out.println("failed otherwise: " + e);
        }
        System.out.println(PROTECTED + protectedPages);
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        long start = region.address() - region.guardBeforeBytes();
        long end = start + region.reservedBytes();
        long inRegion = maps.stream().filter(line -> {
            long from = Long.parseUnsignedLong(line.substring(0, line.indexOf('-')), 16);
            return from >= start && from < end;
        }).count();
        System.out.println(PROCESS + maps.size());
        System.out.println(REGION + inRegion);
        System.out.flush();

        // The JVM's own mappings: thread stacks (with their guard pages), metaspace for new classes,
        // code cache for freshly compiled code, and heap growth.
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        long sum = 0;
        for (int i = 0; i < 2000; i++) {
            IntSupplier s = switch (i % 4) {
                case 0 -> () -> 1;
                case 1 -> () -> 2;
                case 2 -> () -> 3;
                default -> () -> 4;
            };
            sum += s.getAsInt();
            byte[] churn = new byte[64 * 1024];
            sum += churn.length;
        }
        System.gc();
        region.close();
        System.out.println(SURVIVED + " (" + sum + ", " + countMaps() + " mappings after release)");
    }

    private static long countMaps() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).size();
    }
}
