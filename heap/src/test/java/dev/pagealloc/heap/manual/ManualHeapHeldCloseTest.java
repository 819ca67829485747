package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.Collections;
import dev.pagealloc.testkit.ProcMaps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A checked heap closed while a JDK call in another thread holds a block's scope (a blocking pipe write of the
 * block, which keeps the scope acquired for the call: the scope's close is refused): the block's region is
 * released in the core's {@link dev.pagealloc.api.DeferredUnmap} mode, so its pages are dropped at once
 * ({@code smaps} Rss 0, the held segment reads zero and never faults) and the range is unmapped once the scope
 * is unreachable, rather than staying mapped until the process ends. Checked in the kernel's view.
 */
@EnabledOnOs(OS.LINUX)
class ManualHeapHeldCloseTest {
    private static final long BYTES = 1L << 20;

    @Test
    void shouldDropAHeldLargeBlockOnCloseAndUnmapItOnceItsScopeIsUnreachable() throws Exception {
        long address = closeWhileAWriteHoldsALargeBlock();
        Collections.collectUntil(() -> ProcMaps.mappedBytes(address, BYTES) == 0, Duration.ofSeconds(20));
        assertEquals(0, ProcMaps.mappedBytes(address, BYTES), "unmapped once the block's scope is unreachable");
    }

    /** {@return the address of the block}, whose segment, buffer and writer are unreachable once it returns */
    private static long closeWhileAWriteHoldsALargeBlock() throws Exception {
        ManualHeap heap = Heaps.builder().withCheckedBlocks(true).build();
        MemorySegment block = heap.allocate(BYTES);
        block.fill((byte) 1);
        long address = block.address();
        assertEquals(BYTES, ProcMaps.sum(address, address + BYTES, "Rss"), "the written block is resident");
        Pipe pipe = Pipe.open();
        ByteBuffer buffer = block.asByteBuffer();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                while (buffer.hasRemaining()) {
                    pipe.sink().write(buffer); // blocks once the pipe is full, holding the block's scope
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        TimeUnit.MILLISECONDS.sleep(300);
        assertTrue(writer.isAlive() && buffer.position() < BYTES, "the write blocks on the full pipe");

        heap.close(); // the block's scope cannot be closed under the write
        assertEquals(0, ProcMaps.sum(address, address + BYTES, "Rss"), "close dropped the held block's pages");
        assertEquals(BYTES, ProcMaps.mappedBytes(address, BYTES), "and kept them mapped under the write");
        assertEquals(0, block.get(JAVA_BYTE, BYTES - 1), "the held segment reads zero");

        ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
        long read = 0;
        while (read < BYTES) {
            sink.clear();
            read += pipe.source().read(sink);
        }
        writer.join();
        pipe.sink().close();
        pipe.source().close();
        return address;
    }
}
