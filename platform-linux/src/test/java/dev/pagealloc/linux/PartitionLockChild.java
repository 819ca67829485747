package dev.pagealloc.linux;

import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Region;

/**
 * The child JVM of {@link LinuxPartitionTest}, run under a low {@code RLIMIT_MEMLOCK} without
 * {@code CAP_IPC_LOCK}: builds a locked partition whose guaranteed minimum passes the limit, then one
 * within it whose region grows past it, and prints each refusal.
 */
public final class PartitionLockChild {
    static final String RESERVE = "reserve refused: ";
    static final String GROW = "grow refused: ";
    static final String USED = "used after the refusals: ";

    private PartitionLockChild() {}

    /**
     * Runs the child.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        PageAllocator source = PageAllocator.builder().build();
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(64L << 20).build();
        try {
            host.child("tenant").maximumBytes(8L << 20).guaranteedBytes(1L << 20)
                    .flags(MemoryPartition.Flag.LOCKED).reserveFrom(source).build();
            System.out.println("reserve built: the limit was not enforced");
        } catch (PageAllocatorException e) {
            System.out.println(RESERVE + e.getMessage());
        }
        MemoryPartition small = host.child("small").maximumBytes(8L << 20).flags(MemoryPartition.Flag.LOCKED).build();
        Region region = PageAllocator.builder().withPartition(small).withPageBytes(4096).build().allocate(1, 1024);
        try {
            region.grow(256);
            System.out.println("grow done: the limit was not enforced");
        } catch (PageAllocatorException e) {
            System.out.println(GROW + e.getMessage());
        }
        System.out.println(USED + host.usedBytes());
        region.deallocate();
    }
}
