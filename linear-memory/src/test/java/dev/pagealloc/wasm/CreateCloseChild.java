package dev.pagealloc.wasm;

/**
 * Run by {@link LinearMemoryReleaseTest} in a child JVM with a large young generation, so that almost no
 * garbage collection happens by itself: creates, writes and closes memories of their own in a row, more than
 * {@code vm.max_map_count} allows reserved at once. Prints {@link #DONE} and exits 0 when none was refused.
 */
public final class CreateCloseChild {
    /** The marker of a clean end. */
    static final String DONE = "create-close done:";

    private CreateCloseChild() {}

    /**
     * Runs the loop.
     *
     * @param args the number of memories
     */
    public static void main(String[] args) {
        int count = Integer.parseInt(args[0]);
        for (int i = 0; i < count; i++) {
            LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 65536));
            memory.storeI8(100, (byte) 1);
            memory.close();
        }
        System.out.println(DONE + " " + count);
    }
}
