package dev.pagealloc.jit;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/**
 * The Flight Recorder events of executable memory. The core's events are internal to the API module,
 * so this module has its own, named like them ({@code dev.pagealloc.*}).
 *
 * <p>Thread-safe: each event is created and committed on one thread.
 */
final class CodeEvents {
    private CodeEvents() {}

    /** {@return a start time for {@link #sealed}, or 0 when no recording wants the event} */
    static long start() {
        return SealEvent.ENABLED.isEnabled() ? System.nanoTime() : 0;
    }

    static void sealed(long startNanos, CodeBuffer buffer, JitMemory memory) {
        if (startNanos == 0) {
            return;
        }
        SealEvent event = new SealEvent();
        if (event.shouldCommit()) {
            event.address = buffer.address();
            event.byteSize = buffer.byteSize();
            event.strategy = memory.strategy().name();
            event.sealNanos = System.nanoTime() - startNanos;
            event.commit();
        }
    }

    static void freed(CodeBuffer buffer, JitMemory memory) {
        FreeEvent event = new FreeEvent();
        if (event.shouldCommit()) {
            event.address = buffer.address();
            event.byteSize = buffer.byteSize();
            event.strategy = memory.strategy().name();
            event.commit();
        }
    }

    /** A code buffer was sealed: it is executable now. */
    @Name("dev.pagealloc.jit.CodeSeal")
    @Label("Code Seal")
    @Description("A code buffer made executable: protection flipped or cache flushed")
    static final class SealEvent extends Event {
        /** Read to learn whether a recording enables the event, before timing the seal. */
        static final SealEvent ENABLED = new SealEvent();

        @Label("Address")
        @Description("Where the code runs")
        long address;

        @Label("Bytes")
        @DataAmount
        long byteSize;

        @Label("Strategy")
        String strategy;

        @Label("Seal Time")
        @Timespan(Timespan.NANOSECONDS)
        long sealNanos;
    }

    /** A code buffer was freed. */
    @Name("dev.pagealloc.jit.CodeFree")
    @Label("Code Free")
    @Description("A code buffer unmapped, or filled with traps and returned to its heap")
    static final class FreeEvent extends Event {
        @Label("Address")
        long address;

        @Label("Bytes")
        @DataAmount
        long byteSize;

        @Label("Strategy")
        String strategy;
    }
}
