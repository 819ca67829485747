package dev.pagealloc.reliability.faults;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.LiveRegions;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The child of {@link FaultsTest}: meets one fault from the kernel, then prints what the refusal was
 * ({@code REFUSED}), what is mapped at the address the refusal names ({@code AT-ADDRESS}), new
 * mappings as large as a refused 4 GiB reservation ({@code NEW-MAPPINGS}), whether the allocator still
 * works ({@code USABLE}) and the allocator's figures ({@code STATISTICS}).
 */
public final class FaultMain {
    private static final Pattern ADDRESS = Pattern.compile("0x(\\p{XDigit}{6,})");
    private FaultMain() {}

    /**
     * Runs one case.
     *
     * @param args the case: {@code address-space}, {@code mapping-limit}, {@code memlock} or {@code huge-pages}
     * @throws IOException if procfs cannot be read
     */
    public static void main(String[] args) throws IOException {
        PageAllocator allocator = switch (args[0]) {
            case "memlock" -> PageAllocator.builder().withPageBytes(4096).withLock(true).build();
            case "huge-pages" -> PageAllocator.builder().withPageBytes(2 << 20)
                    .withHugePages(HugePages.explicit(2 << 20)).build();
            case "mapping-limit" -> PageAllocator.builder().withPageBytes(4096)
                    .withMappingHeadroom(maxMapCount() - mappings().size() - 24).build();
            default -> PageAllocator.builder().withPageBytes(4096).build();
        };
        Set<String> before = mappings();
        long requestBytes = 0;
        try {
            switch (args[0]) {
                case "address-space" -> {
                    requestBytes = 4L << 30;
                    allocator.allocate(1, requestBytes / 4096).deallocate();
                }
                case "memlock" -> {
                    requestBytes = 16 * 4096;
                    allocator.allocate(16, 16).deallocate();
                }
                case "huge-pages" -> {
                    long free = readLong(Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"));
                    requestBytes = (free + 1) * (2 << 20);
                    allocator.allocate(free + 1, free + 1).deallocate();
                }
                case "mapping-limit" -> mappingLimit(allocator);
                default -> throw new IllegalArgumentException("case: " + args[0]);
            }
            System.out.println("REFUSED nothing");
        } catch (RuntimeException e) {
            System.out.println("REFUSED " + e.getClass().getSimpleName() + ": " + e.getMessage());
            // The refusal names the address it was about (the reservation or the pages being
            // committed or locked); nothing may stay mapped there, and no live region may claim it.
            Matcher address = ADDRESS.matcher(e.getMessage());
            if (address.find()) {
                long at = Long.parseUnsignedLong(address.group(1), 16);
                System.out.println("AT-ADDRESS " + mappingAt(at) + " live=" + LiveRegions.overlapping(at, 1));
            }
        }
        Set<String> after = mappings();
        after.removeAll(before);
        long floor = requestBytes;
        // A refusal without an address (the reservation itself failed): the JVM maps on its own meanwhile,
        // up to 64 MiB at a time (malloc arenas), so a new mapping of the request's size (4 GiB) would be it.
        List<String> left = after.stream().filter(m -> floor >= 1L << 30 && size(m) >= floor).toList();
        System.out.println("NEW-MAPPINGS " + left);
        try (Region region = PageAllocator.builder().withPageBytes(4096).build().allocate(1, 4)) {
            region.segment().set(ValueLayout.JAVA_INT, 0, 42);
            region.grow(1);
            System.out.println("USABLE " + region.segment().get(ValueLayout.JAVA_INT, 0));
        }
        AllocatorStatistics stats = allocator.statistics();
        System.out.println("STATISTICS live=" + stats.liveRegions() + " committed=" + stats.committedBytes()
                + " reserved=" + stats.reservedBytes() + " failures=" + stats.failures());
    }

    /**
     * Splits a region into alternating protections until the headroom refuses; then checks the page the
     * refusal was about kept its protection and the region still works, and frees it.
     */
    private static void mappingLimit(PageAllocator allocator) {
        Region region = allocator.allocate(128, 128);
        try {
            for (int page = 0; page < 128; page += 2) {
                try {
                    region.protect(page * 4096L, 4096, Protection.READ);
                } catch (RuntimeException e) {
                    System.out.println("UNCHANGED " + region.protectionAt(page * 4096L) + " "
                            + region.protectionAt((page - 2) * 4096L));
                    region.segment((page + 1) * 4096L, 8).set(ValueLayout.JAVA_LONG, 0, 7);
                    throw e;
                }
            }
        } finally {
            region.deallocate();
        }
    }

    private static String mappingAt(long address) {
        for (String m : mappings()) {
            String[] range = m.split(" ")[0].split("-");
            if (Long.compareUnsigned(address, Long.parseUnsignedLong(range[0], 16)) >= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return m;
            }
        }
        return "none";
    }

    private static long size(String mapping) {
        String[] range = mapping.split(" ")[0].split("-");
        return Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
    }

    private static Set<String> mappings() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .map(l -> l.split("\\s+")[0] + " " + l.split("\\s+")[1])
                    .collect(Collectors.toCollection(HashSet::new));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long maxMapCount() {
        return readLong(Path.of("/proc/sys/vm/max_map_count"));
    }

    /** One read from the start: procfs sysctl files report a size of 0, which {@code Files.readString} trusts. */
    private static long readLong(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
