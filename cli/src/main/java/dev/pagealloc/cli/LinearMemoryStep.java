package dev.pagealloc.cli;

import dev.pagealloc.api.Units;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryAccessTrap;
import dev.pagealloc.wasm.MemoryOptions;
import dev.pagealloc.wasm.MemoryType;
import java.util.function.Consumer;

/**
 * The tour's linear-memory step: a WebAssembly memory {@code (memory 1 16)} with its default reservation
 * (the 4 GiB index space plus guards), grown in place, seen by the kernel, and an out-of-bounds load that
 * traps cleanly.
 */
final class LinearMemoryStep {
    private final Consumer<String> heading;
    private final Consumer<String> say;
    private final MapsPrinter kernel;

    LinearMemoryStep(Consumer<String> heading, Consumer<String> say, MapsPrinter kernel) {
        this.heading = heading;
        this.say = say;
        this.kernel = kernel;
    }

    /** Runs the step. */
    void run() {
        heading.accept("a WebAssembly linear memory (memory 1 16): the 4 GiB index space + guards reserved,"
                + " 64 KiB committed");
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 16))) {
            long base = memory.segment().address();
            long start = base - MemoryOptions.DEFAULT_GUARD_BEFORE_BYTES;
            long end = base + (1L << 32) + MemoryOptions.DEFAULT_GUARD_AFTER_BYTES;
            say("base " + Units.hex(base) + ", " + memory.byteSize() + " bytes, " + memory.pages() + " page(s)");
            kernel(start, end, "64 KiB guard ---p, 64 KiB rw-p, then ---p to 4 GiB + the 2 GiB guard");

            long old = memory.grow(2);
            say("grow(2) returned " + old + " (the old size in pages); now " + memory.pages() + " pages, base "
                    + (memory.segment().address() == base ? "unchanged" : "MOVED"));
            say("grow(14) past the maximum returns " + memory.grow(14) + ", never an exception");
            kernel(start, end, "now 192 KiB rw-p");

            long address = memory.byteSize() - 2;
            try {
                memory.loadI32(address);
                say("UNEXPECTED: the load past the end succeeded");
            } catch (MemoryAccessTrap trap) {
                say("loadI32(" + address + ") -> MemoryAccessTrap: " + trap.getMessage());
            }
        }
        say("closed: the reservation is released (its shared views retired in a batch)");
    }

    private void say(String text) {
        say.accept(text);
    }

    private void kernel(long start, long end, String expectation) {
        kernel.show(start, end, expectation);
    }
}
