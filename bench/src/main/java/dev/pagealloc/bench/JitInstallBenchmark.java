package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.CodeHeap;
import dev.pagealloc.jit.JitMemory;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue #10's target, BCPL's figure: allocate + write 4 KiB + seal + first call, at most 10 us median,
 * 2 us aimed for with the code heap and dual mapping. Each cycle also frees the code (so the heap's free
 * list is exercised, and nothing piles up): the score is allocate + write + seal + handle + call + free.
 * Four ways side by side: a code heap or a buffer of its own, by dual mapping or by a protection flip;
 * and the heap with a downcall handle linked per function ({@code Linker.downcallHandle(address, ...)})
 * instead of the cached per-descriptor handle, to price that choice.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class JitInstallBenchmark {
    private static final FunctionDescriptor INT = FunctionDescriptor.of(JAVA_INT);
    private final byte[] code = JitCode.fourKiB();
    private JitMemory dual;
    private JitMemory flip;
    private CodeHeap dualHeap;
    private CodeHeap flipHeap;

    /** Builds both memories and their heaps; the heaps keep one chunk mapped across cycles. */
    @Setup(Level.Trial)
    public void setUp() {
        dual = JitCode.memory(WxStrategy.DUAL_MAPPING);
        flip = JitCode.memory(WxStrategy.PROTECTION_FLIP);
        dualHeap = dual.newHeap();
        flipHeap = flip.newHeap();
    }

    /** Unmaps the heaps. */
    @TearDown(Level.Trial)
    public void tearDown() {
        dualHeap.close();
        flipHeap.close();
    }

    private int cycle(CodeBuffer buffer) throws Throwable {
        try (buffer) {
            buffer.write(0, code).seal();
            return (int) buffer.handle(INT).invokeExact();
        }
    }

    /**
     * {@return 42} from 4 KiB in a dual-mapped code heap: no system call in the cycle
     *
     * @throws Throwable never in practice (method handles declare it)
     */
    @Benchmark
    public int heapDual() throws Throwable {
        return cycle(dualHeap.allocate(code.length));
    }

    /**
     * {@return 42} from 4 KiB in a protection-flip heap: two {@code mprotect}s to seal and free, one more to reuse
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public int heapFlip() throws Throwable {
        return cycle(flipHeap.allocate(code.length));
    }

    /**
     * {@return 42} from a dual-mapped buffer of its own: {@code memfd_create}, two {@code mmap}s, two {@code munmap}s
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public int bufferDual() throws Throwable {
        return cycle(dual.allocate(code.length));
    }

    /**
     * {@return 42} from a protection-flip buffer of its own: {@code mmap}, {@code mprotect}, {@code munmap}
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public int bufferFlip() throws Throwable {
        return cycle(flip.allocate(code.length));
    }

    /**
     * {@return 42} as {@link #heapDual()}, but linking a downcall handle for the function's address each time
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public int heapDualLinkPerFunction() throws Throwable {
        try (CodeBuffer buffer = dualHeap.allocate(code.length)) {
            buffer.write(0, code).seal();
            return (int) link(buffer.address()).invokeExact();
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle link(long address) {
        // SAFETY: the address is sealed code of the heap, alive until the caller frees it after the call.
        return Linker.nativeLinker().downcallHandle(MemorySegment.ofAddress(address), INT);
    }
}
