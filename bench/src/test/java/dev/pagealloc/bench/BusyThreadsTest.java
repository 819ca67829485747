package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BusyThreadsTest {

    @Test
    void shouldStopItsThreadsAndKeepAnInterruptWhenClosedByAnInterruptedThread() throws Exception {
        BusyThreads threads = new BusyThreads(2);
        Thread.currentThread().interrupt();
        try {
            threads.close();
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept as the thread's status");
        } finally {
            Thread.interrupted();
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("busy-") && t.isAlive()), "every busy thread has ended");
    }
}
