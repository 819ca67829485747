package dev.pagealloc.cli;

import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import java.util.function.Consumer;

/**
 * The tour's partition step: a tenant inside a host budget, its guaranteed minimum committed up front,
 * a refusal that names the partition and leaves nothing half-committed, and a limiter asked first.
 */
final class PartitionTourStep {
    private static final long MIB = 1L << 20;

    private final Consumer<String> heading;
    private final Consumer<String> say;
    private final MapsPrinter kernel;

    PartitionTourStep(Consumer<String> heading, Consumer<String> say, MapsPrinter kernel) {
        this.heading = heading;
        this.say = say;
        this.kernel = kernel;
    }

    void run() {
        heading.accept("memory partitions: a tenant inside a host budget, its minimum committed up front");
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(64 * MIB).build();
        int[] asked = new int[1];
        MemoryPartition tenant = host.child("tenant-a").maximumBytes(4 * MIB).guaranteedBytes(MIB)
                .limiter(request -> {
                    asked[0]++;
                    return false; // a host would free memory here and answer true to retry once
                }).build();
        say.accept("tenant-a: maximum 4 MiB, guaranteed 1 MiB (reserved, committed and prefaulted now); host uses "
                + Units.bytes(host.usedBytes()) + " for it");
        PageAllocator pages = PageAllocator.builder().withPartition(tenant).build();
        long pageBytes = pages.pageBytes();
        try (Region region = pages.allocate(MIB / pageBytes, 64 * MIB / pageBytes)) {
            kernel.show(region.address(), region.address() + region.committedBytes(),
                    "the region's 1 MiB, committed and prefaulted: handed over from the guaranteed minimum");
            say.accept("tryGrow by 7 MiB -> " + region.tryGrow(7 * MIB / pageBytes)
                    + " (refused: 8 MiB is past tenant-a's 4 MiB; the limiter was asked first, " + asked[0]
                    + " time; the region still commits " + Units.bytes(region.committedBytes()) + ")");
            try {
                pages.allocate(4 * MIB / pageBytes, 4 * MIB / pageBytes);
            } catch (BudgetExceededException e) {
                say.accept("allocate(4 MiB) -> " + e.getMessage());
            }
            say.accept(tenant.statistics().toString());
        }
        tenant.close();
        say.accept("closed: tenant-a gives its minimum back; host uses " + Units.bytes(host.usedBytes()));
    }
}
