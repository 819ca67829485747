package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The README's partition example, as printed there, run against the real kernel. */
@EnabledOnOs(OS.LINUX)
class PartitionReadmeExampleTest {

    @Test
    void shouldPrintWhatTheReadmeSays() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        // --- the README's example, System.out replaced by out ---
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(64L << 20).build();
        MemoryPartition tenant = host.child("tenant-a")
                .maximumBytes(16L << 20)            // hard limit
                .guaranteedBytes(4L << 20)          // reserved, committed and prefaulted now
                .flags(MemoryPartition.Flag.LOCKED) // and locked: mlock on Linux
                .limiter(request -> false)          // asked before a refusal: free memory and return true to retry
                .build();
        PageAllocator allocator = PageAllocator.builder().withPartition(tenant).build();
        try (Region memory = allocator.allocate(16, 1024)) { // 1 MiB, handed over from the guarantee
            out.println(memory.tryGrow(1008));               // -1: 64 MiB is past tenant-a's 16 MiB
            out.println(tenant.statistics());
        }
        tenant.close();
        // --- end ---
        assertEquals("-1\nPartitionStatistics[name=tenant-a, usedBytes=1048576, peakBytes=1048576,"
                + " maximumBytes=16777216, guaranteedBytes=4194304, reserveBytes=3145728, refusals=1, children=[]]\n",
                printed.toString(StandardCharsets.UTF_8));
        assertEquals(0, host.usedBytes(), "closing the tenant gave its minimum back");
    }
}
