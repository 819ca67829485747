package dev.pagealloc.api;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A JDK behaviour users of {@link ViewSharing#SHARED} views must know, shown with JDK code alone (no
 * pagealloc call): a thread inside a {@link ByteBuffer} bulk operation on a segment of a shared arena
 * that another thread closes gets {@link IllegalStateException} <b>and is left with its interrupt
 * status set</b>.
 *
 * <p>Why: closing a shared arena runs a handshake with every thread
 * ({@code CloseScopedMemoryHandshakeClosure} in {@code src/hotspot/share/prims/scopedMemoryAccess.cpp},
 * openjdk/jdk); a thread found inside a {@code @Scoped} access to the closing session (a bulk copy
 * runs in {@code ScopedMemoryAccess.copyMemory}) is sent an asynchronous exception through
 * {@code JavaThread::install_async_exception} ({@code src/hotspot/share/runtime/javaThread.cpp}),
 * which also interrupts every thread that is not virtual, "so it will wake up from a potential
 * wait()/sleep()/park()". The interrupt stays set after the exception. A pool thread that catches
 * the exception and carries on then sees its next blocking call throw {@link InterruptedException}:
 * clear it with {@link Thread#interrupted()} after catching the {@code IllegalStateException} of a
 * closed view. (A virtual thread is not interrupted: that call skips them.)
 *
 * <p>With pagealloc that is a protect or decommit that invalidates shared views, a deallocation
 * without a quarantine ({@link ViewQuarantine#NONE}), or the close of a quarantine batch, while
 * another thread copies through {@code asByteBuffer()} of a view.
 */
class SharedArenaCloseInterruptTest {
    private static final int BYTES = 32 << 20;
    private static final int TRIALS = 5;

    @Test
    void shouldLeaveAThreadInsideABulkCopyInterruptedWhenItsSharedArenaCloses() throws Exception {
        int interrupted = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            if (closeDuringCopy()) {
                interrupted++;
            }
        }
        // A close that lands between two copies meets the copier's liveness check instead, which throws
        // the same exception without a handshake and without an interrupt; nearly every close lands inside.
        assertTrue(interrupted > 0, "no copier of " + TRIALS + " was left interrupted");
    }

    /** {@return whether the copier, failing with IllegalStateException, was left interrupted} */
    private static boolean closeDuringCopy() throws InterruptedException {
        Arena arena = Arena.ofShared();
        MemorySegment segment = arena.allocate(BYTES);
        byte[] source = new byte[BYTES];
        CountDownLatch copying = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interrupted = new AtomicBoolean();
        Thread copier = Thread.ofPlatform().name("bulk-copier").start(() -> {
            ByteBuffer buffer = segment.asByteBuffer();
            copying.countDown();
            try {
                while (true) {
                    buffer.clear();
                    buffer.put(source); // one bulk copy of 32 MiB: milliseconds inside a scoped access
                }
            } catch (RuntimeException e) {
                thrown.set(e);
                interrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        copying.await();
        Thread.sleep(30);
        arena.close();
        copier.join();
        assertInstanceOf(IllegalStateException.class, thrown.get(), "the copy fails on the closed arena");
        return interrupted.get();
    }
}
