package dev.pagealloc.reliability.fuzz;

import dev.pagealloc.wasm.AtomicOp;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryAccessTrap;
import dev.pagealloc.wasm.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Action chains on one linear memory against a byte array: stores and loads, {@code memory.fill},
 * {@code memory.copy} (overlapping either way), atomics at every width (unaligned and out-of-bounds
 * addresses included) and grow past the maximum. A trap must leave every byte as it was.
 */
public final class LinearMemoryFuzz {
    static final long PAGE = MemoryType.WASM_PAGE_BYTES;
    static final int MAXIMUM_PAGES = 4;

    private LinearMemoryFuzz() {}

    /** The memory and its model. */
    public static final class State {
        final LinearMemory memory;
        byte[] model;

        /** A fresh shared memory of one page, four at most. */
        public State() {
            this(true);
        }

        State(boolean shared) {
            memory = LinearMemory.create(shared ? MemoryType.sharedI32(1, MAXIMUM_PAGES)
                    : MemoryType.i32(1, MAXIMUM_PAGES));
            model = new byte[(int) PAGE];
        }

        /** Compares every byte, then releases the memory. */
        public void close() {
            byte[] all = new byte[model.length];
            memory.read(0, all, 0, all.length);
            AllocatorFuzz.check(Arrays.equals(all, model), "the memory's bytes differ from the model at "
                    + Arrays.mismatch(all, model));
            memory.close();
        }

        @Override
        public String toString() {
            return "LinearMemory[" + model.length + " bytes]";
        }
    }

    /**
     * {@return a chain of up to {@code steps} actions}, drawn from {@code random}: the same seed gives
     * the same chain
     *
     * @param random the source, seeded
     * @param steps the most actions
     */
    public static List<Step<State>> chain(SplittableRandom random, int steps) {
        List<Step<State>> chain = new ArrayList<>();
        int count = random.nextInt(steps + 1);
        for (int n = 0; n < count; n++) {
            chain.add(step(random));
        }
        return chain;
    }

    private static final int[] WEIGHTS = {1, 3, 3, 4, 2, 3};
    private static final int[] WIDTHS = {1, 2, 4, 8};

    private static Step<State> step(SplittableRandom random) {
        return switch (AllocatorFuzz.pick(random, WEIGHTS)) {
            case 0 -> {
                long n = random.nextLong(-1, 4);
                yield new Step<>("grow(" + n + ")", s -> grow(s, n));
            }
            case 1 -> {
                long a = address(random);
                byte v = (byte) random.nextInt();
                long n = length(random);
                yield new Step<>("fill(" + a + ", " + v + ", " + n + ")", s -> fill(s, a, v, n));
            }
            case 2 -> {
                long d = address(random);
                long src = address(random);
                long n = length(random);
                yield new Step<>("copy(" + d + ", " + src + ", " + n + ")", s -> copy(s, d, src, n));
            }
            case 3 -> {
                int w = WIDTHS[random.nextInt(4)];
                long a = address(random);
                AtomicOp op = AtomicOp.values()[random.nextInt(AtomicOp.values().length)];
                long v = random.nextLong();
                yield new Step<>("atomicRmw(" + op + ", " + w + ", " + a + ", " + v + ")", s -> rmw(s, op, w, a, v));
            }
            case 4 -> {
                int w = WIDTHS[random.nextInt(4)];
                long a = address(random);
                // Half the time the expected value is the one there, so that exchanges happen.
                boolean match = random.nextBoolean();
                long e = random.nextLong();
                long v = random.nextLong();
                yield new Step<>("cmpxchg(" + w + ", " + a + ", " + (match ? "current" : e) + ", " + v + ")",
                        s -> cmpxchg(s, w, a, match && a % w == 0 && a + w <= s.model.length ? get(s, a, w) : e, v));
            }
            default -> {
                long a = address(random);
                int v = random.nextInt();
                yield new Step<>("storeI32(" + a + ", " + v + ")", s -> store(s, a, v));
            }
        };
    }

    /** Addresses near the interesting places: the start, page ends, past the maximum, 2^32. */
    private static long address(SplittableRandom random) {
        return switch (random.nextInt(7)) {
            case 0 -> random.nextLong(0, 65);
            case 5, 6 -> random.nextLong(0, PAGE - 64);
            case 1 -> PAGE + random.nextLong(-16, 17);
            case 2 -> 2 * PAGE + random.nextLong(-16, 17);
            case 3 -> random.nextLong(0, MAXIMUM_PAGES * PAGE + 9);
            default -> new long[] {0xFFFF_FFFFL, 0xFFFF_FFF8L, 1L << 32}[random.nextInt(3)];
        };
    }

    private static long length(SplittableRandom random) {
        return switch (random.nextInt(3)) {
            case 0 -> random.nextLong(0, 41);
            case 1 -> random.nextLong(0, 2 * PAGE + 1);
            default -> 0xFFFF_FFFFL;
        };
    }

    static void grow(State s, long pages) {
        long old = s.model.length / PAGE;
        long result;
        try {
            result = s.memory.grow(pages);
        } catch (IllegalArgumentException e) {
            AllocatorFuzz.check(pages < 0, "grow(" + pages + ") refused: " + e);
            return;
        }
        if (pages < 0 || old + pages > MAXIMUM_PAGES) {
            AllocatorFuzz.check(result == -1, "grow(" + pages + ") from " + old + " returned " + result);
        } else {
            AllocatorFuzz.check(result == old, "grow(" + pages + ") returned " + result + ", expected " + old);
            s.model = Arrays.copyOf(s.model, (int) ((old + pages) * PAGE));
        }
        AllocatorFuzz.check(s.memory.byteSize() == s.model.length, "byteSize " + s.memory.byteSize());
    }

    static void fill(State s, long address, byte value, long length) {
        boolean inBounds = address + length <= s.model.length;
        if (!trapsUnless(inBounds, () -> s.memory.fill(address, value, length))) {
            return;
        }
        Arrays.fill(s.model, (int) address, (int) (address + length), value);
    }

    static void copy(State s, long destination, long source, long length) {
        boolean inBounds = destination + length <= s.model.length && source + length <= s.model.length;
        if (!trapsUnless(inBounds, () -> s.memory.copy(destination, source, length))) {
            return;
        }
        System.arraycopy(s.model, (int) source, s.model, (int) destination, (int) length);
    }

    static void store(State s, long address, int value) {
        if (!trapsUnless(address + 4 <= s.model.length, () -> s.memory.storeI32(address, value))) {
            return;
        }
        put(s, address, 4, value);
    }

    static void rmw(State s, AtomicOp op, int width, long address, long operand) {
        boolean ok = address % width == 0 && address + width <= s.model.length;
        long[] result = new long[1];
        if (!trapsUnless(ok, () -> result[0] = s.memory.atomicRmw(op, width, address, operand))) {
            return;
        }
        long old = get(s, address, width);
        AllocatorFuzz.check(result[0] == old, op + " returned " + result[0] + ", model " + old);
        long updated = switch (op) {
            case ADD -> old + operand;
            case SUB -> old - operand;
            case AND -> old & operand;
            case OR -> old | operand;
            case XOR -> old ^ operand;
            case EXCHANGE -> operand;
        };
        put(s, address, width, updated);
    }

    static void cmpxchg(State s, int width, long address, long expected, long replacement) {
        boolean ok = address % width == 0 && address + width <= s.model.length;
        long[] result = new long[1];
        if (!trapsUnless(ok, () -> result[0] = s.memory.atomicCompareExchange(width, address, expected, replacement))) {
            return;
        }
        long old = get(s, address, width);
        AllocatorFuzz.check(result[0] == old, "cmpxchg returned " + result[0] + ", model " + old);
        if (old == (expected & mask(width))) {
            put(s, address, width, replacement);
        }
    }

    /** Runs {@code operation}: {@return true if it completed}, which it must exactly when {@code inBounds}. */
    private static boolean trapsUnless(boolean inBounds, Runnable operation) {
        try {
            operation.run();
        } catch (MemoryAccessTrap trap) {
            AllocatorFuzz.check(!inBounds, "trapped in bounds: " + trap.getMessage());
            Step.refused();
            return false;
        }
        AllocatorFuzz.check(inBounds, "did not trap out of bounds");
        return true;
    }

    private static long mask(int width) {
        return width == 8 ? -1L : (1L << (8 * width)) - 1;
    }

    private static long get(State s, long address, int width) {
        long value = 0;
        for (int i = width - 1; i >= 0; i--) {
            value = value << 8 | (s.model[(int) address + i] & 0xFF);
        }
        return value;
    }

    private static void put(State s, long address, int width, long value) {
        for (int i = 0; i < width; i++) {
            s.model[(int) address + i] = (byte) (value >>> (8 * i));
        }
    }
}
