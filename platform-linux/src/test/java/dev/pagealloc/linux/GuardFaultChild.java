package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;

/**
 * The child JVM of {@link LinuxGuardFaultTest}: allocates a guarded region, prints
 * {@value #MARKER} with the address it is about to write, then writes one byte there through a raw
 * segment, bypassing every bounds check. The case comes from the {@code CASE} environment variable:
 * {@code after} (one byte past the committed end, in the guard after), {@code tail} (one byte past
 * the committed end, in the reserved but uncommitted tail), {@code before} (one byte before the base,
 * in the guard before) or {@code inside} (the last committed byte, which must not fault).
 */
public final class GuardFaultChild {
    /** Printed, with the address, right before the write. */
    static final String MARKER = "about to write at ";

    private GuardFaultChild() {}

    /**
     * Runs the case.
     *
     * @param args unused
     */
    @SuppressWarnings("restricted") // the point of this class
    public static void main(String[] args) {
        String which = System.getenv("CASE");
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withGuardPages(true).build();
        Region region = which.equals("tail") ? allocator.allocate(1, 2) : allocator.allocate(2, 2);
        long end = region.address() + region.committedBytes();
        long address = switch (which) {
            case "after", "tail" -> end;
            case "before" -> region.address() - 1;
            case "inside" -> end - 1;
            default -> throw new IllegalArgumentException("CASE=" + which);
        };
        System.out.println(MARKER + "0x" + Long.toHexString(address));
        System.out.flush();
        // SAFETY: none, on purpose: this write may hit a guard page and kill this JVM.
        MemorySegment.ofAddress(address).reinterpret(1).set(JAVA_BYTE, 0, (byte) 1);
        region.deallocate();
        System.out.println("survived");
    }
}
