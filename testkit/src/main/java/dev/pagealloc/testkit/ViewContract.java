package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite, part 2: views. Stale views throw instead of touching memory that lost
 * access, discard zeroes without invalidating, and (where the kernel can say) discard and decommit
 * give the memory back. A backend's test implements it beside the other parts.
 */
public interface ViewContract extends ContractSupport {


    /** Protect NONE invalidates every view of the region, and the contents survive a return to read-write. */
    @Test
    default void shouldInvalidateViewsOnProtectNone() {
        Region region = allocate(allocator(b -> b), 2, 2);
        long granule = region.protectionGranuleBytes();
        MemorySegment whole = region.segment();
        MemorySegment elsewhere = region.segment(WASM_PAGE, WASM_PAGE);
        whole.fill((byte) 1);
        region.protect(0, granule, Protection.NONE);
        assertKernel(region.address(), granule, Protection.NONE, "page protected NONE");
        assertThrows(IllegalStateException.class, () -> whole.get(JAVA_BYTE, 0), "stale view of the page");
        assertThrows(IllegalStateException.class, () -> elsewhere.get(JAVA_BYTE, 0),
                "every view of the region is invalidated, not only those over the page");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> region.segment(0, 1));
        assertEquals("segment(byteOffset=0, byteLength=1): the page at byteOffset=0 is protected NONE; a view of it"
                + " would fault", e.getMessage());
        assertThrows(IllegalStateException.class, region::segment);
        assertEquals(1, region.segment(granule, 1).get(JAVA_BYTE, 0), "pages around stay reachable");
        region.protect(0, granule, Protection.READ_WRITE);
        assertEquals(1, region.segment().get(JAVA_BYTE, 0), "contents survive protect NONE and back");
    }

    /** Protect READ invalidates writable views; read-only views made after it stay valid when access widens. */
    @Test
    default void shouldInvalidateWritableViewsOnProtectRead() {
        Region region = allocate(allocator(b -> b), 1, 1);
        long granule = region.protectionGranuleBytes();
        MemorySegment writable = region.segment();
        writable.set(JAVA_BYTE, 0, (byte) 5);
        region.protect(0, granule, Protection.READ);
        assertThrows(IllegalStateException.class, () -> writable.set(JAVA_BYTE, 0, (byte) 6));
        MemorySegment readOnly = region.segment(0, granule);
        assertTrue(readOnly.isReadOnly());
        region.protect(0, granule, Protection.READ_WRITE);
        assertEquals(5, readOnly.get(JAVA_BYTE, 0), "widening protection keeps earlier views valid");
        region.segment().set(JAVA_BYTE, 0, (byte) 6);
        assertEquals(6, readOnly.get(JAVA_BYTE, 0));
    }

    /** Decommit invalidates views of the region, and a view of the decommitted pages is refused. */
    @Test
    default void shouldInvalidateViewsOnDecommit() {
        Region region = allocate(allocator(b -> b), 2, 2);
        MemorySegment view = region.segment();
        region.decommit(WASM_PAGE, WASM_PAGE);
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> region.segment(WASM_PAGE, 1));
        assertEquals("segment(byteOffset=" + WASM_PAGE + ", byteLength=1): the page at byteOffset=" + WASM_PAGE
                + " is decommitted; a view of it would fault", e.getMessage());
        region.segment(0, WASM_PAGE).set(JAVA_BYTE, 0, (byte) 1);
    }

    /** Deallocate invalidates every view of the region. */
    @Test
    default void shouldInvalidateViewsOnDeallocate() {
        Region region = allocate(allocator(b -> b), 1, 1);
        MemorySegment whole = region.segment();
        MemorySegment slice = region.segment(8, 8);
        region.deallocate();
        assertThrows(IllegalStateException.class, () -> whole.get(JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> slice.set(JAVA_BYTE, 0, (byte) 1));
        assertThrows(IllegalStateException.class,
                () -> MemorySegment.copy(whole, 0, MemorySegment.ofArray(new byte[1]), 0, 1));
    }

    /** The whole view is cached until the region's size or access changes. */
    @Test
    default void shouldCacheTheWholeViewUntilTheSizeOrAccessChanges() {
        Region region = allocate(allocator(b -> b), 1, 2);
        MemorySegment first = region.segment();
        assertSame(first, region.segment());
        region.grow(1);
        assertEquals(2 * WASM_PAGE, region.segment().byteSize(), "the whole view follows grow");
    }

    /** Discarded pages read zero, and views over them stay valid. */
    @Test
    default void shouldZeroDiscardedPagesAndKeepViews() {
        Region region = allocate(allocator(b -> b), 4, 4);
        long granule = region.protectionGranuleBytes();
        region.segment().fill((byte) 0x6B);
        region.protect(3 * WASM_PAGE, granule, Protection.READ);
        MemorySegment view = region.segment(0, 3 * WASM_PAGE);
        MemorySegment readOnly = region.segment(3 * WASM_PAGE, granule);
        region.discard(WASM_PAGE, 2 * WASM_PAGE);
        region.discard(3 * WASM_PAGE, granule);
        assertZero(view.asSlice(WASM_PAGE, 2 * WASM_PAGE), "discarded pages, through a view from before");
        assertFilled(view.asSlice(0, WASM_PAGE), (byte) 0x6B, "pages not discarded");
        assertZero(readOnly, "a discarded read-only page");
        assertKernel(region.address(), 3 * WASM_PAGE, Protection.READ_WRITE, "discard keeps the protection");
        assertKernel(region.address() + 3 * WASM_PAGE, granule, Protection.READ, "discard keeps READ");
        view.set(JAVA_BYTE, WASM_PAGE, (byte) 1);
        assertEquals(1, region.segment(WASM_PAGE, 1).get(JAVA_BYTE, 0), "discarded pages are writable at once");
    }

    /** Discarded pages are no longer resident, where the kernel can say; the others stay resident. */
    @Test
    default void shouldDropResidencyOnDiscard() {
        Region region = allocate(allocator(b -> b), 4, 4);
        region.segment().fill((byte) 1);
        long address = region.address() + WASM_PAGE;
        assumeResidencyObservable(address, 2 * WASM_PAGE);
        region.discard(WASM_PAGE, 2 * WASM_PAGE);
        assertEquals(0, kernelView().residentBytes(address, 2 * WASM_PAGE).getAsLong(), "resident after discard");
        assertTrue(kernelView().residentBytes(region.address(), WASM_PAGE).getAsLong() > 0,
                "pages not discarded stay resident");
    }

    /** Decommitted pages are no longer resident, and recommitted ones become resident only when touched. */
    @Test
    default void shouldDropResidencyOnDecommit() {
        Region region = allocate(allocator(b -> b), 4, 4);
        region.segment().fill((byte) 1);
        long address = region.address() + WASM_PAGE;
        assumeResidencyObservable(address, 2 * WASM_PAGE);
        region.decommit(WASM_PAGE, 2 * WASM_PAGE);
        assertEquals(0, kernelView().residentBytes(address, 2 * WASM_PAGE).getAsLong(), "resident after decommit");
        region.recommit(WASM_PAGE, 2 * WASM_PAGE);
        assertEquals(0, kernelView().residentBytes(address, 2 * WASM_PAGE).getAsLong(),
                "recommitted pages are not resident before they are touched");
        assertZero(region.segment(WASM_PAGE, 2 * WASM_PAGE), "recommitted pages");
    }

    private void assumeResidencyObservable(long address, long byteSize) {
        OptionalLong resident = kernelView().residentBytes(address, byteSize);
        Assumptions.assumeTrue(resident.isPresent(), "the kernel view cannot observe residency");
        assertEquals(byteSize, resident.getAsLong(), "written pages are resident");
    }

    /**
     * A deallocate while a JDK call holds a shared view is refused, leaving the region and its views as they
     * were; the next deallocate, once the call has returned, releases it.
     *
     * @throws Exception if the pipe cannot be opened or read, or the wait for the writer is interrupted
     */
    @Test
    default void shouldKeepARegionWhoseDeallocateMeetsAJdkCallAliveAndFreeItOnTheNextCall() throws Exception {
        // Without a quarantine: a quarantined deallocation does not close the arena (ViewQuarantine).
        Region region = allocate(allocator(b -> b.withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(ViewQuarantine.NONE)), 64, 64);
        MemorySegment view = region.segment();
        view.fill((byte) 0x2E);
        long start = reservationStart(region);
        long bytes = region.reservedBytes();
        Pipe pipe = Pipe.open();
        try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            // One blocking write of 4 MiB into a pipe that holds far less: the JDK keeps the view's
            // arena acquired (IOUtil's acquireScope) until the whole buffer has gone through.
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    ByteBuffer buffer = view.asByteBuffer();
                    while (buffer.hasRemaining()) {
                        sink.write(buffer);
                    }
                } catch (IOException | RuntimeException e) {
                    writerFailure.set(e);
                }
            });
            ByteBuffer received = ByteBuffer.allocate((int) view.byteSize());
            source.read(received.limit(1)); // returns once the writer is inside its write, holding the view
            // Where the pipe is a socket pair (Windows), its buffer could take the whole view at once.
            Assumptions.assumeTrue(writer.isAlive(), "the pipe took all 4 MiB at once: no JDK call holds the view");
            IllegalStateException e = assertThrows(IllegalStateException.class, region::deallocate);
            assertTrue(e.getMessage().startsWith("deallocate(): a view of the region at " + Units.hex(region.address())
                    + " is in use by a native call ("), e.getMessage());
            assertTrue(e.getMessage().endsWith("the region is left as it was, its views valid: call again once that"
                    + " call has returned"), e.getMessage());
            assertTrue(region.isAlive(), "a refused deallocate leaves the region alive");
            assertEquals(0x2E, view.get(JAVA_BYTE, view.byteSize() - 1), "and its views valid");
            assertLayout(region, 64 * WASM_PAGE);
            received.limit(received.capacity());
            while (received.hasRemaining()) {
                if (source.read(received) < 0) {
                    throw new UncheckedIOException(new IOException("the pipe closed early"));
                }
            }
            writer.join();
            assertEquals(null, writerFailure.get(), "the JDK call finished undisturbed");
            assertFilled(MemorySegment.ofBuffer(received.flip()), (byte) 0x2E, "bytes the JDK call carried");
        }
        region.deallocate();
        assertFalse(region.isAlive());
        assertUnmapped(start, bytes, "region released by the second call");
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0));
    }
}
