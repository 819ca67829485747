package dev.pagealloc.reliability.fuzz;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.CodeHeap;
import dev.pagealloc.jit.CodeState;
import dev.pagealloc.jit.JitMemory;
import dev.pagealloc.testkit.ResourceAudit;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Action chains on a {@link CodeHeap} (x86-64) against a model of its functions: install, allocate then
 * write and seal, patch (make writable, rewrite, seal), call each function and compare its result with the
 * constant the model says it returns, free; with misuse mixed in: bad sizes, writes past the end or to sealed
 * code, sealing twice, calling writable or freed code, patching where the policy forbids it, freeing twice.
 * After every action no {@code rwx} mapping exists outside HotSpot's code cache ({@code /proc/self/maps},
 * {@link ResourceAudit#writableExecutable()}).
 *
 * <p>Running generated code is restricted by design ({@code JitMemory.Builder.build()} requires native
 * access), so this fuzzer's child grants its class path native access; {@code FuzzTest} checks separately
 * that the same call is refused without it.
 */
public final class CodeHeapFuzz {
    private static final FunctionDescriptor INT = FunctionDescriptor.of(ValueLayout.JAVA_INT);

    private CodeHeapFuzz() {}

    /** A function of the model: its buffer, the constant it returns when executable, its state. */
    static final class Function {
        final CodeBuffer buffer;
        int constant;
        CodeState state;

        Function(CodeBuffer buffer, int constant, CodeState state) {
            this.buffer = buffer;
            this.constant = constant;
            this.state = state;
        }
    }

    /** The memory, its heap and the model; made by the chain's first action. */
    public static final class State {
        JitMemory memory;
        CodeHeap heap;
        final List<Function> functions = new ArrayList<>();

        /** Calls every executable function once more, closes everything, and checks no rwx mapping is left. */
        public void close() {
            if (memory == null) {
                return;
            }
            checkAll(this);
            heap.close();
            memory.close();
            List<String> rwx = ResourceAudit.writableExecutable();
            AllocatorFuzz.check(rwx.isEmpty(), "rwx after close: " + rwx);
        }
    }

    /** {@code mov eax, imm32; ret}. */
    static byte[] returning(int value) {
        return new byte[] {(byte) 0xB8, (byte) value, (byte) (value >>> 8), (byte) (value >>> 16),
            (byte) (value >>> 24), (byte) 0xC3};
    }

    /**
     * {@return a chain of up to {@code steps} actions}, drawn from {@code random}: the same seed gives the
     * same chain. The first action builds the memory: protection flip or dual mapping, patching or not.
     *
     * @param random the source, seeded
     * @param steps the most actions after the first
     */
    public static List<Step<State>> chain(SplittableRandom random, int steps) {
        List<Step<State>> chain = new ArrayList<>();
        WxStrategy strategy = random.nextBoolean() ? WxStrategy.PROTECTION_FLIP : WxStrategy.DUAL_MAPPING;
        boolean patching = random.nextBoolean();
        long chunk = random.nextBoolean() ? 4096 : JitMemory.DEFAULT_HEAP_CHUNK_BYTES;
        chain.add(new Step<>("build(" + strategy + ", patching=" + patching + ", chunk=" + chunk + ")", s -> {
            s.memory = JitMemory.builder().withStrategy(strategy).withPatching(patching).withHeapChunkBytes(chunk)
                    .build();
            s.heap = s.memory.newHeap();
        }));
        int count = random.nextInt(steps + 1);
        for (int n = 0; n < count; n++) {
            chain.add(step(random));
        }
        return chain;
    }

    private static final int[] WEIGHTS = {5, 3, 2, 3, 2, 2, 2, 2};

    private static Step<State> step(SplittableRandom random) {
        int pick = random.nextInt(Integer.MAX_VALUE);
        int value = random.nextInt();
        return switch (AllocatorFuzz.pick(random, WEIGHTS)) {
            case 0 -> new Step<>("install(return " + value + ")", s -> install(s, value));
            case 1 -> {
                long size = random.nextInt(6) == 0 ? random.nextLong(-2, 1) : random.nextLong(6, 9000);
                yield new Step<>("allocate(" + size + ")", s -> allocate(s, size, value));
            }
            case 2 -> new Step<>("seal(" + pick + ")", s -> seal(s, pick));
            case 3 -> new Step<>("call(" + pick + ")", s -> call(s, pick));
            case 4 -> new Step<>("patch(" + pick + ", return " + value + ")", s -> patch(s, pick, value));
            case 5 -> new Step<>("free(" + pick + ")", s -> free(s, pick));
            case 6 -> {
                long offset = random.nextInt(3) == 0 ? -1 : random.nextLong(0, 9000);
                yield new Step<>("write(" + pick + ", at " + offset + ")", s -> write(s, pick, offset, value));
            }
            default -> new Step<>("write past the end(" + pick + ")", s -> write(s, pick, Long.MAX_VALUE, value));
        };
    }

    static void install(State s, int value) {
        CodeBuffer buffer = s.heap.install(returning(value));
        AllocatorFuzz.check(buffer.state() == CodeState.EXECUTABLE, "installed: " + buffer.state());
        s.functions.add(new Function(buffer, value, CodeState.EXECUTABLE));
        checkAll(s);
    }

    static void allocate(State s, long size, int value) {
        CodeBuffer buffer;
        try {
            buffer = s.heap.allocate(size);
        } catch (IllegalArgumentException e) {
            expect(size <= 0, "allocate(" + size + ")", e);
            return;
        }
        AllocatorFuzz.check(size > 0, "allocate(" + size + ") accepted");
        AllocatorFuzz.check(buffer.state() == CodeState.WRITABLE && buffer.byteSize() >= size, "allocated " + buffer);
        buffer.write(0, returning(value));
        s.functions.add(new Function(buffer, value, CodeState.WRITABLE));
        checkAll(s);
    }

    private static Function pick(State s, int pick) {
        return s.functions.isEmpty() ? null : s.functions.get(Math.floorMod(pick, s.functions.size()));
    }

    static void seal(State s, int pick) {
        Function f = pick(s, pick);
        if (f == null) {
            return;
        }
        try {
            f.buffer.seal();
        } catch (IllegalStateException e) {
            expect(f.state != CodeState.WRITABLE, "seal in " + f.state, e);
            return;
        }
        AllocatorFuzz.check(f.state == CodeState.WRITABLE, "seal in " + f.state + " accepted");
        f.state = CodeState.EXECUTABLE;
        checkAll(s);
    }

    static void call(State s, int pick) {
        Function f = pick(s, pick);
        if (f == null) {
            return;
        }
        if (f.state == CodeState.EXECUTABLE) {
            checkCall(f);
            return;
        }
        try {
            f.buffer.handle(INT);
        } catch (IllegalStateException e) {
            expect(true, "a handle in " + f.state, e);
            return;
        }
        throw new AssertionError("a handle to " + f.state + " code was given");
    }

    static void patch(State s, int pick, int value) {
        Function f = pick(s, pick);
        if (f == null || f.state != CodeState.EXECUTABLE) {
            return;
        }
        try {
            f.buffer.makeWritable();
        } catch (UnsupportedOperationException e) {
            expect(!s.memory.patchingAllowed(), "makeWritable with patching allowed", e);
            checkCall(f);
            return;
        }
        AllocatorFuzz.check(s.memory.patchingAllowed(), "makeWritable without patching allowed");
        f.state = CodeState.WRITABLE;
        AllocatorFuzz.check(f.buffer.state() == CodeState.WRITABLE, "after makeWritable: " + f.buffer.state());
        checkRwx();
        f.buffer.write(0, returning(value)).seal();
        f.constant = value;
        f.state = CodeState.EXECUTABLE;
        checkAll(s);
    }

    static void free(State s, int pick) {
        Function f = pick(s, pick);
        if (f == null) {
            return;
        }
        try {
            f.buffer.free();
        } catch (IllegalStateException e) {
            expect(f.state == CodeState.FREED, "free in " + f.state, e);
            return;
        }
        AllocatorFuzz.check(f.state != CodeState.FREED, "a second free accepted");
        f.state = CodeState.FREED;
        checkAll(s);
    }

    static void write(State s, int pick, long offset, int value) {
        Function f = pick(s, pick);
        if (f == null) {
            return;
        }
        byte[] code = returning(value);
        try {
            f.buffer.write(offset, code);
        } catch (IllegalStateException e) {
            expect(f.state != CodeState.WRITABLE, "write in " + f.state, e);
            return;
        } catch (IndexOutOfBoundsException e) {
            expect(f.state == CodeState.WRITABLE && (offset < 0 || offset > f.buffer.byteSize() - code.length),
                    "write at " + offset + " of " + f.buffer.byteSize(), e);
            return;
        }
        AllocatorFuzz.check(f.state == CodeState.WRITABLE && offset >= 0 && offset + code.length
                <= f.buffer.byteSize(), "write at " + offset + " in " + f.state + " accepted");
        if (offset == 0) {
            f.constant = value;
        }
        checkAll(s);
    }

    private static void checkCall(Function f) {
        int result;
        try {
            result = (int) f.buffer.handle(INT).invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("calling " + f.buffer, t);
        }
        AllocatorFuzz.check(result == f.constant, "returned " + result + ", model " + f.constant);
    }

    private static void expect(boolean expected, String call, RuntimeException e) {
        AllocatorFuzz.check(expected, call + " refused: " + e);
        AllocatorFuzz.check(e.getMessage() != null && !e.getMessage().isBlank(), call + ": no message");
        Step.refused();
    }

    private static void checkRwx() {
        List<String> rwx = ResourceAudit.writableExecutable();
        AllocatorFuzz.check(rwx.isEmpty(), "rwx: " + rwx);
    }

    /** Every function is in its model state; executable ones return their constant; no rwx mapping. */
    static void checkAll(State s) {
        for (Function f : s.functions) {
            AllocatorFuzz.check(f.buffer.state() == f.state, "state " + f.buffer.state() + ", model " + f.state);
            if (f.state == CodeState.EXECUTABLE) {
                checkCall(f);
            }
        }
        checkRwx();
    }
}
