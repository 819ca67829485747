package dev.pagealloc.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.chicory.programs.SampleProgram;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the single-threaded spec scripts cannot express: WebAssembly threads (one instance per thread over one
 * imported shared memory, as the threads proposal has it) counting atomically while another grows the memory,
 * wait/notify across threads, and an instance built on one thread, called from a pool of threads and released
 * from yet another. Each runs on Chicory's ByteArrayMemory (the reference) and on ours.
 */
class ConcurrencyTest {

    private static final WasmModule WORKER = Parser.parse(resource("threads.wasm"));
    private static final int THREADS = 4;
    private static final int COUNTS = 20_000;

    @ParameterizedTest
    @ValueSource(strings = {"bytearray", "pagealloc"})
    void atomicCountsAreExactWhileAnotherThreadGrowsTheMemory(String kind) throws Exception {
        Memory memory = sharedMemory(kind);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> counters = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Instance worker = worker(memory);
                counters.add(pool.submit(() -> {
                    start.await();
                    return worker.export("count").apply(COUNTS);
                }));
            }
            Instance grower = worker(memory);
            Future<List<Long>> grows = pool.submit(() -> {
                start.await();
                List<Long> old = new ArrayList<>();
                for (int i = 1; i < 64; i++) {
                    old.add(grower.export("grow").apply()[0]);
                }
                return old;
            });
            start.countDown();
            for (Future<?> f : counters) {
                f.get(60, TimeUnit.SECONDS);
            }
            List<Long> old = grows.get(60, TimeUnit.SECONDS);

            assertEquals(THREADS * COUNTS, memory.atomicReadInt(0), "i32.atomic.rmw.add count");
            assertEquals(3L * THREADS * COUNTS, memory.atomicReadLong(8), "i64.atomic.rmw.add count");
            assertEquals((byte) (THREADS * COUNTS), memory.atomicReadByte(16), "i32.atomic.rmw8.add_u count");
            for (int i = 0; i < old.size(); i++) {
                assertEquals(i + 1, old.get(i), "memory.grow's old size, grow " + i);
            }
            assertEquals(64, memory.pages());
            assertEquals(-1, grower.export("grow").apply()[0], "grow past the maximum");
            for (int page = 2; page <= 64; page++) {
                assertEquals(7, memory.readInt(page * Memory.PAGE_SIZE - 4), "word written after grow to " + page);
            }
        } finally {
            pool.shutdownNow();
            close(memory);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytearray", "pagealloc"})
    void waitIsWokenByNotifyFromAnotherThread(String kind) throws Exception {
        Memory memory = sharedMemory(kind);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Instance main = worker(memory);
            assertEquals(2, main.export("wait").apply(0, 1_000_000)[0], "timed out after 1 ms: nobody notifies");
            main.export("store").apply(5);
            assertEquals(1, main.export("wait").apply(0, -1)[0], "not equal: 5 is stored, 0 expected");
            main.export("store").apply(0);

            Instance waiter = worker(memory);
            Future<long[]> woken = pool.submit(() -> waiter.export("wait").apply(0, -1));
            long notified = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (notified == 0 && System.nanoTime() < deadline) {
                // The waiter may not wait yet; notify counts only threads already waiting.
                notified = main.export("notify").apply(1)[0];
                Thread.onSpinWait();
            }
            assertEquals(1, notified, "one waiter woken");
            assertEquals(0, woken.get(30, TimeUnit.SECONDS)[0], "wait returns 0: woken");
            assertEquals(0, main.export("notify").apply(1)[0], "nobody left waiting");
        } finally {
            pool.shutdownNow();
            close(memory);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytearray", "pagealloc"})
    void anInstanceBuiltOnOneThreadRunsOnAPoolAndIsReleasedFromAnother(String kind) throws Exception {
        if (kind.equals("pagealloc")) {
        }
        PageallocMemoryFactory ours = PageallocMemoryFactory.create();
        Instance instance = Instance.builder(Parser.parse(SampleProgram.SIEVE.wasm()))
                .withMemoryFactory(kind.equals("pagealloc") ? ours : ByteArrayMemory::new)
                .withMachineFactory(MachineFactoryCompiler::compile)
                .build();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            Set<String> threads = new HashSet<>();
            List<Future<Long>> results = new ArrayList<>();
            for (int i = 0; i < 4 * THREADS; i++) {
                int n = 10_000 * (1 + i % 4);
                results.add(pool.submit(() -> {
                    synchronized (instance) {
                        // One call at a time: the sieve's memory is the instance's, unshared.
                        threads.add(Thread.currentThread().getName());
                        return instance.export("sieve").apply(n)[0];
                    }
                }));
            }
            long[] primesBelow = {1229, 2262, 3245, 4203};
            for (int i = 0; i < results.size(); i++) {
                assertEquals(primesBelow[i % 4], results.get(i).get(60, TimeUnit.SECONDS), "sieve call " + i);
            }
            assertTrue(threads.size() > 1, "calls ran on several pool threads: " + threads);
            if (kind.equals("pagealloc")) {
                PageallocMemory memory = (PageallocMemory) instance.memory();
                pool.submit(ours::close).get(30, TimeUnit.SECONDS);
                assertFalse(memory.linearMemory().isAlive(), "released from a pool thread");
                assertEquals(0, ours.liveMemories());
            }
        } finally {
            pool.shutdownNow();
            ours.close();
        }
    }

    private static Memory sharedMemory(String kind) {
        MemoryLimits limits = new MemoryLimits(1, 64, true);
        if (kind.equals("pagealloc")) {
            return PageallocMemory.create(limits);
        }
        return new ByteArrayMemory(limits);
    }

    private static Instance worker(Memory memory) {
        return Instance.builder(WORKER)
                .withImportValues(ImportValues.builder().addMemory(new ImportMemory("env", "memory", memory)).build())
                .withMachineFactory(MachineFactoryCompiler::compile)
                .build();
    }

    private static void close(Memory memory) {
        if (memory instanceof PageallocMemory ours) {
            ours.close();
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConcurrencyTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
